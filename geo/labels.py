"""Codes as words: the one home of what a person reads for each code the data holds.

The data, the exports and the URL keep the codes (``outgoing_fire``, ``artillery_ge100mm``,
``FLIGHT_OVER_SECURITY_ZONE``); every table, caption, option, chart, map image and PDF shows the
words given here. Pages reach them through ``ui.text.readable_frame`` and ``format_func=label``; the
briefing material (:mod:`geo.report`) and the map legends (:func:`geo.maps.style.label`) call
:func:`label` directly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

import pandas as pd

TYPE_LABELS: dict[str, str] = {
    "undetermined_explosion": "Undetermined explosion",
    "impact": "Impact",
    "outgoing_fire": "Outgoing fire",
    "projectile_in_flight": "Projectile in flight",
    "muzzle_flash": "Muzzle flash",
    "burst_or_shots": "Bursts or shots",
    "illumination_flare": "Illumination flare",
    "weapon_sighting": "Weapon sighting",
    "air_or_drone_strike": "Air or drone strike",
    "mine": "Mine",
    "line_crossing": "Line crossing",
    "restriction_of_monitors": "Restriction of monitors",
    "other": "Other",
}

WEAPON_LABELS: dict[str, str] = {
    "small_arms": "Small arms",
    "mortar": "Mortar",
    "artillery_lt100mm": "Artillery (under 100 mm)",
    "artillery_ge100mm": "Artillery (100 mm or more)",
    "mlrs": "Multiple rocket launcher (MLRS)",
    "heavy_mlrs_tactical_missile": "Heavy MLRS or tactical missile",
    "tank": "Tank",
    "aircraft": "Aircraft",
    "uav": "Drone (UAV)",
    "unknown": "Unknown weapon",
}

# The weapon classes inside a sentence ("{weapon_label} seen firing ..."): the rules' reasons quote
# these, so changing one changes the stored analysis's sentences (geo.rules.spec re-exports them).
WEAPON_PHRASES: dict[str, str] = {
    "small_arms": "small arms",
    "mortar": "mortar",
    "artillery_lt100mm": "artillery under 100 mm",
    "artillery_ge100mm": "artillery of 100 mm or more",
    "mlrs": "multiple-launch rocket system",
    "heavy_mlrs_tactical_missile": "heavy rocket system or tactical missile",
    "tank": "tank",
    "aircraft": "aircraft",
    "uav": "drone",
    "unknown": "weapon not identified",
}

MEANS_LABELS: dict[str, str] = {
    "heard": "Heard",
    "seen": "Seen",
    "camera": "Camera",
    "uav": "Drone (UAV)",
    "satellite": "Satellite",
    "crater_analysis": "Crater analysis",
    "party_report": "Party's report",
}

SOURCE_TYPE_LABELS: dict[str, str] = {
    "monitor": "Monitor",
    "observation_post": "Observation post",
    "camera": "Camera",
    "uav": "Drone (UAV)",
    "satellite": "Satellite",
    "party": "Party to the conflict",
    "media": "Media",
    "ngo": "NGO",
    "open_source": "Open source",
    "other": "Other",
}

FLAG_LABELS: dict[str, str] = {"likely": "Likely", "possible": "Possible", "unlikely": "Unlikely"}

# Where a report lies: the control area it falls in.
SIDE_LABELS: dict[str, str] = {
    "UA": "Ukrainian-held",
    "RU": "Russian-held",
    "ambiguous": "Ambiguous",
    "undetermined": "Side undetermined",  # an attribution with no side (the maps colour both alike)
    "none": "Outside control areas",
}

# The control areas by side and kind (the scenario's ``kind``: ``state``, a state's own ground;
# ``occupied``, ground held across a recognised border), as the map's legend and tooltips name them.
GROUND_LABELS: dict[tuple[str, str], str] = {
    ("UA", "state"): "Ukrainian-held",
    ("RU", "occupied"): "Occupied (Russian-held)",
    ("RU", "state"): "Russia (Russian-held)",
    ("UA", "occupied"): "Ukrainian-held beyond its border",
}


def ground_label(side: str, kind: str = "") -> str:
    """Name a control area by its side and kind; a side alone where the scenario gives no kind.

    Examples
    --------
    >>> ground_label("RU", "occupied")
    'Occupied (Russian-held)'
    >>> ground_label("RU")
    'Russian-held'
    """
    return GROUND_LABELS.get((side, kind), SIDE_LABELS.get(side, side))


# Whose fire: the side an event or a fire origin is attributed to.
ATTRIBUTED_LABELS: dict[str, str] = {"UA": "UA", "RU": "RU", "undetermined": "Undetermined"}

ORIGIN_METHOD_LABELS: dict[str, str] = {
    "bearing": "From its bearing",
    "triangulated": "Triangulated",
    "inconsistent": "Bearings disagree",
    "none": "No origin",
}

ZONE_LABELS: dict[str, str] = {
    "security_zone": "Security zone",
    "disengagement_area": "Disengagement area",
    "op_coverage": "Observation coverage (zone)",
    "protected_site": "Protected site",
    "designated_range": "Designated range (live fire permitted)",
}

TIME_PRECISION_LABELS: dict[str, str] = {
    "minute": "Minute",
    "hour": "Hour",
    "day": "Day",
    "week": "Week",
    "month": "Month",
    "year": "Year",
}

# The reason codes: the rules of an agreement, the side evidence, the patterns and corroboration.
REASON_LABELS: dict[str, str] = {
    "FIRE_AFTER_EFFECTIVE": "Fire after the ceasefire took effect",
    "HEAVY_WEAPON_IN_ZONE": "Weapon inside its withdrawal zone",
    "FLIGHT_OVER_SECURITY_ZONE": "Flight over the security zone",
    "ATTACK_ON_MONITORS": "Fire near monitors",
    "MONITOR_RESTRICTION": "Monitors restricted",
    "DISENGAGEMENT_ACTIVITY": "Activity in a disengagement area",
    "PROTECTED_SITE": "Fire at a protected site",
    "LINE_CROSSING": "Crossing of the contact line",
    "NOTIFIED_ACTIVITY": "Notified in advance",
    "ASSESSED_LAWFUL": "Assessed lawful by the observer",
    "STRADDLES_EFFECTIVE": "May predate the ceasefire",
    "SIDE_ORIGIN": "Side: where the fire came from",
    "SIDE_POSITION": "Side: where the weapon was",
    "SIDE_LANDING": "Side: where the fire landed",
    "PATTERN_CLUSTER": "Part of a space-time cluster",
    "PATTERN_SURGE": "On a surge day in its sector",
    "CONFIDENCE": "Confidence of the sources",
}

# What a reason does in the score (the ``kind`` of a reason).
REASON_KIND_LABELS: dict[str, str] = {
    "rule": "Breach",
    "mitigation": "Mitigation",
    "cap": "Cap",
    "side": "Side",
    "pattern": "Pattern",
    "corroboration": "Corroboration",
}

# A rule's effect in the agreement file (geo.rules.spec.EFFECTS).
EFFECT_LABELS: dict[str, str] = {"breach": "Breach", "mitigate": "Mitigation", "cap": "Cap"}

SEVERITY_LABELS: dict[str, str] = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"}

WIDTH_APPLIES_LABELS: dict[str, str] = {"total": "Whole zone", "per_side": "Each side"}

NOTIFIED_ACTIVITY_LABELS: dict[str, str] = {
    "demining": "Demining",
    "controlled_detonation": "Controlled detonation",
    "training": "Training",
    "weapons_movement": "Weapons movement",
    "other": "Other",
}

# Gi* levels of a hexagon (geo.patterns.hotspots).
HOTSPOT_LABELS: dict[str, str] = {
    "hot 99": "Hot (99 %)",
    "hot 95": "Hot (95 %)",
    "hot 90": "Hot (90 %)",
    "cold 90": "Cold (90 %)",
    "cold 95": "Cold (95 %)",
    "cold 99": "Cold (99 %)",
}

# The count model a sector's surge was tested under (geo.patterns.temporal: the surges' "rule").
SURGE_MODEL_LABELS: dict[str, str] = {
    "negbin": "Negative binomial",
    "poisson": "Poisson",
}

# File formats of exports and images (the Briefing page's choices, the Upload page's batches).
FILE_FORMAT_LABELS: dict[str, str] = {
    "geojson": "GeoJSON",
    "csv": "CSV",
    "gpkg": "GeoPackage",
    "kml": "KML",
    "png": "PNG",
    "svg": "SVG",
    "pdf": "PDF",
}

# The map's colour schemes (the Map page's "Colour by").
COLOUR_SCHEME_LABELS: dict[str, str] = {
    "type": "Incident type",
    "weapon": "Weapon",
    "source_type": "Source type",
    "side": "Side of the line",
    "flag_level": "Violation flag",
}
# How the Map page sizes its dots (geo.maps.sizing): the URL's ``size`` keeps the code.
SIZE_SCHEME_LABELS: dict[str, str] = {
    "uniform": "All the same",
    "reports": "Reports in its event",
    "casualties": "Casualties",
}

# The score's settings (geo.score.ScoreParams), as the pack's methods page names them.
SCORE_SETTING_LABELS: dict[str, str] = {
    "likely": "Score from which an event is a likely violation",
    "possible": "Score from which an event is a possible violation",
    "attribution_threshold": "Probability needed to attribute a side",
    "position_p": "Evidence for the side where a weapon was seen",
    "impact_max_p": "Most evidence a landing gives against the other side",
    "impact_full_m": "Distance past the line at which a landing gives it all (m)",
    "pattern_weight": "Weight of a significant cluster or surge",
}

# A rule's parameters in an agreement file (geo.rules.spec), as the Zones page lists them.
RULE_PARAM_LABELS: dict[str, str] = {
    "types": "Reports of",
    "origin_types": "Fire whose estimated origin is inside, of",
    "weapons": "Weapons",
    "max_line_dist_km": "Within this distance of the line (km)",
    "exempt_zone_kinds": "Except inside",
    "zone_kinds": "Over",
    "band_km": "Or within this distance of the line (km)",
    "within_km": "Within (km)",
    "buffer_km": "Buffer (km)",
    "slack_min": "Notified time window widened by (min)",
    "phrases": "Phrases of the observer's assessment",
}

# The placeholders of a rule's sentence that each report fills, in words ("{when}" -> "when").
PLACEHOLDER_WORDS: dict[str, str] = {
    "uid": "the report",
    "id": "the report's id",
    "source": "its source",
    "what": "what was reported",
    "type": "its type",
    "weapon": "its weapon",
    "weapon_label": "its weapon",
    "count": "its count",
    "when": "when",
    "side": "the side it lies on",
    "side_label": "party holding that side",
    "place": "where, from the contact line",
    "dist_km": "distance to the line",
    "line_version": "the line version",
    "how": "seen or firing",
    "width_km": "width",
    "total_width_km": "total width",
    "reference": "the line it is measured from",
    "ref_dist_km": "distance",
    "zone_side": "side",
    "zone_side_label": "party holding that side",
    "over": "over which zone, or how near the line",
    "zone_name": "the zone's name",
    "post_name": "the post's name",
    "post_dist_km": "distance",
    "zone_dist_km": "distance",
    "notice_id": "the notice",
    "notice_party": "notifying party",
    "notice_party_label": "notifying party",
    "activity": "activity",
    "notice_dist_km": "distance",
    "window": "the notified time window",
    "assessment": "the observer's words",
    "interval": "the report's time interval",
}

# The writes the audit log records (geo.audit.log.ACTIONS).
AUDIT_ACTION_LABELS: dict[str, str] = {
    "ingest": "Batch uploaded",
    "retract": "Batch retracted",
    "restore": "Batch restored",
    "line_version": "Contact line version",
    "zone": "Zone",
    "agreement": "Agreement",
    "annotation": "Annotation",
    "user_add": "User added",
    "user_role": "User's role changed",
    "user_remove": "User removed",
    "setting": "Setting changed",
}

# A batch's state in the Upload page's history (ui/batches.py): restored means active again.
BATCH_STATUS_LABELS: dict[str, str] = {
    "active": "Active",
    "retracted": "Retracted",
    "restored": "Active (restored)",
}

# Each vocabulary by the column that holds its codes.
VOCABULARIES: dict[str, Mapping[str, str]] = {
    "type": TYPE_LABELS,
    "weapon": WEAPON_LABELS,
    "means": MEANS_LABELS,
    "source_type": SOURCE_TYPE_LABELS,
    "flag_level": FLAG_LABELS,
    "side": SIDE_LABELS,
    "attributed_side": ATTRIBUTED_LABELS,
    "origin_side": ATTRIBUTED_LABELS,
    "origin_method": ORIGIN_METHOD_LABELS,
    "time_precision": TIME_PRECISION_LABELS,
    "zone_kind": ZONE_LABELS,
    "code": REASON_LABELS,
    "reason_kind": REASON_KIND_LABELS,
    "effect": EFFECT_LABELS,
    "severity": SEVERITY_LABELS,
    "width_applies": WIDTH_APPLIES_LABELS,
    "activity": NOTIFIED_ACTIVITY_LABELS,
    "level": HOTSPOT_LABELS,
    "surge_model": SURGE_MODEL_LABELS,
    "file_format": FILE_FORMAT_LABELS,
    "colour_by": COLOUR_SCHEME_LABELS,
    "size_by": SIZE_SCHEME_LABELS,
    "score_setting": SCORE_SETTING_LABELS,
    "rule_param": RULE_PARAM_LABELS,
    "audit_action": AUDIT_ACTION_LABELS,
    "batch_status": BATCH_STATUS_LABELS,
}

# Column headings of the tables pages show. A column not named here keeps its name, with
# underscores read as spaces and a capital first letter.
COLUMN_LABELS: dict[str, str] = {
    "occurred_at": "Time (UTC)",
    "occurred_from": "From (UTC)",
    "occurred_to": "To (UTC)",
    "time_precision": "Time precision",
    "uid": "Report",
    "id": "Id",
    "type": "Type",
    "weapon": "Weapon",
    "means": "Means",
    "count": "Count",
    "source": "Source",
    "source_type": "Source type",
    "source_family": "Source family",
    "reliability": "Reliability",
    "credibility": "Credibility",
    "sector": "Sector",
    "side": "Side of the line",
    "place": "Place",
    "dist_to_line_m": "Distance to line (m)",
    "dist_to_line_km": "Distance to line (km)",
    "line_version": "Line version",
    "zones": "Zones",
    "origin_side": "Fire origin side",
    "origin_method": "Fire origin found by",
    "flag_level": "Flag level",
    "violation_score": "Violation score",
    "attributed_side": "Attributed to",
    "attributed_side_p": "Attribution probability",
    "side_reason": "Why this side",
    "event_id": "Event",
    "exchange_id": "Exchange of fire",
    "batch_id": "Batch",
    "description": "Description",
    "assessment": "Assessment",
    "n_sources": "Sources",
    "n_reports": "Reports",
    "score": "Score",
    "sources": "Sources",
    "reasons": "Reasons",
    "code": "Reason",
    "kind": "Kind",
    "severity": "Severity",
    "weight": "Weight",
    "clause": "Clause",
    "sentence": "Sentence",
    "cluster_id": "Cluster",
    "p_value": "p",
    "level": "Level",
    # The Patterns page's tables (surges, space-time clusters, zones against their area).
    "n": "Reports",
    "expected": "Expected",
    "ratio": "Ratio",
    "llr": "Log-likelihood ratio",
    "significant": "Significant",
    "baseline": "Baseline",
    "surge_model": "Model",
    "rings": "Rings",
    "radius_m": "Radius (m)",
    "start": "Start (UTC)",
    "end": "End (UTC)",
    "window_start": "Window start (UTC)",
    "window_end": "Window end (UTC)",
    "share_reports": "Share of reports",
    "share_area": "Share of area",
    "zone": "Zone",
    "name": "Name",
    "reports": "Reports",
    # The Upload page's batch history.
    "filename": "File",
    "sha256": "SHA-256",
    "format": "Format",
    "uploaded_at": "Uploaded (UTC)",
    "uploader": "Uploaded by",
    "n_features": "Features",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "duplicates": "Duplicates",
    "retracted_at": "Retracted (UTC)",
    "retracted_by": "Retracted by",
    "retract_reason": "Why retracted",
    "restored_at": "Restored (UTC)",
    "restored_by": "Restored by",
    "restore_reason": "Why restored",
    "batch_status": "Status",
    # The Audit page's log.
    "seq": "No.",
    "at": "Time (UTC)",
    "who": "Who",
    "action": "Action",
    "what": "What",
    "hashes": "Content hashes (SHA-256)",
}

_UNDERSCORE = re.compile(r"_+")


def probability_percent(p: float) -> str:
    """A probability as a whole percent, rounded down: never shown higher than it is.

    0.9496 reads "94%", not a "95%" that would seem to meet a 0.95 threshold; the score's sentences
    round down too (to two decimals), so a table and its sentence agree.

    Examples
    --------
    >>> probability_percent(0.7695), probability_percent(0.9496), probability_percent(1.0)
    ('76%', '94%', '100%')
    """
    return f"{math.floor(round(p * 100, 6)):d}%"


def label(value: object, column: str | None = None) -> str:
    """Return the words a person reads for a code.

    Parameters
    ----------
    value
        A code as the data holds it (``outgoing_fire``); any other value is returned as text.
    column
        The column or vocabulary it comes from (a key of :data:`VOCABULARIES`); without one the
        code is looked up in every vocabulary (they agree where a code is in several).

    Examples
    --------
    >>> label("artillery_ge100mm", "weapon")
    'Artillery (100 mm or more)'
    >>> label("FLIGHT_OVER_SECURITY_ZONE")
    'Flight over the security zone'
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value)
    vocabulary = VOCABULARIES.get(column) if column else None
    if vocabulary is not None and text in vocabulary:
        return vocabulary[text]
    if text in _ALL:
        return _ALL[text]
    return text


