"""Read an incident batch: parse, check structure and fields, and build the normalised incident frame."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo.errors import InputError
from geo.ingest.columns import Findings
from geo.ingest.features import check_features
from geo.ingest.formats import ACLED_COLUMNS, UCDP_COLUMNS, parse_upload
from geo.ingest.geojson import WGS84_NAMES
from geo.ingest.result import IngestResult, Issue, Rejection
from geo.ingest.validate import check_fields
from geo.schema import FIELDS, report_uid
from geo.settings import Settings, check_outside_theatre, load_settings

FIELD_NAMES = [f.name for f in FIELDS]
FIELDS_SET = frozenset(FIELD_NAMES)
# Columns this tool derives (uid) or the store adds (batch_id): recomputed, never taken from a file.
SYSTEM_COLUMNS = frozenset({"uid", "batch_id"})
OUTPUT_COLUMNS = [*FIELD_NAMES, "extra", "uid"]
SWAP_FIX = "GeoJSON writes [longitude, latitude]: swap the two numbers of every position and upload again."


def to_wgs84(x: np.ndarray, y: np.ndarray, crs_name: str, *, filename: str) -> tuple[np.ndarray, np.ndarray]:
    """Reproject coordinates from the CRS named in a legacy ``crs`` member to WGS84 lon/lat.

    A projected CRS (EPSG:3857, a UTM zone) whose every coordinate is plainly degrees (|x| <= 180 and
    |y| <= 90) contradicts itself: reprojecting would move every point to within metres of the
    projection's origin (0°, 0° for EPSG:3857). Such a file is refused, never "reprojected".

    Raises
    ------
    InputError
        When the CRS is unknown, or is projected while the coordinates are degrees.
    """
    try:
        crs = CRS.from_user_input(crs_name)
    except CRSError:
        msg = f"{filename} declares the CRS {crs_name!r} in its 'crs' member, which is not a known CRS."
        hint = "Remove the legacy 'crs' member and write WGS84 lon/lat, as RFC 7946 asks."
        raise InputError(msg, hint=hint) from None
    if not crs.is_geographic:
        _refuse_degrees_as_projected(x, y, crs, crs_name, filename)
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _refuse_degrees_as_projected(
    x: np.ndarray, y: np.ndarray, crs: CRS, crs_name: str, filename: str
) -> None:
    """Raise when a projected CRS is declared but every usable coordinate is within degree range."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    usable = np.isfinite(x) & np.isfinite(y)
    if not usable.any() or not ((np.abs(x[usable]) <= 180) & (np.abs(y[usable]) <= 90)).all():
        return
    unit = crs.axis_info[0].unit_name if crs.axis_info else "unknown"
    first = int(np.flatnonzero(usable)[0])
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(x[first], y[first])
    msg = (
        f"{filename} declares the projected CRS {crs_name} ({crs.name}; unit: {unit}) in its 'crs' member, "
        "but every coordinate lies within ±180, ±90, as degrees do: the file contradicts itself. "
        f"Reprojected, the first point [{_deg(x[first])}, {_deg(y[first])}] would become "
        f"[{lon:.6g}, {lat:.6g}]; nothing was reprojected."
    )
    hint = (
        "Remove the 'crs' member if the coordinates are WGS84 longitude/latitude (RFC 7946), or export "
        f"the file again so that its coordinates are in {crs_name}."
    )
    raise InputError(msg, hint=hint)


