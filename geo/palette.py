"""The one palette of the map, the briefing image and the charts: every colour a person reads, by role.

A colour means one thing everywhere: flag levels, attributed sides and the ground they sit on never
share a hue family, so a dot is never the colour of the area under it. The control areas are light
neutral tints (no hue at all), the hexagon counts a sequential ramp apart from them, and each dot
colour keeps WCAG's 3:1 contrast for graphical objects against every area it can sit on (a light
category hue, such as the muzzle flash's yellow, through its outline: :func:`ring`); tests/test_palette.py
computes the figures, also under simulated colour blindness.

Sources, all designed for colour-blind readers:

- Paul Tol, "Colour schemes", SRON technical note SRON/EPS/TN/09-002, issue 3.2 (2021),
  https://personal.sron.nl/~pault/: the *muted*, *vibrant*, *medium-contrast* and *dark* qualitative
  schemes, the *YlOrBr* sequential and *PRGn* diverging schemes (written "Tol muted" and so on below).
- Masataka Okabe and Kei Ito, "Color Universal Design" (2008): the eight-colour qualitative set
  ("Okabe-Ito").
- Cynthia Brewer and Mark Harrower, ColorBrewer 2.0 (colorbrewer2.org): the *YlGn* sequential
  scheme, marked colour-blind safe there.

The module imports nothing but the standard library: the map image and the pack's charts take it
without folium.
"""

from __future__ import annotations

# Okabe-Ito: safe for deuteranopia, protanopia and tritanopia. The incident types use all of them.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#7F7F7F"

# Neutrals: text, outlines and "no answer" categories (Tol dark grey #555555; the rest plain greys).
INK = "#222222"
INK_SOFT = "#444444"
DARK_GREY = "#555555"
MID_GREY = "#777777"
LIGHT_GREY = "#999999"
PAPER = "#FFFFFF"

# Flag levels, worst first: darker is worse (the order survives a greyscale print), and the three
# hues sit far apart on the blue-yellow axis that deuteranopes and protanopes still see.
LIKELY = "#882255"  # Tol muted "wine"
POSSIBLE = "#CC4C02"  # Tol YlOrBr, step 7 of 9
UNLIKELY = "#0077BB"  # Tol vibrant "blue"
NOT_ASSESSED = MID_GREY  # drawn hollow: a ring, not a dot
FLAG_COLOURS: dict[str, str] = {"likely": LIKELY, "possible": POSSIBLE, "unlikely": UNLIKELY}

# Sides: neither side's national colours (the mission is impartial), and hues apart from the flag
# levels', so a side map is never read as a flag map. "Cannot tell" is grey; "outside every control
# area" a grey ring.
UA = "#332288"  # Tol muted "indigo"
RU = "#666633"  # Tol dark "dark yellow" (an olive drab)
UNDETERMINED = "#333333"  # apart from RU's olive and from the grey ring of "outside"
SIDE_COLOURS: dict[str, str] = {
    "UA": UA,
    "RU": RU,
    "ambiguous": UNDETERMINED,
    "undetermined": UNDETERMINED,
    "none": MID_GREY,
}

# The ground: land and sea of the offline context layer, and the control areas as light neutral
# tints over it (the Ukrainian-held area lighter than land, the Russian-held darker), each outlined.
LAND = "#F2EFE9"
SEA = "#C6DBEA"  # the sea and the world outside the clipped countries
BORDER = "#9A9A9A"
AREA_OUTLINE = MID_GREY
CONTROL_FILLS: dict[str, tuple[str, float]] = {"UA": (PAPER, 0.5), "RU": ("#BBBBBB", 0.3)}  # Tol grey
# The control areas by kind (the scenario's ``kind``): a state's own ground behind the line (Russia's)
# is its side's tint at this share of the opacity, unoutlined, so that ground held across a
# recognised border (``occupied``) stands out at the full tint, outlined darker and hatched.
STATE_TINT_SHARE = 0.5
OCCUPIED_OUTLINE = DARK_GREY

# The contact line in force and its earlier versions.
LINE = BLACK
EARLIER_LINE = DARK_GREY

# Zones by kind: coloured outlines (a dash pattern each as a second channel) over faint fills, in Tol
# muted hues that no dot uses. kind -> (outline, fill opacity).
ZONE_COLOURS: dict[str, tuple[str, float]] = {
    "security_zone": ("#44AA99", 0.04),  # Tol muted "teal"
    "disengagement_area": ("#117733", 0.06),  # Tol muted "green"
    "op_coverage": (MID_GREY, 0.05),
    "protected_site": ("#AA4499", 0.08),  # Tol muted "purple"
    "designated_range": ("#999933", 0.05),  # Tol muted "olive"
}

# Observation posts (outlined in their side's colour when they have one) and their range rings.
POST = INK
POST_RANGE = UNDETERMINED

# Reports per hexagon: ColorBrewer YlGn, 6 classes, light to dark; green is neither an area tint nor
# a flag or side colour, so a hexagon's worst-flag outline stays readable on it.
HEX_COUNT_COLOURS: tuple[str, ...] = ("#FFFFCC", "#D9F0A3", "#ADDD8E", "#78C679", "#31A354", "#006837")
HEX_OUTLINE = INK_SOFT
HEX_FILL_OPACITY = 0.6

