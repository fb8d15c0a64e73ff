"""The vocabulary of an agreement file: the rules the engine knows, their parameters, placeholders and texts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo.labels import WEAPON_PHRASES
from geo.scenario import ZONE_KINDS  # noqa: F401  (re-exported: the kinds a rule may name)
from geo.schema import FIRE_TYPES, INCIDENT_TYPES

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
WIDTH_APPLIES: tuple[str, ...] = ("total", "per_side")
# A reference line that is not a fixed version: the line in force when the report occurred.
IN_FORCE = "in_force"
# How a reason moves an event's score (geo.score): a breach is evidence of a violation, a mitigation
# (a notified activity, an observer's lawful assessment) scales it down, a cap keeps it at most
# 'possible' (a time that may fall before the ceasefire took effect).
EFFECTS: tuple[str, ...] = ("breach", "mitigate", "cap")
# What a party may notify in advance (a [[notifications]] entry's `activity`).
NOTIFIED_ACTIVITIES: tuple[str, ...] = (
    "demining",
    "controlled_detonation",
    "training",
    "weapons_movement",
    "other",
)
# Phrases of an observer's `assessment` that mean a lawful activity (ASSESSED_LAWFUL's default).
LAWFUL_PHRASES: tuple[str, ...] = (
    "controlled detonation",
    "controlled explosion",
    "demining",
    "mine clearance",
    "explosive ordnance disposal",
    "live-fire training",
    "live fire training",
    "live-fire exercise",
    "live fire exercise",
    "training on a designated range",
    "not a ceasefire violation",
)
# Types whose location is where fire landed.
IMPACT_TYPES: tuple[str, ...] = ("impact", "undetermined_explosion", "air_or_drone_strike")
# Types whose location is where the weapon was (as in geo.score).
POSITION_TYPES: tuple[str, ...] = ("outgoing_fire", "muzzle_flash", "weapon_sighting")
SORTED_FIRE_TYPES: tuple[str, ...] = tuple(t for t in INCIDENT_TYPES if t in FIRE_TYPES)

# Short names of the weapon classes for sentences ("{weapon_label}"): geo.labels holds every code's words.
WEAPON_LABELS: dict[str, str] = WEAPON_PHRASES

# Placeholders every sentence may use, filled from the report and the agreement; all are text.
COMMON_PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "uid",
        "id",
        "source",
        "what",
        "type",
        "weapon",
        "weapon_label",
        "count",
        "when",
        "side",
        "side_label",
        "place",
        "dist_km",
        "line_version",
        "agreement",
        "short_name",
        "effective_at",
        "clause",
    }
)


@dataclass(frozen=True)
class RuleSpec:
    """One rule the engine can evaluate.

    Parameters
    ----------
    code
        The reason code, also the key of the rule's table in the agreement file.
    summary
        What fires it, one sentence for the docs.
    params
        Parameter names and their defaults (None: not set unless the file sets it).
    placeholders
        Placeholders the sentence may use besides :data:`COMMON_PLACEHOLDERS`.
    sentence
        The default sentence template.
    effect
        One of :data:`EFFECTS`.
    default
        For rules every agreement has unless its file says otherwise (mitigations and the cap): the
        ``severity``, ``weight`` and ``clause`` used when the file has no table for the rule.
    """

    code: str
    summary: str
    params: dict[str, Any]
    placeholders: frozenset[str]
    sentence: str
    effect: str = "breach"
    default: dict[str, Any] | None = None


RULE_SPECS: dict[str, RuleSpec] = {
    s.code: s
    for s in (
        RuleSpec(
            "FIRE_AFTER_EFFECTIVE",
            "A report of one of `types` (and, if given, one of `weapons`) at or after `effective_at`; "
            "when set, only within `max_line_dist_km` of the contact line in force and outside zones "
            "of `exempt_zone_kinds` (designated ranges).",
            {"types": SORTED_FIRE_TYPES, "weapons": None, "max_line_dist_km": None, "exempt_zone_kinds": ()},
            frozenset(),
            "{what} reported {when}, {place}, after the ceasefire took effect on {effective_at} "
            "({short_name}, {clause}).",
        ),
        RuleSpec(
            "HEAVY_WEAPON_IN_ZONE",
            "A weapon of a withdrawn class reported (`types`, at the report's location) inside its withdrawal "
            "zone, or fire (`origin_types`) whose estimated origin lies inside it, at or after the class's "
            "`complete_by`.",
            {
                "types": POSITION_TYPES,
                "origin_types": tuple(t for t in SORTED_FIRE_TYPES if t not in POSITION_TYPES),
            },
            frozenset(
                {
                    "how",
                    "width_km",
                    "total_width_km",
                    "reference",
                    "ref_dist_km",
                    "zone_side",
                    "zone_side_label",
                }
            ),
            "{weapon_label} {how} {ref_dist_km} km from {reference} on the {zone_side}-controlled side, "
            "inside the {width_km} km withdrawal zone that side must keep clear ({short_name}, {clause}).",
        ),
        RuleSpec(
            "FLIGHT_OVER_SECURITY_ZONE",
            "A report of one of `types` or with one of `weapons` inside a zone of `zone_kinds` or, when "
            "`band_km` is set, within `band_km` of the contact line in force.",
            {
                "types": ("air_or_drone_strike",),
                "weapons": ("aircraft", "uav"),
                "zone_kinds": ("security_zone",),
                "band_km": None,
            },
            frozenset({"over", "zone_name", "band_km"}),
            "{what} ({weapon_label}) reported {when} {over}, where flights are prohibited ({short_name}, {clause}).",
        ),
        RuleSpec(
            "ATTACK_ON_MONITORS",
            "A report of one of `types` within `within_km` of an observation post.",
            {"types": SORTED_FIRE_TYPES, "within_km": 1.0},
            frozenset({"post_name", "post_dist_km", "within_km"}),
            "{what} reported {when} {post_dist_km} km from the observation post {post_name}, within the "
            "{within_km} km protected around monitors ({short_name}, {clause}).",
        ),
        RuleSpec(
            "MONITOR_RESTRICTION",
            "A report of one of `types` (by default `restriction_of_monitors`).",
            {"types": ("restriction_of_monitors",)},
            frozenset(),
            "Monitors' access or freedom of movement was restricted {when}, {place} ({short_name}, {clause}).",
        ),
        RuleSpec(
            "DISENGAGEMENT_ACTIVITY",
            "A report of one of `types` (by default any) within `buffer_km` of a disengagement area.",
            {"types": INCIDENT_TYPES, "buffer_km": 5.0},
            frozenset({"zone_name", "zone_dist_km", "buffer_km"}),
            "{what} reported {when} {zone_dist_km} km from the disengagement area {zone_name}, within its "
            "{buffer_km} km buffer ({short_name}, {clause}).",
        ),
        RuleSpec(
            "PROTECTED_SITE",
            "A report of one of `types` (by default landing fire) inside or within `within_km` of a "
            "protected site.",
            {"types": IMPACT_TYPES, "within_km": 0.5},
            frozenset({"zone_name", "zone_dist_km", "within_km"}),
            "{what} reported {when} {zone_dist_km} km from the protected site {zone_name} (within "
            "{within_km} km) ({short_name}, {clause}).",
        ),
        RuleSpec(
            "LINE_CROSSING",
            "A report of one of `types` (by default `line_crossing`).",
            {"types": ("line_crossing",)},
            frozenset(),
            "A crossing of the contact line was reported {when}, {place} ({short_name}, {clause}).",
        ),
        RuleSpec(
            "NOTIFIED_ACTIVITY",
            "A report of one of `types` within a [[notifications]] entry's radius (plus the report's own "
            "location uncertainty) and its time window (widened by `slack_min`): the notified activity "
            "is the likely cause.",
            {"types": SORTED_FIRE_TYPES, "slack_min": 30.0},
            frozenset(
                {"notice_id", "notice_party", "notice_party_label", "activity", "notice_dist_km", "window"}
            ),
            "{what} reported {when} {notice_dist_km} km from the {activity} the {notice_party_label} "
            "notified in advance ({notice_id}, {window}); the notified activity is the likely cause.",
            effect="mitigate",
            default={"severity": "low", "weight": 0.9, "clause": "advance notification"},
        ),
        RuleSpec(
            "ASSESSED_LAWFUL",
            "A report whose observer's `assessment` contains one of `phrases` (case does not matter).",
            {"phrases": LAWFUL_PHRASES},
            frozenset({"assessment"}),
            'The observer assessed it as lawful activity: "{assessment}".',
            effect="mitigate",
            default={"severity": "low", "weight": 0.9, "clause": "observer's assessment"},
        ),
        RuleSpec(
            "STRADDLES_EFFECTIVE",
            "A report another rule fired on whose time is known only to an interval (its `occurred_from` "
            "to `occurred_to`, or its `time_precision` about `occurred_at`) that begins before "
            "`effective_at` and ends at or after it: it may predate the ceasefire.",
            {},
            frozenset({"interval"}),
            "Its time is known only as {interval}, which begins before the ceasefire took effect on "
            "{effective_at}: it may predate the ceasefire, so it is at most a possible violation.",
            effect="cap",
            default={"severity": "low", "weight": 1.0, "clause": "time of the report"},
        ),
    )
}

# Parameter names by the vocabulary their values come from.
TYPE_PARAMS = frozenset({"types", "origin_types"})
WEAPON_PARAMS = frozenset({"weapons"})
ZONE_KIND_PARAMS = frozenset({"zone_kinds", "exempt_zone_kinds"})
KM_PARAMS = frozenset({"within_km", "buffer_km", "band_km", "max_line_dist_km"})
MINUTE_PARAMS = frozenset({"slack_min"})
PHRASE_PARAMS = frozenset({"phrases"})
