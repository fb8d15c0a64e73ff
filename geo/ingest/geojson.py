"""Parse GeoJSON text strictly and find its features, naming what the document is when it is not GeoJSON."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from geo.errors import InputError
from geo.ingest.result import Issue

CONVERT_HINT = "Convert it to GeoJSON, for example with `ogr2ogr -f GeoJSON out.geojson {name}`."
GEOMETRY_TYPES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}
)
WGS84_NAMES = frozenset(
    {
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "urn:ogc:def:crs:EPSG::4326",
        "urn:ogc:def:crs:EPSG:6.6:4326",
        "EPSG:4326",
        "OGC:CRS84",
        "CRS84",
        "WGS84",
    }
)
LINE_SUFFIXES = (".geojsonl", ".geojsons", ".ndjson", ".jsonl", ".geojsonseq")


@dataclass
class Parsed:
    """Features as parsed JSON values, in file order, with what was learnt about the file on the way.

    ``duplicates`` maps a feature's index to the member names given twice inside it and
    ``nonfinite`` to the paths of NaN or Infinity values inside it (both only filled when the cheap
    checks found something).
    """

    features: list[Any]
    format: str
    notes: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    source_crs: str | None = None
    duplicates: dict[int, list[str]] = field(default_factory=dict)
    nonfinite: dict[int, list[str]] = field(default_factory=dict)


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type (object, array, string, number, boolean, null)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "number"


def file_issue(problem: str, fix: str, severity: str = "warning", field: str | None = None) -> Issue:
    """An issue about the whole file rather than one feature."""
    return Issue(None, None, field, problem, fix, severity)  # type: ignore[arg-type]


class _Members(dict):
    """A parsed object that remembers the member names it was given more than once."""

    duplicated: tuple[str, ...] = ()


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = _Members(pairs)
    if len(obj) != len(pairs):
        keys = [k for k, _ in pairs]
        obj.duplicated = tuple(sorted({k for k in keys if keys.count(k) > 1}))
    return obj


def _json_error(text: bytes, name: str, where: str = "") -> InputError:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{name}{where} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        hint = "Fix the syntax there (a missing comma, quote or bracket is the usual cause) and upload again."
        return InputError(msg, hint=hint)
    except (UnicodeDecodeError, RecursionError) as exc:
        msg = f"{name}{where} is not valid JSON ({exc})."
        return InputError(msg, hint="Save the file as UTF-8 GeoJSON.")
    except ValueError:
        # Python refuses to read an integer of more than 4,300 digits (a guard against slow parsing).
        msg = f"{name}{where} holds an integer of more than 4,300 digits, which no field can hold."
        return InputError(msg, hint="Remove the runaway number (or write null) and upload again.")
    msg = f"{name}{where} is not valid JSON."
    return InputError(msg, hint="Save the file as UTF-8 GeoJSON.")


def _slow_loads(text: bytes, name: str, where: str = "") -> Any:
    """Parse with Python's json, which accepts NaN and Infinity and lets a hook see every member."""
    try:
        doc = json.loads(text, object_pairs_hook=_pairs_hook)
    except (ValueError, UnicodeDecodeError, RecursionError):  # JSONDecodeError is a ValueError
        raise _json_error(text, name, where) from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(doc, name)
    return doc


