"""Read a context layer (contact line versions, zones, control areas) uploaded by a user, in WGS84."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

from geo.errors import InputError
from geo.ingest.batch import to_wgs84
from geo.ingest.formats import parse_upload
from geo.ingest.geojson import WGS84_NAMES, json_type
from geo.ingest.result import Issue
from geo.settings import Settings

TYPE_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
    ]
)
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


def _geometries(features: list, issues: list[Issue]) -> np.ndarray:
    """Build each feature's geometry; a feature whose geometry cannot be built gets None and an error."""
    geoms = [f.get("geometry") if isinstance(f, dict) else None for f in features]
    texts = [orjson.dumps(g).decode() if isinstance(g, dict) else "null" for g in geoms]
    shapes = shapely.from_geojson(texts, on_invalid="ignore")
    for i in np.flatnonzero(shapely.is_missing(shapes)).tolist():
        g = geoms[i]
        if not isinstance(features[i], dict) or features[i].get("type") != "Feature":
            problem = f"The item is a JSON {json_type(features[i])} without a Feature's type."
        elif not isinstance(g, dict):
            problem = f"The geometry is {'null' if g is None else 'a JSON ' + json_type(g)}."
        else:
            # Built once more alone to get GEOS's reason (an open ring, too few positions, ...).
            try:
                shapely.from_geojson(texts[i])
                reason = "it cannot be read"
            except Exception as exc:  # GEOS raises its own error types; the text is the reason
                reason = str(exc).split(": ", 1)[-1]
            problem = f"The {g.get('type')} geometry cannot be read: {reason}."
        issues.append(
            Issue(i, None, "geometry", problem, "Fix or redraw the geometry in your GIS and export it again.")
        )
    return shapes


def read_layer(
    data: bytes, *, filename: str, geometry_types: tuple[str, ...], max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[gpd.GeoDataFrame, list[Issue]]:
    """Read a context layer in WGS84 and check its geometries.

    Any format :func:`geo.ingest.read_batch` reads is accepted (a bare GeoJSON geometry is one feature).
    Features whose geometry is missing, unreadable, out of range or of a type not in
    ``geometry_types`` are left out with an error; invalid geometries are repaired with
    ``make_valid`` and polygons wound against RFC 7946's right-hand rule are re-oriented, each with a
    warning. Properties are kept as they are. Callers that need every feature check for errors.

    Parameters
    ----------
    data
        The file's bytes.
    filename
        Its name, for messages.
    geometry_types
        The GeoJSON geometry types the layer takes, e.g. ``("Polygon", "MultiPolygon")``.
    max_bytes
        The upload limit.

    Returns
    -------
    tuple
        The usable features as a GeoDataFrame in EPSG:4326, and every issue (file-level ones,
        including notes on reprojection, have no index).

    Raises
    ------
    InputError
        When the file cannot be read, or no feature is usable.
    """
    # A context layer is small; the batch limits bound it all the same.
    parsed = parse_upload(data, filename, Settings(), max_bytes=max_bytes)
    features = parsed.features
    issues: list[Issue] = list(parsed.issues)
    issues += [Issue(None, None, None, note, "Nothing to do.", "warning") for note in parsed.notes]
    shapes = _geometries(features, issues)
    had_z = bool(shapely.has_z(shapes).any())
    if parsed.source_crs and parsed.source_crs not in WGS84_NAMES:
        shapes = shapely.transform(
            shapes,
            lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], parsed.source_crs, filename=filename)),
        )
        note = f"Reprojected from {parsed.source_crs} (the legacy 'crs' member) to WGS84 lon/lat."
        issues.append(Issue(None, None, None, note, "Write RFC 7946 GeoJSON in lon/lat.", "warning"))
    if had_z:
        shapes = shapely.force_2d(shapes)
        issues.append(
            Issue(None, None, None, "Heights (a third coordinate) were dropped.", "Nothing to do.", "warning")
        )
    present = ~shapely.is_missing(shapes)
    kind = np.where(present, TYPE_NAMES[np.clip(shapely.get_type_id(shapes), 0, 7)], "none")
    bad = present & ~np.isin(kind, geometry_types)
    for i in np.flatnonzero(bad).tolist():
        issues.append(Issue(i, None, "geometry", f"The geometry is a {kind[i]}, not {' or '.join(geometry_types)}.",
                            f"This layer takes {' or '.join(geometry_types)} geometries; export the right layer."))  # fmt: skip
    ok = present & ~bad
    x0, y0, x1, y1 = shapely.bounds(shapes).T
    out_of_range = ok & ~((x0 >= -180) & (x1 <= 180) & (y0 >= -90) & (y1 <= 90))
    for i in np.flatnonzero(out_of_range).tolist():
        issues.append(Issue(i, None, "geometry", f"The geometry's bounds ({x0[i]:g}, {y0[i]:g}, {x1[i]:g}, {y1[i]:g}) are out of range for lon/lat.",
                            "Give WGS84 lon/lat, or declare the projection."))  # fmt: skip
    ok &= ~out_of_range
    invalid = ok & ~shapely.is_valid(shapes)
    for i in np.flatnonzero(invalid).tolist():
        issues.append(Issue(i, None, "geometry", f"The geometry is invalid ({shapely.is_valid_reason(shapes[i])}); it was repaired with make_valid.",
                            "Check the repaired shape, and fix it in your GIS.", "warning"))  # fmt: skip
    if invalid.any():
        # A repaired polygon may come back as a collection with slivers of lower dimension: keep its
        # parts of the layer's own dimension.
        repaired = shapely.make_valid(shapes[invalid])
        dim = shapely.get_dimensions(shapes[invalid])
        shapes[invalid] = [
            shapely.union_all([p for p in shapely.get_parts(g) if shapely.get_dimensions(p) == d])
            if shapely.get_type_id(g) == 7
            else g
            for g, d in zip(repaired, dim, strict=True)
        ]
    polys = ok & np.isin(kind, ["Polygon", "MultiPolygon"])
    if polys.any():
        oriented = shapely.orient_polygons(shapes[polys], exterior_cw=False)
        # equals_exact compares vertex order, so it tells which polygons had to be turned round.
        turned = np.flatnonzero(polys)[~shapely.equals_exact(oriented, shapes[polys], tolerance=0)]
        for i in turned.tolist():
            issues.append(Issue(i, None, "geometry", "A polygon ring is wound against the right-hand rule (exterior clockwise or a hole counter-clockwise); it was accepted and re-oriented.",
                                "RFC 7946 asks for counter-clockwise exterior rings and clockwise holes.", "warning"))  # fmt: skip
        shapes[polys] = oriented
    rows = np.flatnonzero(ok)
    if not len(rows):
        first = next((i.problem for i in issues if i.severity == "error"), "it holds no features")
        msg = f"{filename} has no usable {' or '.join(geometry_types)} feature: {first}"
        raise InputError(msg, hint=f"Upload a layer of {' or '.join(geometry_types)} features in WGS84.")
    records = [features[i].get("properties") for i in rows.tolist()]
    props = pd.DataFrame.from_records(
        [p if isinstance(p, dict) else {} for p in records], index=range(len(rows))
    )
    issues.sort(key=lambda x: -1 if x.index is None else x.index)
    return gpd.GeoDataFrame(props, geometry=shapes[rows], crs=4326), issues