def _deg(value: float) -> str:
    """A coordinate for a message, as written (up to 6 decimals, no trailing zeros)."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _box_text(bbox: tuple[float, float, float, float]) -> str:
    x0, y0, x1, y1 = bbox
    return f"lon {_deg(x0)} to {_deg(x1)}, lat {_deg(y0)} to {_deg(y1)}"


def swapped(lon: np.ndarray, lat: np.ndarray, bbox: tuple[float, float, float, float]) -> bool:
    """True when no point falls in the theatre as [lon, lat] but every point does as [lat, lon]."""
    ok = np.isfinite(lon)
    if not ok.any():
        return False
    inside, flipped = _in_box(lon, lat, bbox), _in_box(lat, lon, bbox)
    return not inside[ok].any() and bool(flipped[ok].all())


def _in_box(x: np.ndarray, y: np.ndarray, bbox: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = bbox
    return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def _check_coordinates(
    lon: np.ndarray, lat: np.ndarray, found: Findings, issues: list[Issue], settings: Settings
) -> None:
    """Range, theatre and swap checks of every usable point (after any reprojection).

    Out of range is an error. A batch whose every point lies in the theatre only as [lat, lon] is
    refused point by point; when only some do, a batch-level warning names how many and one example.
    A point outside ``theatre_bbox`` gets a warning naming the point and the box, or is rejected when
    the setting ``outside_theatre`` is "reject". Nothing is ever swapped or moved.
    """
    mode = check_outside_theatre(settings.outside_theatre)
    usable = np.isfinite(lon) & np.isfinite(lat)
    out_of_range = usable & ~((lon >= -180) & (lon <= 180) & (lat >= -90) & (lat <= 90))
    found.add(np.flatnonzero(out_of_range), "geometry",
              lambda r: f"The coordinates [{_deg(lon[r])}, {_deg(lat[r])}] are out of range for longitude and latitude.",
              "Give WGS84 decimal degrees [lon, lat] (lon -180..180, lat -90..90), or declare the projection in a 'crs' member.")  # fmt: skip
    placed = usable & ~out_of_range
    box = _box_text(settings.theatre_bbox)
    if swapped(lon, lat, settings.theatre_bbox):
        problem = (
            f"The coordinates look swapped: no point falls in the theatre ({box}) as [lon, lat], "
            "but every point does as [lat, lon]. They were not swapped for you."
        )
        issues.append(Issue(None, None, "geometry", problem, SWAP_FIX))
        found.add(np.flatnonzero(placed), "geometry",
                  lambda r: f"[{_deg(lon[r])}, {_deg(lat[r])}] lies outside the theatre; [{_deg(lat[r])}, {_deg(lon[r])}] would lie inside.",
                  SWAP_FIX)  # fmt: skip
        return
    outside = placed & ~_in_box(lon, lat, settings.theatre_bbox)
    looks = outside & _in_box(lat, lon, settings.theatre_bbox)
    if looks.any():
        first = int(np.flatnonzero(looks)[0])
        n = int(looks.sum())
        which = "1 point looks" if n == 1 else f"{n:,} points look"
        problem = (
            f"{which} swapped: {_deg(lon[first])}, {_deg(lat[first])} -> did you mean "
            f"{_deg(lat[first])}, {_deg(lon[first])}? As given {'it lies' if n == 1 else 'they lie'} outside "
            f"the theatre ({box}); as [lat, lon] {'it' if n == 1 else 'they'} would lie inside. "
            "Nothing was swapped for you."
        )
        fix = "GeoJSON writes [longitude, latitude]: swap the two numbers of those positions (each feature's issue names its point) and upload again."
        issues.append(Issue(None, None, "geometry", problem, fix, "warning"))

    def said(r: int) -> str:
        text = f"The point [{_deg(lon[r])}, {_deg(lat[r])}] lies outside the theatre ({box}; setting theatre_bbox)."
        if lon[r] == 0 and lat[r] == 0:
            text += " [0, 0] is where a missing location written as zeros lands."
        if looks[r]:
            text += (
                f" As [lat, lon], [{_deg(lat[r])}, {_deg(lon[r])}], it would lie inside: are the two swapped?"
            )
        return text

    if mode == "reject":
        fix = (
            "Check the location (GeoJSON writes [longitude, latitude]); if reports from there are expected, "
            'widen theatre_bbox in ceasefire.toml, or set outside_theatre = "warn" to accept them with a warning.'
        )
    else:
        fix = (
            "Check the location (GeoJSON writes [longitude, latitude]); if reports from there are expected, "
            'widen theatre_bbox in ceasefire.toml. Set outside_theatre = "reject" to refuse such points.'
        )
    found.add(np.flatnonzero(outside), "geometry", said, fix, "error" if mode == "reject" else "warning")


def _foreign_schema(df: pd.DataFrame) -> list[Issue]:
    """Say so when the properties are another dataset's (UCDP GED, ACLED): every feature will fail."""
    columns = set(df.columns) - FIELDS_SET
    for label, known, preset in (("UCDP GED", UCDP_COLUMNS, "ucdp"), ("ACLED", ACLED_COLUMNS, "acled")):
        seen = sorted(known & columns)
        if len(seen) >= 2:
            problem = (
                f"The properties are {label}'s ({', '.join(seen)}, ...), not this tool's incident schema."
            )
            fix = (
                f"Read the file through the {label} column mapping: `python -m geo ingest FILE --mapping {preset}`, "
                "or choose the mapping on the Upload page (docs/IMPORT.md)."
            )
            return [Issue(None, None, None, problem, fix)]
    return []


def _unknown(p: dict, unknown: list[str]) -> dict:
    out = {k: p[k] for k in unknown if k in p}
    # A file exported by this tool carries its own extra column: merge it back instead of nesting it.
    nested = out.pop("extra", None)
    if isinstance(nested, str) and nested.startswith("{"):
        try:
            out = orjson.loads(nested) | out
        except orjson.JSONDecodeError:
            out["extra"] = nested
    elif nested is not None:
        out["extra"] = nested
    return out