def labels(values: Iterable[object], column: str | None = None) -> list[str]:
    """Return :func:`label` of each value."""
    return [label(v, column) for v in values]


def column_label(column: object) -> str:
    """Return a column's heading: :data:`COLUMN_LABELS`, else its name with underscores as spaces."""
    text = str(column)
    if text in COLUMN_LABELS:
        return COLUMN_LABELS[text]
    if "_" not in text:
        return text
    words = _UNDERSCORE.sub(" ", text).strip()
    return words[:1].upper() + words[1:]


def distance_band(from_km: float, to_km: float) -> str:
    """Return a band of distance to the line in words: ``"2-5 km"``, the last ``"50 km or more"``.

    Examples
    --------
    >>> distance_band(0, 1), distance_band(50, float("inf"))
    ('0-1 km', '50 km or more')
    """
    if to_km == float("inf"):
        return f"{from_km:g} km or more"
    return f"{from_km:g}-{to_km:g} km"


def reason_text(code: str, weight: float | None = None) -> str:
    """Return a reason as a person reads it: its words, then its weight in the score when given."""
    words = label(code, "code")
    return words if weight is None else f"{words} ({weight:g})"


def label_frame(
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    index: str | None = None,
    headings: bool = True,
) -> pd.DataFrame:
    """Return ``frame`` for reading: codes in known columns as words, headings as words.

    Columns named in :data:`VOCABULARIES` (or mapped to one by ``columns``: ``{"kind": "zone_kind"}``)
    have their codes replaced by :func:`label`; ``index`` names the vocabulary of the index's
    values, if they are codes. Headings go through :func:`column_label` unless ``headings`` is
    false (a page that labels them in its column configuration). The frame's shape, order and index
    positions are kept, so a selected row's position still indexes the original. The frame is not
    changed.
    """
    vocabulary_of = {c: c for c in frame.columns if c in VOCABULARIES and c != "level"}
    vocabulary_of.update(columns or {})
    out = frame.copy(deep=False)
    for column, vocabulary in vocabulary_of.items():
        if column not in out.columns:
            continue
        series = out[column]
        words = {v: label(v, vocabulary) for v in pd.unique(series.dropna().astype(str))}
        out[column] = series.astype(object).map(lambda v, w=words: w.get(str(v), v) if pd.notna(v) else v)
    if index is not None:
        out.index = pd.Index([label(v, index) for v in out.index], name=out.index.name)
    if not headings:
        return out
    return out.rename(columns={c: column_label(c) for c in out.columns if isinstance(c, str)})


