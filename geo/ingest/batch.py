"""Read an incident batch: parse, check structure and fields, and build the normalised incident frame."""

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
from geo.ingest.columns import Findings
from geo.ingest.features import check_features
from geo.ingest.formats import ACLED_COLUMNS, UCDP_COLUMNS, parse
from geo.ingest.geojson import WGS84_NAMES
from geo.ingest.result import IngestResult, Issue, Rejection
from geo.ingest.validate import check_fields
from geo.schema import FIELDS, report_uid
from geo.settings import Settings, load_settings

FIELD_NAMES = [f.name for f in FIELDS]
FIELDS_SET = frozenset(FIELD_NAMES)
# Columns this tool derives (uid) or the store adds (batch_id): recomputed, never taken from a file.
SYSTEM_COLUMNS = frozenset({"uid", "batch_id"})
OUTPUT_COLUMNS = [*FIELD_NAMES, "extra", "uid"]
SWAP_FIX = "GeoJSON writes [longitude, latitude]: swap the two numbers of every position and upload again."


def to_wgs84(x: np.ndarray, y: np.ndarray, crs_name: str, *, filename: str) -> tuple[np.ndarray, np.ndarray]:
    """Reproject coordinates from the CRS named in a legacy ``crs`` member to WGS84 lon/lat."""
    try:
        crs = CRS.from_user_input(crs_name)
    except CRSError:
        msg = f"{filename} declares the CRS {crs_name!r} in its 'crs' member, which is not a known CRS."
        hint = "Remove the legacy 'crs' member and write WGS84 lon/lat, as RFC 7946 asks."
        raise InputError(msg, hint=hint) from None
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def swapped(lon: np.ndarray, lat: np.ndarray, bbox: tuple[float, float, float, float]) -> bool:
    """True when no point falls in the theatre as [lon, lat] but every point does as [lat, lon]."""
    ok = np.isfinite(lon)
    if not ok.any():
        return False
    x0, y0, x1, y1 = bbox
    inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    flipped = (lat >= x0) & (lat <= x1) & (lon >= y0) & (lon <= y1)
    return not inside[ok].any() and bool(flipped[ok].all())


def _check_coordinates(
    lon: np.ndarray, lat: np.ndarray, found: Findings, issues: list[Issue], settings: Settings
) -> None:
    usable = np.isfinite(lon)
    out_of_range = usable & ~((lon >= -180) & (lon <= 180) & (lat >= -90) & (lat <= 90))
    found.add(np.flatnonzero(out_of_range), "geometry",
              lambda r: f"The coordinates [{lon[r]:g}, {lat[r]:g}] are out of range for longitude and latitude.",
              "Give WGS84 decimal degrees [lon, lat] (lon -180..180, lat -90..90), or declare the projection in a 'crs' member.")  # fmt: skip
    if swapped(lon, lat, settings.theatre_bbox):
        box = ", ".join(f"{v:g}" for v in settings.theatre_bbox)
        problem = (
            f"The coordinates look swapped: no point falls in the theatre ({box}) as [lon, lat], "
            "but every point does as [lat, lon]. They were not swapped for you."
        )
        issues.append(Issue(None, None, "geometry", problem, SWAP_FIX))
        found.add(np.flatnonzero(usable & ~out_of_range), "geometry",
                  lambda r: f"[{lon[r]:g}, {lat[r]:g}] lies outside the theatre; [{lat[r]:g}, {lon[r]:g}] would lie inside.",
                  SWAP_FIX)  # fmt: skip


def _foreign_schema(df: pd.DataFrame) -> list[Issue]:
    """Say so when the properties are another dataset's (UCDP GED, ACLED): every feature will fail."""
    columns = set(df.columns) - FIELDS_SET
    for label, known, mapping in (
        (
            "UCDP GED",
            UCDP_COLUMNS,
            "date_start -> occurred_from, date_end -> occurred_to, id -> id, source 'UCDP'",
        ),
        ("ACLED", ACLED_COLUMNS, "event_date -> occurred_at, event_id_cnty -> id, source 'ACLED'"),
    ):
        seen = sorted(known & columns)
        if len(seen) >= 2:
            problem = (
                f"The properties are {label}'s ({', '.join(seen)}, ...), not this tool's incident schema."
            )
            fix = f"Rename the columns to the schema's ({mapping}, plus source and type; see docs/SCHEMA.md) before uploading."
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
    return [
        orjson.dumps(_unknown(props[r], unknown), option=orjson.OPT_SORT_KEYS).decode() for r in rows.tolist()
    ]


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
    parsed = parse(data, filename, max_bytes=settings.max_upload_bytes)
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
