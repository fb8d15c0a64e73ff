"""The map's styles: Leaflet options and legend words built on :mod:`geo.palette`, which owns every colour.

Categories that need more hues than a colour-blind-safe palette has carry a second channel (filled
or hollow).
"""

from __future__ import annotations

from geo import labels, palette
from geo.labels import SIDE_LABELS, ZONE_LABELS  # noqa: F401  (the words are geo.labels'; kept here for the maps)
from geo.palette import (  # noqa: F401  (the palette's names, where the map's modules read them)
    BLACK,
    BLUE,
    FLAG_COLOURS,
    GREEN,
    GREY,
    HEX_COUNT_COLOURS,
    HEX_FILL_OPACITY,
    HEX_OUTLINE,
    HOTSPOT_COLOURS,
    ORANGE,
    PURPLE,
    SIDE_COLOURS,
    SKY_BLUE,
    SOURCE_TYPE_COLOURS,
    TYPE_COLOURS,
    VERMILLION,
    WEAPON_COLOURS,
    YELLOW,
)
from geo.schema import FIRE_TYPES, INCIDENT_TYPES

# colour_by option -> (column, colours, label for the legend title)
COLOUR_SCHEMES: dict[str, tuple[str, dict[str, str], str]] = {
    "type": ("type", TYPE_COLOURS, "Incident type"),
    "weapon": ("weapon", WEAPON_COLOURS, "Weapon"),
    "source_type": ("source_type", SOURCE_TYPE_COLOURS, "Source type"),
    "side": ("side", SIDE_COLOURS, "Side of the line"),
    "flag_level": ("flag_level", FLAG_COLOURS, "Violation flag"),
}
MISSING_COLOUR = palette.MISSING

# Control areas: a light neutral tint each, outlined (geo.palette.CONTROL_FILLS).
CONTROL_AREA_STYLES: dict[str, dict[str, object]] = {
    side: {"color": palette.AREA_OUTLINE, "weight": 1, "fillColor": fill, "fillOpacity": opacity}
    for side, (fill, opacity) in palette.CONTROL_FILLS.items()
}


def control_area_style(side: str, kind: str = "") -> dict[str, object]:
    """Leaflet path options of ``side``'s control area of ``kind`` (the scenario's ``kind``).

    Occupied ground is outlined darker and dashed (a canvas map draws no hatching; the briefing
    image hatches it); a state's own ground behind the line is fainter (geo.palette.control_fill)
    and unoutlined, so that the border it shares with occupied ground is that ground's outline.
    """
    fill, opacity = palette.control_fill(side, kind)
    out = {**CONTROL_AREA_STYLES[side], "fillColor": fill, "fillOpacity": opacity}
    if kind == "occupied":
        out |= {"color": palette.OCCUPIED_OUTLINE, "weight": 2, "dashArray": "6 4"}
    elif side == "RU" and kind == "state":
        out |= {"weight": 0}
    return out


# The control areas by side and kind, in the order they are drawn and listed (map, image, legends):
# Ukrainian-held first, the state's own ground behind the line last.
GROUND_ORDER: tuple[tuple[str, str], ...] = (
    ("UA", "state"),
    ("UA", ""),
    ("UA", "occupied"),
    ("RU", "occupied"),
    ("RU", ""),
    ("RU", "state"),
)

CONTACT_LINE = {"color": palette.LINE, "weight": 3.5, "opacity": 0.95}
EARLIER_LINE = {"color": palette.EARLIER_LINE, "weight": 2, "opacity": 0.8, "dashArray": "6 6"}

_ZONE_LINES: dict[str, dict[str, object]] = {
    "security_zone": {"weight": 2, "dashArray": "8 4"},
    "disengagement_area": {"weight": 2},
    "op_coverage": {"weight": 1.5, "dashArray": "3 3"},
    "protected_site": {"weight": 2},
    "designated_range": {"weight": 2, "dashArray": "2 4"},
}
ZONE_STYLES: dict[str, dict[str, object]] = {
    kind: {"color": colour, "fillColor": colour, "fillOpacity": opacity, **_ZONE_LINES[kind]}
    for kind, (colour, opacity) in palette.ZONE_COLOURS.items()
}

# Zone kinds whose layer starts switched off: post coverage zones repeat the posts' range circles.
HIDDEN_ZONE_KINDS: frozenset[str] = frozenset({"op_coverage"})

CLUSTER_STYLE = {"color": palette.CLUSTER, "weight": 2.5, "fillColor": palette.CLUSTER, "fillOpacity": 0.08}

POST_COLOUR = palette.POST
POST_COVERAGE = {"color": palette.POST_RANGE, "weight": 1.2, "dashArray": "3 4", "fillOpacity": 0.04}

COUNTRIES = {"color": palette.BORDER, "weight": 1, "fillColor": palette.LAND, "fillOpacity": 1.0}
BACKGROUND = palette.SEA

# Sizes read at projector distance: markers of 7 px radius, legend text of 14 px.
MARKER_RADIUS = 7
SELECTED_RADIUS = 12
MARKER_WEIGHT = 1.5
LEGEND_FONT_PX = 14


def label(value: str, column: str | None = None) -> str:
    """Return a category value as words for people (:func:`geo.labels.label`):
    ``artillery_ge100mm`` -> "Artillery (100 mm or more)"."""
    words = labels.label(value, column)
    return words if words != value else value.replace("_", " ").capitalize()


# Values drawn as a grey ring: "not known" (no flag level, outside every control area), apart from
# the greys of a real answer such as "ambiguous".
_HOLLOW_UNKNOWN: dict[str, frozenset[str]] = {"flag_level": frozenset({"none"}), "side": frozenset({"none"})}


def is_hollow(column: str, value: object) -> bool:
    """Whether a category is drawn hollow: non-fire incident types (the second channel), and "not known"."""
    if column == "type":
        return value in INCIDENT_TYPES and value not in FIRE_TYPES
    return value in _HOLLOW_UNKNOWN.get(column, frozenset())
