"""The incident report schema: one definition used by validation, the store, the docs and JSON Schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

INCIDENT_TYPES: tuple[str, ...] = (
    "undetermined_explosion",
    "impact",
    "outgoing_fire",
    "projectile_in_flight",
    "muzzle_flash",
    "burst_or_shots",
    "illumination_flare",
    "weapon_sighting",
    "air_or_drone_strike",
    "mine",
    "line_crossing",
    "restriction_of_monitors",
    "other",
)

# Types that are a discharge of a weapon: the ceasefire's "fire of any kind".
FIRE_TYPES: frozenset[str] = frozenset(
    {
        "undetermined_explosion",
        "impact",
        "outgoing_fire",
        "projectile_in_flight",
        "muzzle_flash",
        "burst_or_shots",
        "air_or_drone_strike",
    }
)

# Weapon classes follow the Minsk II withdrawal classes (calibre bands in millimetres).
WEAPON_CLASSES: dict[str, str] = {
    "small_arms": "rifles and machine guns, calibre under 20 mm",
    "mortar": "mortars of any calibre (the 2015 addendum withdrew those up to 120 mm)",
    "artillery_lt100mm": "guns and howitzers under 100 mm (tank and anti-tank guns excluded)",
    "artillery_ge100mm": "guns and howitzers of 100 mm and more",
    "mlrs": "multiple-launch rocket systems such as BM-21 Grad (122 mm)",
    "heavy_mlrs_tactical_missile": "Tornado-S, Uragan, Smerch and Tochka (U) tactical missiles",
    "tank": "main battle tanks",
    "aircraft": "fixed-wing aircraft and helicopters",
    "uav": "unmanned aerial vehicles, including loitering munitions",
    "unknown": "weapon not identified",
}

MEANS: tuple[str, ...] = (
    "heard",
    "seen",
    "camera",
    "uav",
    "satellite",
    "crater_analysis",
    "party_report",
)

SOURCE_TYPES: tuple[str, ...] = (
    "monitor",
    "observation_post",
    "camera",
    "uav",
    "satellite",
    "party",
    "media",
    "ngo",
    "open_source",
    "other",
)

TIME_PRECISIONS: tuple[str, ...] = ("minute", "hour", "day", "week", "month", "year")

# NATO Admiralty code (AJP-2.1): source reliability and information credibility.
RELIABILITY: dict[str, str] = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY: dict[int, str] = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}

# The 16 compass points the OSCE SMM wrote, clockwise from north, 22.5 degrees apart.
COMPASS_POINTS: tuple[str, ...] = (
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
    "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
)  # fmt: skip


# Sane upper bounds: a count or a casualty figure above a million, or a distance or location
# uncertainty above 1,000 km, is a typo or an overflow, never a ceasefire report.
MAX_COUNT = 1_000_000
MAX_DISTANCE_M = 1_000_000
# Times are accepted from the start of EARLIEST_YEAR to the end of LATEST_YEAR (UTC): a year
# outside is a typo (0206 for 2026) and would not fit the store's nanosecond timestamps anyway.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100


@dataclass(frozen=True)
class Field:
    """One incident report property.

    Parameters
    ----------
    name
        Property name in GeoJSON and column name in the store.
    kind
        One of ``string``, ``integer``, ``number``, ``datetime``, ``enum``.
    description
        One sentence for the docs.
    required
        Whether every report must carry it.
    choices
        Allowed values for ``enum`` fields.
    default
        Value stored when the property is absent.
    minimum, maximum
        Inclusive bounds for numbers.
    """

    name: str
    kind: str
    description: str
    required: bool = False
    choices: tuple[Any, ...] = ()
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    aliases: tuple[str, ...] = field(default=())

    def bounds(self) -> str:
        """The allowed range in words for a message ("1 to 1,000,000", ">= 0"), or "" when unbounded."""
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            return f"{bound_text(lo)} to {bound_text(hi)}"
        if lo is not None:
            return f">= {bound_text(lo)}"
        return f"<= {bound_text(hi)}" if hi is not None else ""


def bound_text(value: float) -> str:
    """A bound as people read it: whole numbers with thousands separators (1,000,000), others as %g."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