def label_fields(frame: pd.DataFrame, *, field: str = "field", value: str = "value") -> pd.DataFrame:
    """Return a table of one record's fields (``field``, ``value``) for reading: each field's name in
    words (:func:`column_label`) and its value in words when the field holds codes."""
    out = frame.copy(deep=False)
    out[value] = [
        label(v, f) if f in VOCABULARIES and isinstance(v, str) else v
        for f, v in zip(frame[field], frame[value], strict=True)
    ]
    out[field] = [column_label(f) for f in frame[field]]
    return out


def raw_codes() -> frozenset[str]:
    """Every code that is no word: what a person must never read as it is stored.

    Codes with an underscore (``outgoing_fire``, ``FLIGHT_OVER_SECURITY_ZONE``) and abbreviations
    written in lower case (``mlrs``, ``uav``, ``ngo``). ``impact``, ``mortar`` or ``likely`` are words
    already (shown with a capital), so a text that holds them says nothing about a raw code.
    """
    return frozenset(
        code
        for vocabulary in VOCABULARIES.values()
        for code, words in vocabulary.items()
        if "_" in code or (code.islower() and code.upper() in words)
    )


def _merged() -> dict[str, str]:
    """Codes and words of every vocabulary; a code two vocabularies word differently ("none") reads
    as itself with a capital, and a side ("UA") as the side of the line it names."""
    found: dict[str, set[str]] = {}
    for name, vocabulary in VOCABULARIES.items():
        if name in ("colour_by", "attributed_side", "origin_side"):
            continue
        for code, words in vocabulary.items():
            found.setdefault(code, set()).add(words)
    return {code: words.pop() if len(words) == 1 else code.capitalize() for code, words in found.items()}


_ALL = _merged()
