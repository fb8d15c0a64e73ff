"""Recognise what an uploaded file is and turn it into a list of GeoJSON-like features."""

from __future__ import annotations

import io
import json
import math
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from geo.errors import InputError
from geo.ingest.result import Issue

CONVERT_HINT = "Convert it to GeoJSON, for example with `ogr2ogr -f GeoJSON out.geojson {name}`."
ACLED_COLUMNS = {"event_id_cnty", "event_date", "sub_event_type", "actor1"}
UCDP_COLUMNS = {"date_start", "where_prec", "side_a", "side_b"}
WGS84_NAMES = {
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
    "CRS84",
}


@dataclass
class Parsed:
    """Features as dicts, in file order, with what was learnt about the file on the way."""

    features: list[Any]
    format: str
    notes: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    source_crs: str | None = None
    may_hold_nan: bool = False


def _file_issue(problem: str, fix: str, severity: str = "warning") -> Issue:
    return Issue(None, None, None, problem, fix, severity)  # type: ignore[arg-type]


def _json_error(text: bytes, name: str) -> InputError:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        return InputError(
            msg, hint="Fix the syntax there (a missing comma or quote is the usual cause) and upload again."
        )
    except (UnicodeDecodeError, RecursionError) as exc:
        msg = f"{name} is not valid JSON ({exc})."
        return InputError(msg, hint="Save the file as UTF-8 JSON.")
    msg = f"{name} is not valid JSON."
    return InputError(msg, hint="Save it as UTF-8 GeoJSON.")


def _loads(text: bytes, name: str) -> tuple[Any, bool]:
    """Parse JSON strictly; return the document and whether it may hold NaN or Infinity."""
    try:
        return orjson.loads(text), False
    except orjson.JSONDecodeError:
        pass
    # orjson refuses NaN and Infinity, which Python's json accepts: read them so that the features
    # that hold them can be named, rather than refusing the whole file.
    try:
        return json.loads(text), True
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise _json_error(text, name) from None


def _duplicate_keys(text: bytes) -> list[str]:
    """Return the member names that appear twice in one object (JSON allows it; GeoJSON readers disagree)."""
    seen: list[str] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            seen.extend(sorted({k for k in keys if keys.count(k) > 1}))
        return dict(pairs)

    json.loads(text, object_pairs_hook=hook)
    return seen


def _count_members(doc: Any) -> int:
    """Count object members in a parsed document (cheaply, to spot keys lost to duplicates)."""
    total, stack = 0, [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            total += len(node)
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return total


# A member name ends with a quote followed by a colon; inside string values that pair is rare, and
# a false count only sends the file down the slow path that names the duplicates.
_MEMBER = re.compile(rb'"\s*:')


def _find_collection(
    doc: dict[str, Any], path: str = "", depth: int = 0
) -> tuple[str, dict[str, Any]] | None:
    for key, value in doc.items():
        if isinstance(value, dict):
            if value.get("type") == "FeatureCollection":
                return f"{path}{key}", value
            if depth < 2:
                found = _find_collection(value, f"{path}{key}.", depth + 1)
                if found:
                    return found
    return None


def _features_of(doc: Any, name: str, parsed_format: str) -> Parsed:
    """Return the features of a parsed JSON document, or raise naming what the document is instead."""
    if isinstance(doc, list):
        if doc and all(isinstance(f, dict) and f.get("type") == "Feature" for f in doc):
            issue = _file_issue(
                "The file is a JSON array of Features, not a FeatureCollection; read as one.",
                'Wrap the array as {"type": "FeatureCollection", "features": [...]}.',
            )
            return Parsed(doc, "json-array", issues=[issue])
        msg = f"{name} is a JSON array, not GeoJSON."
        raise InputError(
            msg, hint="Upload a GeoJSON FeatureCollection, a Feature, or newline-delimited Features."
        )
    if not isinstance(doc, dict):
        msg = f"{name} holds a JSON {type(doc).__name__} ({str(doc)[:40]!r}), not a GeoJSON object."
        raise InputError(msg, hint="Upload a GeoJSON FeatureCollection of Point features.")
    kind = doc.get("type")
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            what = "missing" if features is None else f"a JSON {type(features).__name__}"
            msg = f"{name}: the FeatureCollection's 'features' member is {what}, not an array."
            raise InputError(msg, hint='Give the features as an array: "features": [ {...}, {...} ].')
        return Parsed(features, parsed_format)
    if kind == "Feature":
        return Parsed([doc], "geojson-feature")
    if kind == "Topology":
        msg = f"{name} is TopoJSON, not GeoJSON."
        raise InputError(
            msg, hint="Convert it with `topo2geo` (topojson-client) or mapshaper, then upload the GeoJSON."
        )
    if kind in {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }:
        msg = f"{name} is a bare {kind} geometry with no properties, not a Feature."
        raise InputError(
            msg,
            hint='Wrap it as {"type": "Feature", "geometry": ..., "properties": {"id": ..., "source": ...}}.',
        )
    if (
        "geometryType" in doc
        or "spatialReference" in doc
        or (isinstance(doc.get("features"), list) and doc["features"] and "attributes" in doc["features"][0])
    ):
        msg = f"{name} is Esri JSON (ArcGIS), not GeoJSON."
        raise InputError(
            msg, hint=CONVERT_HINT.format(name=name) + " ArcGIS can also export GeoJSON directly."
        )
    found = _find_collection(doc)
    if found:
        where, inner = found
        parsed = _features_of(inner, name, parsed_format)
        parsed.issues.append(
            _file_issue(
                f"The FeatureCollection was wrapped in another object, at member '{where}'; read from there.",
                "Upload the inner FeatureCollection on its own.",
            )
        )
        doc = inner
        parsed.source_crs = _crs_name(doc)
        return parsed
    if kind is None and isinstance(doc.get("features"), list):
        msg = f'{name} has a \'features\' array but no "type": "FeatureCollection".'
        raise InputError(msg, hint='Add "type": "FeatureCollection" at the top level.')
    msg = f"{name} is a JSON object of type {kind!r}, not GeoJSON."
    raise InputError(msg, hint="Upload a GeoJSON FeatureCollection of Point features.")


def _crs_name(doc: dict[str, Any]) -> str | None:
    crs = doc.get("crs")
    if not isinstance(crs, dict):
        return None
    props = crs.get("properties") or {}
    name = props.get("name") if isinstance(props, dict) else None
    return str(name) if name else None


def _parse_json(text: bytes, name: str) -> Parsed:
    doc, may_nan = _loads(text, name)
    parsed = _features_of(doc, name, "geojson")
    parsed.may_hold_nan = may_nan
    if isinstance(doc, dict):
        parsed.source_crs = parsed.source_crs or _crs_name(doc)
        bbox = doc.get("bbox")
        if bbox is not None and not (
            isinstance(bbox, list)
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in bbox)
        ):
            parsed.issues.append(
                _file_issue(
                    "The top-level 'bbox' is not an array of numbers; it was ignored.",
                    "Remove or fix 'bbox'.",
                )
            )
    # Duplicate member names: orjson keeps the last silently. Count names in the text against the
    # members parsed; only when they differ, re-read slowly to name the duplicates.
    if len(_MEMBER.findall(text)) != _count_members(doc):
        dups = _duplicate_keys(text)
        if dups:
            parsed.issues.append(
                _file_issue(
                    f"The file has objects with a member given twice ({', '.join(sorted(set(dups))[:5])}); "
                    "the last value was used.",
                    "Give each member once per object.",
                    "warning",
                )
            )
    return parsed