FIELDS: tuple[Field, ...] = (
    Field("id", "string", "Report identifier, unique within its source.", required=True),
    Field(
        "source",
        "string",
        "Who reported it (a patrol, a party, an outlet); (source, id) identifies a report.",
        required=True,
    ),
    Field(
        "occurred_at",
        "datetime",
        "When it happened, ISO 8601 with a UTC offset; stored in UTC. A date alone is read as that "
        "whole day in the theatre's time zone (setting theatre_timezone). Required unless "
        "occurred_from and occurred_to are given.",
    ),
    Field("occurred_from", "datetime", "Start of the interval when the time is uncertain."),
    Field("occurred_to", "datetime", "End of the interval when the time is uncertain."),
    Field(
        "time_precision",
        "enum",
        "How precise the time is.",
        choices=TIME_PRECISIONS,
        default="minute",
    ),
    Field("type", "enum", "What was observed (the OSCE SMM's classes).", required=True, choices=INCIDENT_TYPES),
    Field("count", "integer", "How many (the SMM wrote '18 explosions').", default=1, minimum=1, maximum=MAX_COUNT),
    Field("weapon", "enum", "Weapon class, matching the withdrawal rules.", choices=tuple(WEAPON_CLASSES), default="unknown"),
    Field("means", "enum", "How it was observed.", choices=MEANS),
    Field("source_type", "enum", "Kind of source.", choices=SOURCE_TYPES, default="other"),
    Field(
        "source_family",
        "string",
        "Who stands behind the source: a party with all its channels and outlets, or an independent "
        "mission; reports of one family are never independent corroboration. Absent: the source itself.",
    ),
    Field(
        "cites",
        "string",
        "The report (its uid, source/id) or the source this report repeats; a citing report adds no "
        "independence and its Admiralty grade cannot exceed the one it cites.",
    ),
    Field("reliability", "enum", "Admiralty source reliability, A to F.", choices=tuple(RELIABILITY), default="F"),
    Field("credibility", "enum", "Admiralty information credibility, 1 to 6.", choices=tuple(CREDIBILITY), default=6),
    Field("location_precision_m", "number", "Radius of the location's uncertainty, in metres.", minimum=0, maximum=MAX_DISTANCE_M),
    Field("observer_lon", "number", "Observer's longitude (WGS84) for fire heard or seen from a post.", minimum=-180, maximum=180),
    Field("observer_lat", "number", "Observer's latitude (WGS84).", minimum=-90, maximum=90),
    Field(
        "bearing_deg",
        "number",
        "Bearing from the observer to the fire, degrees clockwise from true north. In GeoJSON it may "
        "also be a 16-point compass direction ('SSE') or a range ('120-150').",
        minimum=0,
        maximum=360,
    ),
    Field("bearing_min_deg", "number", "Lower end of a bearing range (clockwise from it to bearing_max_deg).", minimum=0, maximum=360),
    Field("bearing_max_deg", "number", "Upper end of a bearing range.", minimum=0, maximum=360),
    Field("distance_min_m", "number", "Nearest estimated distance from the observer, metres.", minimum=0, maximum=MAX_DISTANCE_M),
    Field("distance_max_m", "number", "Farthest estimated distance from the observer, metres.", minimum=0, maximum=MAX_DISTANCE_M),
    Field("casualties_low", "integer", "Casualties, low estimate.", minimum=0, maximum=MAX_COUNT),
    Field("casualties_best", "integer", "Casualties, best estimate.", minimum=0, maximum=MAX_COUNT),
    Field("casualties_high", "integer", "Casualties, high estimate.", minimum=0, maximum=MAX_COUNT),
    Field("description", "string", "Free text as the source wrote it."),
    Field(
        "assessment",
        "string",
        "The observer's own assessment, for example 'assessed as controlled detonation' or "
        "'assessed as live-fire training'; docs/METHOD.md lists the phrases the score reads.",
    ),
)  # fmt: skip

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)

# Columns the store adds to every report; not accepted from uploads.
SYSTEM_COLUMNS: dict[str, str] = {
    "batch_id": "The batch the report came in with.",
    "extra": "Unknown properties of the feature, kept as a JSON object.",
}