# An integer literal of 19 digits or more (it may lie beyond 64 bits). Inside a string it only costs a slow read.
_BIG_INTEGER = re.compile(rb"(?<![\d.eE+-])-?\d{19,}(?![\d.eE])")
# A \uD800-\uDFFF escape: a surrogate, which Python's json keeps when it is not half of a pair.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_lone_surrogates(doc: Any, name: str) -> None:
    """Refuse a document holding text with an unpaired surrogate: it is not Unicode, and no store keeps it."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in node.items())
            bad = next((k for k in node if isinstance(k, str) and _LONE_SURROGATE.search(k)), None)
        elif isinstance(node, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(node))
            bad = None
        else:
            bad = node if isinstance(node, str) and _LONE_SURROGATE.search(node) else None
        if bad is not None:
            shown = bad.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")[:60]
            msg = f"{name} holds text with an unpaired UTF-16 surrogate at {where or 'the top'} ({shown!r}): not Unicode text."
            raise InputError(
                msg, hint="Correct the text (a cut-off emoji or a broken \\u escape is the usual cause)."
            )


def _same_members(text: bytes, doc: Any) -> bool:
    """True when no member name was lost to a duplicate, judged by counting names in the text.

    Every member name is a string followed by a colon; the same pair inside a string value is
    escaped (\\":) and so is counted alike in the original and in orjson's compact output. A count
    that differs only costs the slow re-read.
    """
    parsed = orjson.dumps(doc).count(b'":')
    compact = text.count(b'":')
    if compact == parsed:
        return True
    return compact + sum(text.count(b'"' + ws + b":") for ws in (b" ", b"\n", b"\r\n", b"\t")) == parsed


def _loads(text: bytes, name: str, where: str = "") -> tuple[Any, bool]:
    """Parse JSON; return the document and whether it needs the slow walk for duplicates or NaN.

    orjson is strict and fast but keeps the last of duplicated members silently and refuses NaN.
    Duplicates are spotted by counting member names in the text against orjson's own output: equal
    counts mean none were lost. Only then, or when orjson fails, is the text read again slowly.
    """
    if _BIG_INTEGER.search(text):
        # orjson reads an integer beyond 64 bits as a float, silently changing it: Python's json keeps it.
        return _slow_loads(text, name, where), True
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _slow_loads(text, name, where), True
    if not _same_members(text, doc):
        return _slow_loads(text, name, where), True
    return doc, False


def _walk(value: Any, path: str, dups: list[str], nonfinite: list[str]) -> None:
    """Collect duplicated member names and non-finite numbers under ``value`` (slow path only)."""
    stack = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            dups.extend(f"{where}{k}" for k in getattr(node, "duplicated", ()))
            stack.extend((v, f"{where}{k}.") for k, v in node.items() if isinstance(v, dict | list | float))
        elif isinstance(node, list):
            stack.extend((v, where) for v in node if isinstance(v, dict | list | float))
        elif isinstance(node, float) and not math.isfinite(node):
            nonfinite.append(where.rstrip(".") or "(value)")


def _audit(parsed: Parsed, doc: Any) -> None:
    """Name, per feature, the duplicated members and NaN or Infinity values (after a slow parse)."""
    inside = set()
    for i, feature in enumerate(parsed.features):
        dups: list[str] = []
        bad: list[str] = []
        _walk(feature, "", dups, bad)
        if dups:
            parsed.duplicates[i] = dups
        if bad:
            parsed.nonfinite[i] = bad
        inside.add(id(feature))
    outer_dups: list[str] = []
    outer_bad: list[str] = []
    if isinstance(doc, dict) and id(doc) not in inside:
        _walk({k: v for k, v in doc.items() if k != "features"}, "", outer_dups, outer_bad)
        if getattr(doc, "duplicated", ()):
            outer_dups.extend(doc.duplicated)
    if outer_dups:
        parsed.issues.append(
            file_issue(
                f"The file gives a member twice outside the features ({', '.join(sorted(set(outer_dups)))}); "
                "the last value was used.",
                "Give each member once per object.",
            )
        )
    if outer_bad:
        parsed.issues.append(
            file_issue(
                f"The file holds NaN or Infinity outside the features ({', '.join(sorted(set(outer_bad)))}); "
                "JSON does not allow them and they were ignored.",
                "Write null for an unknown value.",
            )
        )


def _find_collection(doc: dict[str, Any], path: str = "", depth: int = 0) -> tuple[str, dict] | None:
    """Find a FeatureCollection nested up to three objects deep (API responses wrap them)."""
    for key, value in doc.items():
        if isinstance(value, dict):
            if value.get("type") == "FeatureCollection":
                return f"{path}{key}", value
            if depth < 2:
                found = _find_collection(value, f"{path}{key}.", depth + 1)
                if found:
                    return found
    return None


def crs_name(doc: Any, name: str = "The file") -> str | None:
    """The name in a legacy (GeoJSON 2008) ``crs`` member, or None.

    A name or an EPSG code that is not text or a whole number (an object, an array, a boolean) is
    refused rather than turned into text: the coordinates' meaning hangs on it.

    Raises
    ------
    InputError
        When the ``crs`` member names its CRS with something other than text or a number.
    """
    crs = doc.get("crs") if isinstance(doc, dict) else None
    if not isinstance(crs, dict):
        return None
    props = crs.get("properties")
    if not isinstance(props, dict):
        return None
    hint = 'Remove the legacy \'crs\' member and write WGS84 lon/lat, as RFC 7946 asks, or give {"name": "EPSG:4326"}.'
    code = props.get("code")
    if crs.get("type") == "EPSG" and code is not None:
        if isinstance(code, bool) or not isinstance(code, int | str) or not str(code).strip().isdigit():
            msg = f"{name}'s 'crs' member gives the EPSG code as the JSON {json_type(code)} {_shown(code)}, not a number."
            raise InputError(msg, hint=hint)
        return f"EPSG:{str(code).strip()}"
    value = props.get("name")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        msg = (
            f"{name}'s 'crs' member names its CRS with the JSON {json_type(value)} {_shown(value)}, not text."
        )
        raise InputError(msg, hint=hint)
    return value


def _shown(value: Any) -> str:
    """A parsed JSON value as JSON, cut short for a message."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unread_crs(doc: Any, found: str | None) -> list[Issue]:
    """A warning when a ``crs`` member is present but names no CRS this reader understands."""
    if found is not None or not isinstance(doc, dict) or doc.get("crs") is None:
        return []
    problem = (
        f"The legacy 'crs' member ({_shown(doc['crs'])}) names no CRS this tool reads; the coordinates "
        "were read as WGS84 lon/lat and are checked as such."
    )
    fix = 'Remove the \'crs\' member if the coordinates are WGS84, or give {"type": "name", "properties": {"name": "EPSG:3857"}}.'
    return [file_issue(problem, fix, field="crs")]


def _not_geojson(doc: Any, name: str) -> InputError:
    """Say what a JSON document is, when it is not GeoJSON, and how to convert it."""
    if isinstance(doc, list):
        msg = f"{name} is a JSON array of {json_type(doc[0]) if doc else 'nothing'}s, not GeoJSON."
        return InputError(
            msg, hint="Upload a GeoJSON FeatureCollection, a Feature, or newline-delimited Features."
        )
    if not isinstance(doc, dict):
        msg = (
            f"{name} holds a JSON {json_type(doc)} ({orjson.dumps(doc).decode()[:40]}), not a GeoJSON object."
        )
        return InputError(msg, hint="Upload a GeoJSON FeatureCollection of Point features.")
    kind = doc.get("type")
    if kind is not None and not isinstance(kind, str):
        msg = (
            f'{name}: the top-level "type" member is the JSON {json_type(kind)} {_shown(kind)}, '
            'not a string such as "FeatureCollection".'
        )
        return InputError(
            msg, hint='Write "type": "FeatureCollection" (with a "features" array) at the top level.'
        )
    if kind == "Topology":
        msg = f'{name} is TopoJSON ("type": "Topology"), not GeoJSON.'
        hint = CONVERT_HINT.format(name=name) + " (or `topo2geo` from topojson-client)."
        return InputError(msg, hint=hint)
    features = doc.get("features")
    esri_features = isinstance(features, list) and features and isinstance(features[0], dict)
    if "geometryType" in doc or "spatialReference" in doc or (esri_features and "attributes" in features[0]):
        msg = f'{name} is Esri JSON (ArcGIS: it has "geometryType"/"spatialReference"), not GeoJSON.'
        hint = CONVERT_HINT.format(name=name) + " ArcGIS can also export GeoJSON directly (f=geojson)."
        return InputError(msg, hint=hint)
    if kind is None and isinstance(features, list):
        msg = f'{name} has a \'features\' array but no "type": "FeatureCollection".'
        return InputError(msg, hint='Add "type": "FeatureCollection" at the top level.')
    members = ", ".join(list(doc)[:6]) or "none"
    msg = f"{name} is a JSON object of type {kind!r} (members: {members}), not GeoJSON."
    return InputError(msg, hint="Upload a GeoJSON FeatureCollection of Point features.")


def _features_of(doc: Any, name: str) -> Parsed:
    """Return the features of a parsed JSON document, or raise naming what the document is instead."""
    if isinstance(doc, list) and doc and all(isinstance(f, dict) and f.get("type") == "Feature" for f in doc):
        issue = file_issue(
            "The file is a JSON array of Features, not a FeatureCollection; it was read as one.",
            'Wrap the array as {"type": "FeatureCollection", "features": [...]}.',
        )
        return Parsed(doc, "json-array", issues=[issue])
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            what = "missing" if "features" not in doc else f"a JSON {json_type(features)}"
            msg = f"{name}: the FeatureCollection's 'features' member is {what}, not an array."
            raise InputError(msg, hint='Give the features as an array: "features": [ {...}, {...} ].')
        source_crs = crs_name(doc, name)
        return Parsed(features, "geojson", source_crs=source_crs, issues=_unread_crs(doc, source_crs))
    if kind == "Feature":
        source_crs = crs_name(doc, name)
        return Parsed([doc], "geojson-feature", source_crs=source_crs, issues=_unread_crs(doc, source_crs))
    if isinstance(kind, str) and kind in GEOMETRY_TYPES:
        issue = file_issue(
            f"The file is a bare {kind} geometry, not a Feature; it was read as one feature without properties.",
            'Wrap it as {"type": "Feature", "geometry": ..., "properties": {...}} to give it properties.',
        )
        feature = {"type": "Feature", "geometry": doc, "properties": {}}
        source_crs = crs_name(doc, name)
        issues = [issue, *_unread_crs(doc, source_crs)]
        return Parsed([feature], "geojson-geometry", issues=issues, source_crs=source_crs)
    found = _find_collection(doc) if isinstance(doc, dict) else None
    if found:
        where, inner = found
        parsed = _features_of(inner, name)
        parsed.issues.append(
            file_issue(
                f"The FeatureCollection was wrapped in another object, at member '{where}'; it was read from there.",
                "Upload the inner FeatureCollection on its own.",
            )
        )
        return parsed
    raise _not_geojson(doc, name)


def _check_bbox(doc: Any, parsed: Parsed) -> None:
    bbox = doc.get("bbox") if isinstance(doc, dict) else None
    if bbox is None:
        return
    numbers = isinstance(bbox, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in bbox
    )
    if not numbers or len(bbox) not in (4, 6):
        parsed.issues.append(
            file_issue(
                f"The top-level 'bbox' ({str(bbox)[:60]}) is not an array of 4 or 6 numbers; it was ignored.",
                "Remove 'bbox' or give [west, south, east, north] as numbers.",
                field="bbox",
            )
        )


def parse_json(text: bytes, name: str) -> Parsed:
    """Parse one JSON document: a FeatureCollection, a Feature, an array of Features or a bare geometry.

    A bare geometry is read as one Feature without properties (with a warning), so that what is
    wrong with it is said feature by feature like everything else.
    """
    doc, slow = _loads(text, name)
    parsed = _features_of(doc, name)
    _check_bbox(doc, parsed)
    if slow:
        _audit(parsed, doc)
    return parsed


def parse_lines(text: bytes, name: str) -> Parsed:
    """Read newline-delimited GeoJSON (GeoJSONSeq, RFC 8142, with or without RS separators)."""
    lines = [ln for ln in text.replace(b"\x1e", b"\n").split(b"\n") if ln.strip()]
    features: list[Any] = []
    slow = False
    for lineno, line in enumerate(lines, start=1):
        value, was_slow = _loads(line, name, f", record {lineno},")
        features.append(value)
        slow |= was_slow
    parsed = Parsed(features, "geojsonseq")
    if slow:
        _audit(parsed, None)
    return parsed


def looks_like_lines(text: bytes, name: str) -> bool:
    """True when the file is newline-delimited GeoJSON: by its suffix, or two or more Feature lines."""
    if name.lower().endswith(LINE_SUFFIXES) or text.lstrip().startswith(b"\x1e"):
        return True
    head = text.lstrip()[:1_000_000]
    first, _, rest = head.partition(b"\n")
    if not rest.strip():
        return False
    try:
        value = orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return isinstance(value, dict) and value.get("type") == "Feature"
