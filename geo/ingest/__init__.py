"""Read an uploaded batch, validate every feature, and normalise the accepted ones (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo.errors import InputError
from geo.ingest.features import check_features
from geo.ingest.formats import WGS84_NAMES, parse
from geo.ingest.result import IngestResult, Issue, Rejection
from geo.ingest.validate import check_fields
from geo.schema import FIELDS, report_uid
from geo.settings import Settings, load_settings

__all__ = ["IngestResult", "Issue", "Rejection", "read_batch", "read_layer", "validate_file"]

OUTPUT_COLUMNS = [f.name for f in FIELDS] + ["extra", "uid"]


def _reproject(
    lon: np.ndarray, lat: np.ndarray, crs_name: str, name: str
) -> tuple[np.ndarray, np.ndarray, str]:
    try:
        crs = CRS.from_user_input(crs_name)
    except CRSError:
        msg = f"{name} declares the CRS {crs_name!r}, which is not known."
        raise InputError(
            msg, hint="Remove the legacy 'crs' member and give WGS84 lon/lat (RFC 7946)."
        ) from None
    fx, fy = Transformer.from_crs(crs, 4326, always_xy=True).transform(lon, lat)
    return (
        np.asarray(fx),
        np.asarray(fy),
        f"Reprojected from {crs_name} (a legacy 'crs' member) to WGS84 lon/lat.",
    )


def _swapped(lon: np.ndarray, lat: np.ndarray, bbox: tuple[float, float, float, float]) -> bool:
    """True when no point falls in the theatre but every point does with lon and lat swapped."""
    ok = np.isfinite(lon)
    if not ok.any():
        return False
    x0, y0, x1, y1 = bbox
    inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    flipped = (lat >= x0) & (lat <= x1) & (lon >= y0) & (lon <= y1)
    return not inside[ok].any() and bool(flipped[ok].all())


def _extra_json(props: list[dict], known: set[str]) -> list[str]:
    """The unknown properties of each feature as a JSON object (kept, never dropped)."""
    return [
        orjson.dumps({k: v for k, v in p.items() if k not in known}, option=orjson.OPT_SORT_KEYS).decode()
        if len(p.keys() - known)
        else "{}"
        for p in props
    ]


def read_batch(data: bytes, *, filename: str, settings: Settings | None = None) -> IngestResult:
    """Read and validate an incident batch.

    Parameters
    ----------
    data
        The uploaded file's bytes: GeoJSON (FeatureCollection, Feature), newline-delimited GeoJSON,
        a zipped shapefile, GeoPackage, KML/KMZ or FlatGeobuf.
    filename
        Its name, used in messages and to recognise newline-delimited files.
    settings
        Upload limit and theatre box; default :func:`geo.settings.load_settings`.

    Returns
    -------
    IngestResult
        The accepted reports as the normalised incident frame, every rejected feature kept whole
        with its issues, and the warnings and notes.

    Raises
    ------
    InputError
        When the file cannot be read at all (not JSON, not GeoJSON, too large, another format).
    """
    settings = settings or load_settings()
    sha = hashlib.sha256(data).hexdigest()
    parsed = parse(data, filename, max_bytes=settings.max_upload_bytes)
    issues: list[Issue] = list(parsed.issues)
    notes = list(parsed.notes)
    structure = check_features(parsed.features)
    lon, lat = structure.lon, structure.lat
    if parsed.source_crs and parsed.source_crs not in WGS84_NAMES:
        lon, lat, note = _reproject(lon, lat, parsed.source_crs, filename)
        notes.append(note)
    if structure.had_z:
        notes.append("Heights (a third coordinate) were dropped: reports are 2-D points.")
    n = len(parsed.features)
    if n == 0:
        issues.append(
            Issue(
                None,
                None,
                None,
                "The file holds no features.",
                "Check that you exported the right layer.",
                "warning",
            )
        )
    now = pd.Timestamp.now(tz="UTC")
    df, findings = check_fields(structure.props, structure.feature_ids, now=now)
    if parsed.may_hold_nan:
        # pandas cannot tell a NaN written in the file from a missing value, so look before it reads.
        for i, props in enumerate(structure.props):
            for key, value in props.items():
                if isinstance(value, float) and not np.isfinite(value):
                    findings.add(
                        [i],
                        key,
                        f"The value is {value} (NaN or Infinity), which JSON does not allow.",
                        "Use null for an unknown value.",
                    )
    for i, found in enumerate(structure.issues):
        if found:
            findings.by_row.setdefault(i, [])[:0] = found
    usable = np.isfinite(lon)
    out_of_range = usable & ~((lon >= -180) & (lon <= 180) & (lat >= -90) & (lat <= 90))
    findings.add(
        np.flatnonzero(out_of_range),
        "geometry",
        lambda r: f"The coordinates [{lon[r]:g}, {lat[r]:g}] are out of range for lon/lat.",
        "Give WGS84 decimal degrees (lon -180..180, lat -90..90), or declare the projection in a 'crs' member.",
    )
    if _swapped(lon, lat, settings.theatre_bbox):
        problem = "The coordinates look swapped: no point falls in the theatre as [lon, lat], all of them do as [lat, lon]."
        fix = "GeoJSON writes [longitude, latitude]: swap the two numbers of every position."
        issues.append(Issue(None, None, "geometry", problem, fix))
        findings.add(np.flatnonzero(usable), "geometry", problem, fix)
    for r in sorted(findings.by_row):
        issues.extend(findings.by_row[r])
    rejected_rows = sorted(
        r for r, found in findings.by_row.items() if any(x.severity == "error" for x in found)
    )
    rejected = [
        Rejection(
            r,
            structure.feature_ids[r],
            parsed.features[r] if isinstance(parsed.features[r], dict) else {"value": parsed.features[r]},
            tuple(findings.by_row[r]),
        )
        for r in rejected_rows
    ]
    keep = np.ones(n, dtype=bool)
    keep[rejected_rows] = False
    accepted = df.loc[keep, [f.name for f in FIELDS]].reset_index(drop=True)
    accepted["extra"] = _extra_json(
        [structure.props[i] for i in np.flatnonzero(keep)], {f.name for f in FIELDS}
    )
    accepted["uid"] = (
        report_uid(accepted["source"], accepted["id"]) if len(accepted) else pd.Series(dtype=object)
    )
    for f in FIELDS:
        if f.kind == "datetime":
            accepted[f.name] = pd.to_datetime(accepted[f.name], utc=True).dt.as_unit("ns")
        elif f.kind == "string" or (f.kind == "enum" and f.name != "credibility"):
            accepted[f.name] = accepted[f.name].astype("str")
    geometry = gpd.GeoSeries(shapely.points(lon[keep], lat[keep]), crs=4326)
    frame = gpd.GeoDataFrame(accepted[OUTPUT_COLUMNS], geometry=geometry.to_numpy(), crs=4326)
    return IngestResult(
        accepted=frame,
        rejected=rejected,
        issues=issues,
        notes=notes,
        sha256=sha,
        filename=filename,
        format=parsed.format,
        n_features=n,
    )


def validate_file(path: str | Path, *, settings: Settings | None = None) -> IngestResult:
    """Read and validate the file at ``path`` (see :func:`read_batch`)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"No file at {p}.", hint="Check the path.")
    return read_batch(p.read_bytes(), filename=p.name, settings=settings)