def to_json_schema() -> dict[str, Any]:
    """Return a JSON Schema (draft 2020-12) for one incident Feature.

    Returns
    -------
    dict
        A schema users can validate a Feature against before uploading.
    """
    props: dict[str, Any] = {}
    for f in FIELDS:
        spec: dict[str, Any]
        if f.kind == "enum":
            spec = {"enum": list(f.choices)}
        elif f.kind == "datetime":
            spec = {"type": "string", "format": "date-time"}
        elif f.name == "bearing_deg":
            spec = {
                "oneOf": [
                    {"type": "number", "minimum": 0, "maximum": 360},
                    {"enum": list(COMPASS_POINTS)},
                    {"type": "string", "pattern": r"^\d{1,3}(\.\d+)?\s*-\s*\d{1,3}(\.\d+)?$"},
                ]
            }
        else:
            spec = {"type": f.kind}
            if f.minimum is not None:
                spec["minimum"] = f.minimum
            if f.maximum is not None:
                spec["maximum"] = f.maximum
        # A time is either given or absent; null would be a third state with no meaning.
        if f.kind != "datetime" and not f.required:
            spec = {"anyOf": [spec, {"type": "null"}]}
        spec["description"] = f.description
        if f.default is not None:
            spec["default"] = f.default
        props[f.name] = spec
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "ceasefire-monitor/incident-report.schema.json",
        "title": "Ceasefire Monitor incident report",
        "description": "One GeoJSON Feature with a Point geometry in WGS84 (lon, lat). Unknown "
        "properties are allowed and kept.",
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "geometry": {
                "type": "object",
                "required": ["type", "coordinates"],
                "properties": {
                    "type": {"const": "Point"},
                    "coordinates": {
                        "type": "array",
                        "minItems": 2,
                        "maxItems": 3,
                        "prefixItems": [
                            {"type": "number", "minimum": -180, "maximum": 180},
                            {"type": "number", "minimum": -90, "maximum": 90},
                        ],
                    },
                },
            },
            "properties": {
                "type": "object",
                "required": list(REQUIRED),
                "anyOf": [
                    {"required": ["occurred_at"]},
                    {"required": ["occurred_from", "occurred_to"]},
                ],
                "properties": props,
            },
        },
    }


def json_schema_text() -> str:
    """Return the JSON Schema as the text of ``data/incident.schema.json``."""
    return json.dumps(to_json_schema(), indent=2, ensure_ascii=False) + "\n"


def _describe_kind(f: Field) -> str:
    if f.kind == "enum":
        return "one of " + ", ".join(f"`{c}`" for c in f.choices)
    if f.kind == "datetime":
        return f"datetime (years {EARLIEST_YEAR} to {LATEST_YEAR}, UTC)"
    bounds = []
    if f.minimum is not None:
        bounds.append(f">= {bound_text(f.minimum)}")
    if f.maximum is not None:
        bounds.append(f"<= {bound_text(f.maximum)}")
    return f.kind + (f" ({', '.join(bounds)})" if bounds else "")


def to_markdown() -> str:
    """Return the text of ``docs/SCHEMA.md``, generated from :data:`FIELDS`."""
    lines = [
        "# Incident report schema",
        "",
        "Generated from `geo/schema.py` by `python -m geo schema --markdown`; a test keeps it in step.",
        "A JSON Schema for one Feature is in `data/incident.schema.json` (`python -m geo schema`).",
        "",
        "Each report is a GeoJSON Feature with a Point geometry in WGS84 (lon, lat). Unknown",
        "properties are kept in the `extra` column, never dropped.",
        "",
        "Numbers must lie within the bounds given in the type column, and times within the years "
        f"{EARLIEST_YEAR} to {LATEST_YEAR}",
        "(UTC); a value outside, or one too large to store, rejects that report with an issue naming "
        "the field,",
        'the value and the allowed range (docs/IMPORT.md, "Hostile and odd input").',
        "",
        "| field | required | type | default | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in FIELDS:
        default = "" if f.default is None else f"`{f.default}`"
        req = "yes" if f.required else ""
        lines.append(f"| `{f.name}` | {req} | {_describe_kind(f)} | {default} | {f.description} |")
    lines += ["", "## Columns the store adds", "", "| column | description |", "| --- | --- |"]
    lines += [f"| `{name}` | {text} |" for name, text in SYSTEM_COLUMNS.items()]
    lines += ["", "## Weapon classes", "", "| class | meaning |", "| --- | --- |"]
    lines += [f"| `{name}` | {text} |" for name, text in WEAPON_CLASSES.items()]
    lines += ["", "## Admiralty code", "", "| reliability | meaning |", "| --- | --- |"]
    lines += [f"| `{k}` | {v} |" for k, v in RELIABILITY.items()]
    lines += ["", "| credibility | meaning |", "| --- | --- |"]
    lines += [f"| `{k}` | {v} |" for k, v in CREDIBILITY.items()]
    return "\n".join(lines) + "\n"


def report_uid(source: Any, report_id: Any) -> Any:
    """Return the stable key of a report from its ``(source, id)``.

    Works on scalars and, vectorised, on pandas Series of equal length. The key is readable
    (``source/id``) with ``%`` and ``/`` percent-escaped inside each part so that it is unambiguous.
    """

    def esc(part: Any) -> Any:
        if hasattr(part, "str"):
            return part.astype(str).str.replace("%", "%25", regex=False).str.replace("/", "%2F", regex=False)
        return str(part).replace("%", "%25").replace("/", "%2F")

    return esc(source) + "/" + esc(report_id)
