"""The map palette, defined once: every page and briefing colours incidents, sides and zones from here.

Colours come from the Okabe-Ito and Paul Tol palettes, chosen to stay apart for the common forms of
colour blindness; categories that need more hues than that carry a second channel (filled or hollow).
"""

from __future__ import annotations

from geo import labels
from geo.labels import SIDE_LABELS, ZONE_LABELS  # noqa: F401  (the words are geo.labels'; kept here for the maps)
from geo.schema import FIRE_TYPES, INCIDENT_TYPES

# Okabe-Ito: safe for deuteranopia, protanopia and tritanopia.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#7F7F7F"

# Sides: the same two colours for control areas, posts, origins and attribution everywhere.
SIDE_COLOURS: dict[str, str] = {"UA": BLUE, "RU": VERMILLION, "ambiguous": PURPLE, "none": GREY}
CONTROL_FILL_OPACITY = 0.12

# Fire types get the seven Okabe-Ito hues and are drawn filled; the other types are drawn hollow
# (white fill, coloured ring) in Paul Tol's muted hues, so type stays readable without colour alone.
TYPE_COLOURS: dict[str, str] = {
    "impact": VERMILLION,
    "undetermined_explosion": ORANGE,
    "outgoing_fire": BLUE,
    "projectile_in_flight": SKY_BLUE,
    "muzzle_flash": YELLOW,
    "burst_or_shots": GREEN,
    "air_or_drone_strike": PURPLE,
    "illumination_flare": "#DDCC77",
    "weapon_sighting": "#332288",
    "mine": "#882255",
    "line_crossing": "#117733",
    "restriction_of_monitors": "#AA4499",
    "other": GREY,
}

# Weapon classes in rising order of what the withdrawal rules restrict; Paul Tol's muted set plus grey.
WEAPON_COLOURS: dict[str, str] = {
    "small_arms": "#88CCEE",
    "mortar": "#44AA99",
    "artillery_lt100mm": "#117733",
    "artillery_ge100mm": "#DDCC77",
    "mlrs": "#CC6677",
    "heavy_mlrs_tactical_missile": "#882255",
    "tank": "#332288",
    "aircraft": "#AA4499",
    "uav": "#999933",
    "unknown": GREY,
}

FLAG_COLOURS: dict[str, str] = {"likely": VERMILLION, "possible": ORANGE, "unlikely": SKY_BLUE}

SOURCE_TYPE_COLOURS: dict[str, str] = {
    "monitor": BLUE,
    "observation_post": SKY_BLUE,
    "camera": GREEN,
    "uav": "#117733",
    "satellite": PURPLE,
    "party": VERMILLION,
    "media": ORANGE,
    "ngo": YELLOW,
    "open_source": "#882255",
    "other": GREY,
}

# colour_by option -> (column, colours, label for the legend title)
COLOUR_SCHEMES: dict[str, tuple[str, dict[str, str], str]] = {
    "type": ("type", TYPE_COLOURS, "Incident type"),
    "weapon": ("weapon", WEAPON_COLOURS, "Weapon"),
    "source_type": ("source_type", SOURCE_TYPE_COLOURS, "Source type"),
    "side": ("side", SIDE_COLOURS, "Side of the line"),
    "flag_level": ("flag_level", FLAG_COLOURS, "Violation flag"),
}
MISSING_COLOUR = GREY

CONTACT_LINE = {"color": BLACK, "weight": 3.5, "opacity": 0.95}
EARLIER_LINE = {"color": "#555555", "weight": 2, "opacity": 0.8, "dashArray": "6 6"}

ZONE_STYLES: dict[str, dict[str, object]] = {
    "security_zone": {"color": "#332288", "weight": 2, "dashArray": "8 4", "fillOpacity": 0.04},
    "disengagement_area": {"color": GREEN, "weight": 2, "fillColor": GREEN, "fillOpacity": 0.15},
    "op_coverage": {"color": "#44AA99", "weight": 1.5, "dashArray": "3 3", "fillOpacity": 0.05},
    "protected_site": {"color": PURPLE, "weight": 2, "fillColor": PURPLE, "fillOpacity": 0.3},
    "designated_range": {"color": "#997700", "weight": 2, "dashArray": "2 4", "fillOpacity": 0.05},
}

# Zone kinds whose layer starts switched off: post coverage zones repeat the posts' range circles.
HIDDEN_ZONE_KINDS: frozenset[str] = frozenset({"op_coverage"})

# Hexagons of aggregated reports: fill by count on a sequential scale (ColorBrewer YlGnBu, apart
# from the flag and side hues), outline by the worst flag level inside when colouring by flag.
HEX_COUNT_COLOURS: tuple[str, ...] = ("#FFFFCC", "#C7E9B4", "#7FCDBB", "#41B6C4", "#2C7FB8", "#253494")
HEX_OUTLINE = "#444444"
HEX_FILL_OPACITY = 0.6

# Gi* hot and cold spots at 99/95/90 % in ColorBrewer's RdBu (diverging, safe for colour
# blindness); space-time clusters outlined in black.
HOTSPOT_COLOURS: dict[str, str] = {
    "hot 99": "#B2182B",
    "hot 95": "#EF8A62",
    "hot 90": "#FDDBC7",
    "cold 90": "#D1E5F0",
    "cold 95": "#67A9CF",
    "cold 99": "#2166AC",
}
CLUSTER_STYLE = {"color": BLACK, "weight": 2.5, "fillColor": "#000000", "fillOpacity": 0.08}

POST_COLOUR = "#222222"
POST_COVERAGE = {"color": "#333333", "weight": 1.2, "dashArray": "3 4", "fillOpacity": 0.04}

COUNTRIES = {"color": "#9A9A9A", "weight": 1, "fillColor": "#F2EFE9", "fillOpacity": 1.0}
BACKGROUND = "#C6DBEA"  # sea and the world outside the clipped countries

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


def is_hollow(column: str, value: object) -> bool:
    """Whether a category is drawn hollow (the second channel for non-fire incident types)."""
    return column == "type" and value in INCIDENT_TYPES and value not in FIRE_TYPES