def read_layer(
    data: bytes, *, filename: str, geometry_types: tuple[str, ...], max_bytes: int = 200 * 1024 * 1024
) -> tuple[gpd.GeoDataFrame, list[Issue]]:
    """Read a context layer (line versions, control areas, zones) in WGS84 and check its geometry.

    Features of another geometry type are errors; invalid geometries are repaired with
    ``make_valid`` and polygons wound against RFC 7946's right-hand rule are re-oriented, each with
    a warning. Properties are kept as they are.
    """
    parsed = parse(data, filename, max_bytes=max_bytes)
    features = [f for f in parsed.features if isinstance(f, dict)]
    geoms = [f.get("geometry") for f in features]
    issues: list[Issue] = list(parsed.issues)
    shapes = shapely.from_geojson(
        [orjson.dumps(g).decode() if g else "null" for g in geoms], on_invalid="ignore"
    )
    types = shapely.get_type_id(shapes)
    names = np.array(
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
    kind = np.where(types >= 0, names[np.clip(types, 0, 7)], "none")
    wrong = ~np.isin(kind, geometry_types)
    for i in np.flatnonzero(wrong):
        issues.append(
            Issue(
                int(i),
                None,
                "geometry",
                f"The geometry is {kind[i]}, not {' or '.join(geometry_types)}.",
                "Give this layer's features the right geometry type.",
            )
        )
    if wrong.any():
        raise InputError(
            f"{filename}: {int(wrong.sum())} of {len(features)} features have the wrong geometry type ({issues[-1].problem})",
            hint=f"This layer takes {' or '.join(geometry_types)} geometries.",
        )
    if parsed.source_crs and parsed.source_crs not in WGS84_NAMES:
        crs = CRS.from_user_input(parsed.source_crs)
        shapes = shapely.transform(
            shapes,
            lambda xy: np.column_stack(
                Transformer.from_crs(crs, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
            ),
        )
        issues.append(
            Issue(
                None,
                None,
                None,
                f"Reprojected from {parsed.source_crs} to WGS84.",
                "Write RFC 7946 GeoJSON in lon/lat.",
                "warning",
            )
        )
    invalid = ~shapely.is_valid(shapes)
    for i in np.flatnonzero(invalid):
        issues.append(
            Issue(
                int(i),
                None,
                "geometry",
                f"The geometry is invalid ({shapely.is_valid_reason(shapes[i])}) and was repaired.",
                "Fix the geometry in your GIS.",
                "warning",
            )
        )
    shapes[invalid] = shapely.make_valid(shapes[invalid])
    polys = np.isin(kind, ["Polygon", "MultiPolygon"])
    if polys.any():
        oriented = shapely.orient_polygons(shapes[polys], exterior_cw=False)
        # equals_exact compares vertex order, so it tells which polygons were re-oriented.
        changed = ~shapely.equals_exact(oriented, shapes[polys], tolerance=0)
        for i in np.flatnonzero(polys)[changed]:
            issues.append(
                Issue(
                    int(i),
                    None,
                    "geometry",
                    "A polygon ring is wound against the right-hand rule (exterior clockwise or hole counter-clockwise); accepted and re-oriented.",
                    "RFC 7946 asks for counter-clockwise exterior rings.",
                    "warning",
                )
            )
        shapes[polys] = oriented
    props = pd.DataFrame.from_records(
        [f.get("properties") or {} for f in features], index=range(len(features))
    )
    return gpd.GeoDataFrame(props, geometry=shapes, crs=4326), issues