def _extra(df: pd.DataFrame, props: list[dict], rows: np.ndarray) -> list[str]:
    """The unknown properties of each kept feature as a JSON object (kept, never dropped)."""
    unknown = [c for c in df.columns if c not in FIELDS_SET and c not in SYSTEM_COLUMNS]
    if not unknown:
        return ["{}"] * len(rows)
    # From the parsed properties rather than the frame, so that nested values and explicit nulls survive.
    return [_json_text(_unknown(props[r], unknown)) for r in rows.tolist()]


def _json_text(value: dict) -> str:
    """``value`` as compact JSON with sorted keys; an integer beyond 64 bits is written exactly
    (orjson refuses it, and reading it as a float would change it)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=True)


def _frame(
    df: pd.DataFrame, props: list[dict], keep: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> gpd.GeoDataFrame:
    """The normalised incident frame of the kept rows (docs/ARCHITECTURE.md)."""
    rows = np.flatnonzero(keep)
    out = df.iloc[rows][FIELD_NAMES].reset_index(drop=True)
    for f in FIELDS:
        if f.kind == "datetime":
            out[f.name] = pd.to_datetime(out[f.name], utc=True).dt.as_unit("ns")
        elif f.kind in ("string", "enum") and f.name != "credibility":
            out[f.name] = out[f.name].astype("str")
        elif f.kind == "number":
            out[f.name] = out[f.name].astype("float64")
        else:
            out[f.name] = out[f.name].astype("Int64")
    out["extra"] = pd.Series(_extra(df, props, rows), dtype="str")
    out["uid"] = report_uid(out["source"], out["id"]).astype("str")
    geometry = shapely.points(lon[rows], lat[rows])
    return gpd.GeoDataFrame(out[OUTPUT_COLUMNS], geometry=geometry, crs=4326)


def read_batch(data: bytes, *, filename: str, settings: Settings | None = None) -> IngestResult:
    """Read and validate an incident batch.

    Parameters
    ----------
    data
        The uploaded file's bytes: GeoJSON (FeatureCollection, Feature), newline-delimited GeoJSON,
        a zipped shapefile, GeoPackage, KML/KMZ, FlatGeobuf or GeoParquet.
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
    parsed = parse_upload(data, filename, settings)
    issues: list[Issue] = list(parsed.issues)
    notes = list(parsed.notes)
    structure = check_features(parsed.features, duplicates=parsed.duplicates, nonfinite=parsed.nonfinite)
    lon, lat = structure.lon, structure.lat
    if parsed.source_crs and parsed.source_crs not in WGS84_NAMES:
        lon, lat = to_wgs84(lon, lat, parsed.source_crs, filename=filename)
        notes.append(f"Reprojected from {parsed.source_crs} (the legacy 'crs' member) to WGS84 lon/lat.")
    elif parsed.source_crs:
        notes.append(f"The legacy 'crs' member ({parsed.source_crs}) names WGS84; it was ignored.")
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
    df, found = check_fields(
        structure.props,
        structure.feature_ids,
        now=pd.Timestamp.now(tz="UTC"),
        timezone=settings.theatre_timezone,
    )
    issues += _foreign_schema(df)
    for r, first in structure.issues.items():
        found.by_row.setdefault(r, [])[:0] = first
    lost = np.isfinite(structure.lon) & np.isfinite(structure.lat) & ~(np.isfinite(lon) & np.isfinite(lat))
    found.add(np.flatnonzero(lost), "geometry",
              lambda r: f"The point [{_deg(structure.lon[r])}, {_deg(structure.lat[r])}] cannot be reprojected from "
                        f"{parsed.source_crs}: it lies outside that CRS's area.",
              f"Check the point, and that the file's coordinates really are in {parsed.source_crs}.")  # fmt: skip
    _check_coordinates(lon, lat, found, issues, settings)
    for r in sorted(found.by_row):
        issues.extend(found.by_row[r])
    rejected_rows = sorted(r for r, got in found.by_row.items() if any(x.severity == "error" for x in got))
    rejected = [
        Rejection(
            r,
            structure.feature_ids[r],
            parsed.features[r] if isinstance(parsed.features[r], dict) else {"value": parsed.features[r]},
            tuple(found.by_row[r]),
        )
        for r in rejected_rows
    ]
    keep = np.ones(n, dtype=bool)
    keep[rejected_rows] = False
    return IngestResult(
        accepted=_frame(df, structure.props, keep, lon, lat),
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
        msg = f"No file at {p}."
        raise InputError(msg, hint="Check the path.")
    return read_batch(p.read_bytes(), filename=p.name, settings=settings)