# Gi* hot and cold spots at 99/95/90 %: Tol PRGn (diverging; purple hot, green cold), apart from the
# flag levels' wine, orange and blue. Space-time clusters are black outlines.
HOTSPOT_COLOURS: dict[str, str] = {
    "hot 99": "#762A83",
    "hot 95": "#9970AB",
    "hot 90": "#C2A5CF",
    "cold 90": "#ACD39E",
    "cold 95": "#5AAE61",
    "cold 99": "#1B7837",
}
HOTSPOT_EDGE = DARK_GREY
CLUSTER = BLACK

# The minimap's box around the view.
MINIMAP_VIEW = INK

# A selected report's fire origin: its wedge and its fix's ellipse.
ORIGIN_WEDGE = LIGHT_GREY
ORIGIN_FIX = BLACK

# The Zones page: ground that changed hands takes its side's colour; a moved stretch and the zone
# being drawn stand out from both (no reports are drawn there).
LINE_MOVED = ORANGE
EDITING = SKY_BLUE

# Incident types: the seven Okabe-Ito hues for fire (drawn filled); the others drawn hollow (a white
# fill, a coloured ring) in Tol muted hues, so type stays readable without colour alone.
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

# Weapon classes in rising order of what the withdrawal rules restrict: Tol muted plus grey.
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
MISSING = MID_GREY  # a category without a colour of its own (drawn hollow where it means "not known")

# Charts (the pack's with matplotlib on white, the app's with Altair on Streamlit's light or dark
# theme): a count series, its baseline and the days flagged as surges.
CHART_SERIES = UNLIKELY
CHART_BASELINE = MID_GREY
CHART_ALERT = POSSIBLE
# Sectors in the pack's trend chart: Tol muted without the wine and indigo of "likely" and "UA".
SECTOR_COLOURS: tuple[str, ...] = (
    "#117733",
    "#AA4499",
    "#44AA99",
    "#CC6677",
    "#999933",
    "#88CCEE",
    "#DDCC77",
    DARK_GREY,
)

# Briefing material: the classification marking, the legend box on the map.
MARKING = "#B00020"
LEGEND_BACKGROUND = "rgba(255,255,255,.93)"
LEGEND_SHADOW = "rgba(0,0,0,.4)"
LEGEND_TEXT = "#111111"
RULE = LIGHT_GREY

# Streamlit's dark theme background (the app follows the browser's preference): the Altair charts
# are drawn on it, so their colours are checked against it too. The map keeps its own light ground.
DARK_THEME_BACKGROUND = "#0E1117"


def over(colour: str, opacity: float, base: str = LAND) -> str:
    """Return ``colour`` laid at ``opacity`` over ``base``, as the eye sees it (``#RRGGBB``).

    Examples
    --------
    >>> over("#000000", 0.5, "#FFFFFF")
    '#808080'
    """
    top = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    ground = [int(base[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = (round(opacity * t + (1 - opacity) * g) for t, g in zip(top, ground, strict=True))
    return "#" + "".join(f"{v:02X}" for v in mixed)


def control_fill(side: str, kind: str = "") -> tuple[str, float]:
    """The fill colour and opacity of ``side``'s control area of ``kind`` (``state``, ``occupied`` or "").

    A state's own ground behind the line (``RU``, ``state``) is fainter; every other area takes
    its side's tint (:data:`CONTROL_FILLS`).

    Examples
    --------
    >>> control_fill("RU", "state")
    ('#BBBBBB', 0.15)
    """
    fill, opacity = CONTROL_FILLS[side]
    if side == "RU" and kind == "state":
        return fill, opacity * STATE_TINT_SHARE
    return fill, opacity


def control_swatch(side: str, kind: str = "") -> str:
    """The control area of ``side`` (of ``kind``) as it looks on land: the colour of its legend swatch."""
    return over(*control_fill(side, kind))


def _luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#RRGGBB``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two colours (1 to 21).

    Examples
    --------
    >>> round(contrast("#000000", "#FFFFFF"), 1)
    21.0
    """
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def light_grounds() -> tuple[str, ...]:
    """The grounds a dot can sit on, as the eye sees them: land, sea, each control area on land,
    and each zone's tint on land and on each control area."""
    areas = [LAND, *(control_swatch(side) for side in CONTROL_FILLS), control_swatch("RU", "state")]
    zones = [over(colour, opacity, area) for colour, opacity in ZONE_COLOURS.values() for area in areas]
    return (*areas, SEA, *zones)


def ring(colour: str, minimum: float = 3.0) -> str:
    """The outline that keeps a dot of ``colour`` readable on every ground (WCAG's 3:1 for graphics).

    ``colour`` itself when it has ``minimum`` contrast on each of :func:`light_grounds`; otherwise
    the same hue darkened (mixed with black in steps of 5 %) until it has. A light category colour
    (the muzzle flash's yellow, 1.2:1 on land) keeps its fill and hue, with an outline that reads.

    Examples
    --------
    >>> ring(LIKELY) == LIKELY
    True
    >>> contrast(ring(YELLOW), LAND) >= 3.0
    True
    """
    grounds = light_grounds()
    for step in range(21):
        darker = over(BLACK, step / 20, colour)
        if all(contrast(darker, g) >= minimum for g in grounds):
            return darker
    return BLACK