def _parse_lines(text: bytes, name: str) -> Parsed:
    """Read newline-delimited GeoJSON (GeoJSONSeq, RFC 8142 with or without RS separators)."""
    features: list[Any] = []
    may_nan = False
    for lineno, raw in enumerate(text.replace(b"\x1e", b"\n").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            features.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            try:
                features.append(json.loads(line))
                may_nan = True
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                msg = f"{name}, line {lineno}, is not valid JSON ({exc})."
                raise InputError(
                    msg, hint="Each line of newline-delimited GeoJSON must be one complete Feature."
                ) from None
    return Parsed(features, "geojsonseq", may_hold_nan=may_nan)


def _looks_like_lines(text: bytes) -> bool:
    head = text.lstrip(b"\x1e \t\r\n")[:200_000]
    lines = [ln for ln in head.replace(b"\x1e", b"\n").splitlines() if ln.strip()]
    if len(lines) < 2:
        return False
    try:
        first = orjson.loads(lines[0])
    except orjson.JSONDecodeError:
        return False
    return isinstance(first, dict) and first.get("type") == "Feature"


def _read_with_ogr(data: bytes, name: str, suffix: str, label: str) -> Parsed:
    """Read a GIS file (zipped shapefile, GeoPackage, KML, FlatGeobuf) through pyogrio, in WGS84."""
    import pyogrio

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        target = f"/vsizip/{path}" if suffix in (".zip", ".kmz") else str(path)
        try:
            layers = pyogrio.list_layers(target)
            if len(layers) == 0:
                raise InputError(
                    f"{name} ({label}) has no layers.", hint="Upload a file with one point layer."
                )
            frame = pyogrio.read_dataframe(target, layer=layers[0][0])
        except InputError:
            raise
        except Exception as exc:  # GDAL raises many types; each means the file is unreadable
            msg = f"{name} looks like {label} but could not be read ({exc})."
            raise InputError(msg, hint=CONVERT_HINT.format(name=name)) from None
    notes = []
    issues = []
    if len(layers) > 1:
        issues.append(
            _file_issue(
                f"{name} has {len(layers)} layers; only the first, {layers[0][0]!r}, was read.",
                "Upload one layer per file.",
            )
        )
    if frame.crs is None:
        notes.append(f"{label} had no CRS; its coordinates were taken as WGS84 lon/lat.")
        frame = frame.set_crs(4326)
    elif frame.crs.to_epsg() != 4326:
        notes.append(f"Reprojected from {frame.crs.to_string()} to WGS84 (EPSG:4326).")
        frame = frame.to_crs(4326)
    for col in frame.columns:
        if str(frame[col].dtype).startswith("datetime64"):
            frame[col] = frame[col].map(lambda t: None if t is None or t != t else t.isoformat())
    if suffix == ".zip":
        frame, renamed = _untruncate(frame)
        if renamed:
            notes.append(f"Shapefile column names cut to 10 characters were read as {', '.join(renamed)}.")
    doc = orjson.loads(frame.to_json(na="drop", drop_id=True))
    return Parsed(doc["features"], label, notes=notes, issues=issues)


def _untruncate(frame: Any) -> tuple[Any, list[str]]:
    """Map shapefile column names cut to 10 characters back to the schema's field names."""
    from geo.schema import FIELDS

    names = [f.name for f in FIELDS]
    mapping = {}
    for col in frame.columns:
        if col in names or len(col) != 10:
            continue
        matches = [n for n in names if n.startswith(col)]
        if len(matches) == 1:
            mapping[col] = matches[0]
    return frame.rename(columns=mapping), [f"{k} -> {v}" for k, v in mapping.items()]


def parse(data: bytes, name: str, *, max_bytes: int) -> Parsed:
    """Recognise the file and return its features.

    Raises
    ------
    InputError
        When the file is too large, empty, or not a format this tool reads; the message says
        what the file looks like and how to convert it.
    """
    size = len(data)
    if size > max_bytes:
        msg = f"{name} is {size / 1024 / 1024:.1f} MB, over the upload limit of {max_bytes / 1024 / 1024:.0f} MB."
        raise InputError(
            msg, hint="Split it into smaller batches, or raise the limit with the setting CM_MAX_UPLOAD_MB."
        )
    if not data.strip():
        raise InputError(f"{name} is empty.", hint="Upload a GeoJSON FeatureCollection of incident reports.")
    head = data[:8]
    lower = name.lower()
    if head.startswith(b"PK"):
        names = zipfile.ZipFile(io.BytesIO(data)).namelist() if zipfile.is_zipfile(io.BytesIO(data)) else []
        if any(n.lower().endswith(".shp") for n in names):
            return _read_with_ogr(data, name, ".zip", "a zipped shapefile")
        if any(n.lower().endswith(".kml") for n in names):
            return _read_with_ogr(data, name, ".kmz", "KMZ")
        if "[Content_Types].xml" in names:
            msg = f"{name} is an Office document (Excel or Word), not geodata."
            raise InputError(
                msg, hint="Export the sheet as CSV and use the Upload page's CSV mapping, or save as GeoJSON."
            )
        msg = (
            f"{name} is a zip archive without a shapefile or KML inside ({', '.join(names[:5]) or 'empty'})."
        )
        raise InputError(msg, hint="Zip the .shp with its .shx, .dbf and .prj, or upload GeoJSON.")
    if data.startswith(b"SQLite format 3"):
        return _read_with_ogr(data, name, ".gpkg", "a GeoPackage")
    if data.startswith(b"fgb\x03"):
        return _read_with_ogr(data, name, ".fgb", "FlatGeobuf")
    if data.startswith(b"%PDF"):
        raise InputError(
            f"{name} is a PDF document, not geodata.", hint="Upload the data behind the report as GeoJSON."
        )
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    first = text.lstrip()[:1]
    if first == b"<":
        if b"<kml" in text[:2000].lower():
            return _read_with_ogr(data, name, ".kml", "KML")
        msg = f"{name} is XML or HTML, not GeoJSON."
        raise InputError(msg, hint=CONVERT_HINT.format(name=name))
    if first in (b"{", b"[", b"\x1e"):
        if lower.endswith(
            (".geojsonl", ".geojsons", ".ndjson", ".jsonl", ".geojsonseq")
        ) or _looks_like_lines(text):
            return _parse_lines(text, name)
        return _parse_json(text, name)
    if first == b'"':
        raise InputError(
            f"{name} holds a JSON string, not a GeoJSON object.", hint="Upload a FeatureCollection."
        )
    header = text.splitlines()[0].decode("utf-8", "replace")[:300] if text else ""
    if any(sep in header for sep in (",", ";", "\t")):
        columns = {c.strip().strip('"').lower() for c in re.split(r"[,;\t]", header)}
        known = ""
        if ACLED_COLUMNS & columns:
            known = " It looks like an ACLED export."
        elif UCDP_COLUMNS & columns:
            known = " It looks like a UCDP GED export."
        msg = f"{name} looks like CSV (header: {header[:120]!r}).{known}"
        raise InputError(
            msg,
            hint="Export it as GeoJSON with lon/lat Point geometry, or use the Upload page's CSV column mapping.",
        )
    msg = f"{name} is not a format this tool reads (it starts with {data[:16]!r})."
    raise InputError(
        msg,
        hint="Upload GeoJSON, newline-delimited GeoJSON, a zipped shapefile, GeoPackage, KML or FlatGeobuf.",
    )


def is_finite_number(value: Any) -> bool:
    """True for an int or float that is not a bool, NaN or infinite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
