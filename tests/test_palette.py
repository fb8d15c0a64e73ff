"""The palette read as a person reads it: contrast of every dot on the ground it sits on, and how far
apart the colours of one legend are, in normal and simulated colour-blind vision.

Figures (printed by ``pytest -s tests/test_palette.py``, and written to test-artifacts/palette.txt):

- **Contrast** is WCAG 2.1's ratio of relative luminances, (L1 + 0.05) / (L2 + 0.05), with sRGB
  linearised as the standard says. A dot must reach **3:1** against every ground it can sit on:
  WCAG 2.1 success criterion 1.4.11 (non-text contrast) asks 3:1 for the graphical objects needed to
  understand content. The grounds are the light basemap (land and sea of the offline context layer),
  each control area's tint laid at its opacity over land, and each zone's faint fill over land. The
  charts' colours reach 3:1 on white paper and on Streamlit's dark theme background, where the app's
  Altair charts are drawn.
- **Distance** is CIEDE2000 (Sharma, Wu and Dalal 2005) in CIELAB under D65. Two colours of one
  legend (the four flag levels; the sides) must be at least **20** apart in normal vision: a ΔE00
  of 1 is a just-noticeable difference between large patches, and marks of a few pixels need
  several times more (Szafir 2018, "Modeling Color Difference for Visualization Design", IEEE TVCG
  24(1)), so 20 keeps two 14-pixel dots apart at a glance. Under simulated deuteranopia and protanopia
  (Machado, Oliveira and Fernandes 2009, "A Physiologically-based Model for Simulation of Color
  Vision Deficiency", IEEE TVCG 15(6), the severity 1.0 matrices applied to linear RGB) two filled
  dots must stay **10** apart (ten times a large-patch difference, about the distance Tol's own
  colour-blind-safe schemes keep between neighbours). A ring and a dot differ in shape as well, so
  they need half of each (10 in normal vision, 5 in simulated). A hued flag colour and a hued side
  colour mean different things and must not be mistaken for each other in normal vision: at least
  **15** apart (the greys mean "not known" in both legends, on purpose).
- **Neutral ground**: the control areas as seen on land have a CIELAB chroma C*ab under **6** (no hue
  family a dot could share); every hued dot colour has a chroma over **20**, more than three times as much.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from geo import palette
from geo.maps import style

ROOT = Path(__file__).resolve().parents[1]
CONTRAST_MIN = 3.0
LEGEND_DE_MIN = 20.0
CVD_DE_MIN = 10.0
CROSS_DE_MIN = 15.0
NEUTRAL_CHROMA_MAX = 6.0
HUED_CHROMA_MIN = 20.0

# Machado et al. (2009), Table 1, severity 1.0: linear RGB -> simulated linear RGB.
MACHADO = {
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
}
# sRGB (IEC 61966-2-1) linear RGB -> CIE XYZ, D65; and the D65 white point.
SRGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
D65 = np.array([0.95047, 1.0, 1.08883])


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def _linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _encode(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0, 1)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance."""
    return float(_linear(_rgb(colour)) @ [0.2126, 0.7152, 0.0722])


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio, 1 to 21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _lab(rgb: np.ndarray) -> np.ndarray:
    xyz = SRGB_TO_XYZ @ _linear(rgb) / D65
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def chroma(colour: str) -> float:
    """CIELAB chroma C*ab."""
    _, a, b = _lab(_rgb(colour))
    return float(np.hypot(a, b))


def delta_e(rgb1: np.ndarray, rgb2: np.ndarray) -> float:
    """CIEDE2000 between two sRGB colours (components 0..1), after Sharma, Wu and Dalal (2005)."""
    (l1, a1, b1), (l2, a2, b2) = _lab(rgb1), _lab(rgb2)
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = np.degrees(np.arctan2(b1, a1p)) % 360, np.degrees(np.arctan2(b2, a2p)) % 360
    dlp, dcp = l2 - l1, c2p - c1p
    dhp = 0.0 if c1p * c2p == 0 else (h2p - h1p + 180) % 360 - 180
    dhp_big = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dhp) / 2)
    l_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * np.cos(np.radians(h_bar - 30))
        + 0.24 * np.cos(np.radians(2 * h_bar))
        + 0.32 * np.cos(np.radians(3 * h_bar + 6))
        - 0.20 * np.cos(np.radians(4 * h_bar - 63))
    )
    d_theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(cp_bar**7 / (cp_bar**7 + 25**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    terms = (dlp / s_l) ** 2 + (dcp / s_c) ** 2 + (dhp_big / s_h) ** 2 + r_t * (dcp / s_c) * (dhp_big / s_h)
    return float(np.sqrt(terms))


def simulate(colour: str, vision: str) -> np.ndarray:
    """The colour as a dichromat sees it (Machado 2009), as sRGB components 0..1."""
    return _encode(MACHADO[vision] @ _linear(_rgb(colour)))


def distance(a: str, b: str, vision: str = "normal") -> float:
    if vision == "normal":
        return delta_e(_rgb(a), _rgb(b))
    return delta_e(simulate(a, vision), simulate(b, vision))


# What a dot can be: name -> (colour, drawn hollow).
FLAG_DOTS = {
    **{f"flag {k}": (v, False) for k, v in palette.FLAG_COLOURS.items()},
    "flag not assessed": (palette.NOT_ASSESSED, True),
}
SIDE_DOTS = {
    "side UA": (palette.SIDE_COLOURS["UA"], False),
    "side RU": (palette.SIDE_COLOURS["RU"], False),
    "side undetermined": (palette.SIDE_COLOURS["undetermined"], False),
    "side outside areas": (palette.SIDE_COLOURS["none"], True),
}
DOTS = {**FLAG_DOTS, **SIDE_DOTS}


# Every control area a dot can sit on: each side's tint, and the kinds the scenario draws apart.
AREAS = [*((side, "") for side in palette.CONTROL_FILLS), ("RU", "occupied"), ("RU", "state")]


def grounds() -> dict[str, str]:
    """Every ground a dot sits on, as the eye sees it: the basemap, and each area laid over land."""
    out = {"land": palette.LAND, "sea": palette.SEA}
    for side, kind in AREAS:
        out[f"{side} {kind or 'control'} area"] = palette.control_swatch(side, kind)
    for kind, (colour, opacity) in palette.ZONE_COLOURS.items():
        out[f"zone {kind}"] = palette.over(colour, opacity)
        for side, area_kind in AREAS:
            out[f"zone {kind} in {side} {area_kind or 'control'} area"] = palette.over(
                colour, opacity, palette.control_swatch(side, area_kind)
            )
    return out


def figures() -> str:
    """The figures as a text table (printed, and kept with the test artifacts)."""
    ground = grounds()
    lines = ["Contrast (WCAG 2.1) of each dot colour on each ground; minimum required 3.0", ""]
    width = max(map(len, ground))
    lines.append(" " * (width + 2) + "".join(f"{name[:12]:>13}" for name in DOTS))
    for gname, gcolour in ground.items():
        row = "".join(f"{contrast(c, gcolour):13.2f}" for c, _ in DOTS.values())
        lines.append(f"{gname:<{width}}  {row}")
    lines += ["", "Chart colours on white and on the dark theme's background"]
    for name in ("CHART_SERIES", "CHART_BASELINE", "CHART_ALERT"):
        colour = getattr(palette, name)
        lines.append(
            f"  {name:<15} {colour}  white {contrast(colour, palette.PAPER):5.2f}"
            f"  dark {contrast(colour, palette.DARK_THEME_BACKGROUND):5.2f}"
        )
    lines += ["", "CIEDE2000 between the colours of one legend (normal / deuteranopia / protanopia)"]
    for scheme in (FLAG_DOTS, SIDE_DOTS):
        for (a, (ca, _)), (b, (cb, _)) in itertools.combinations(scheme.items(), 2):
            figures_ = [distance(ca, cb, v) for v in ("normal", "deuteranopia", "protanopia")]
            lines.append(f"  {a:>18} - {b:<18} " + " / ".join(f"{f:5.1f}" for f in figures_))
    lines += ["", "CIEDE2000 between a flag colour and a side colour (normal vision)"]
    for (a, (ca, _)), (b, (cb, _)) in itertools.product(FLAG_DOTS.items(), SIDE_DOTS.items()):
        lines.append(f"  {a:>18} - {b:<18} {distance(ca, cb):5.1f}")
    lines += ["", "Chroma C*ab of the control areas on land"]
    lines += [f"  {side} {kind}: {chroma(palette.control_swatch(side, kind)):.1f}" for side, kind in AREAS]
    return "\n".join(lines)


@pytest.fixture(scope="module", autouse=True)
def record_figures():
    text = figures()
    print("\n" + text)
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "palette.txt").write_text(text + "\n")


def test_the_colour_science_matches_published_values():
    # WCAG: black on white is 21:1; CIEDE2000 test pair 1 of Sharma et al. is checked through Lab.
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert luminance("#808080") == pytest.approx(0.2159, abs=1e-4)
    assert _lab(_rgb("#FFFFFF")) == pytest.approx([100.0, 0.0, 0.0], abs=0.01)
    assert distance("#FF0000", "#FF0000") == 0.0
    # Dichromats cannot tell a pure red from a dark yellow of the same luminance as well as others.
    assert distance("#CC3311", "#999933", "deuteranopia") < distance("#CC3311", "#999933")


@pytest.mark.parametrize("dot", list(DOTS))
def test_every_dot_reads_on_every_ground(dot):
    colour, _ = DOTS[dot]
    low = {
        g: round(contrast(colour, c), 2) for g, c in grounds().items() if contrast(colour, c) < CONTRAST_MIN
    }
    assert low == {}, f"{dot} {colour} below {CONTRAST_MIN}:1 on {low}"


@pytest.mark.parametrize("name", ["CHART_SERIES", "CHART_BASELINE", "CHART_ALERT"])
def test_chart_colours_read_on_paper_and_on_the_dark_theme(name):
    colour = getattr(palette, name)
    assert contrast(colour, palette.PAPER) >= CONTRAST_MIN
    assert contrast(colour, palette.DARK_THEME_BACKGROUND) >= CONTRAST_MIN


def test_the_pack_chart_flag_colours_read_on_paper():
    assert all(contrast(c, palette.PAPER) >= CONTRAST_MIN for c in palette.FLAG_COLOURS.values())


@pytest.mark.parametrize("scheme", [FLAG_DOTS, SIDE_DOTS], ids=["flag levels", "sides"])
def test_the_colours_of_one_legend_stay_apart_also_for_colour_blind_readers(scheme):
    for (a, (ca, ring_a)), (b, (cb, ring_b)) in itertools.combinations(scheme.items(), 2):
        shaped = 0.5 if ring_a != ring_b else 1.0  # a ring and a dot differ in shape too
        assert distance(ca, cb) >= LEGEND_DE_MIN * shaped, (a, b)
        for vision in MACHADO:
            assert distance(ca, cb, vision) >= CVD_DE_MIN * shaped, (a, b, vision)


def test_a_flag_colour_is_never_a_side_colour():
    hued = [(n, c) for n, (c, _) in DOTS.items() if chroma(c) > NEUTRAL_CHROMA_MAX]
    flags = [(n, c) for n, c in hued if n.startswith("flag")]
    sides = [(n, c) for n, c in hued if n.startswith("side")]
    assert len(flags) == 3 and len(sides) == 2
    for (a, ca), (b, cb) in itertools.product(flags, sides):
        assert distance(ca, cb) >= CROSS_DE_MIN, (a, b)


def test_areas_are_neutral_and_dots_are_not():
    for side, kind in AREAS:
        assert chroma(palette.control_swatch(side, kind)) < NEUTRAL_CHROMA_MAX, (side, kind)
    assert chroma(palette.LAND) < NEUTRAL_CHROMA_MAX
    hued = [*palette.FLAG_COLOURS.values(), palette.SIDE_COLOURS["UA"], palette.SIDE_COLOURS["RU"]]
    assert all(chroma(c) > HUED_CHROMA_MIN for c in hued)
    # The two sides' areas differ in lightness, and from land around them.
    ua, ru = palette.control_swatch("UA"), palette.control_swatch("RU")
    assert _lab(_rgb(ua))[0] > _lab(_rgb(palette.LAND))[0] > _lab(_rgb(ru))[0]
    # Russia's own ground behind the line is fainter than the ground it holds across the border.
    state, occupied = palette.control_swatch("RU", "state"), palette.control_swatch("RU", "occupied")
    assert _lab(_rgb(palette.LAND))[0] > _lab(_rgb(state))[0] > _lab(_rgb(occupied))[0] == _lab(_rgb(ru))[0]


def test_the_hexagon_ramp_is_sequential_and_apart_from_the_area_tints():
    lightness = [_lab(_rgb(c))[0] for c in palette.HEX_COUNT_COLOURS]
    assert lightness == sorted(lightness, reverse=True) and len(set(lightness)) == len(lightness)
    # Every class has a hue (the areas have none), and the darkest classes are apart from every tint.
    assert all(chroma(c) > NEUTRAL_CHROMA_MAX * 3 for c in palette.HEX_COUNT_COLOURS)
    tints = [palette.control_swatch(side, kind) for side, kind in AREAS]
    for colour in palette.HEX_COUNT_COLOURS[1:]:
        laid = palette.over(colour, palette.HEX_FILL_OPACITY)
        assert min(distance(laid, t) for t in tints) >= CVD_DE_MIN, colour


def test_the_map_the_image_and_the_charts_take_the_same_palette():
    from geo.report import charts

    assert style.FLAG_COLOURS is palette.FLAG_COLOURS
    assert style.SIDE_COLOURS is palette.SIDE_COLOURS
    assert style.COLOUR_SCHEMES["flag_level"][1] is palette.FLAG_COLOURS
    assert charts.SECTOR_COLOURS is palette.SECTOR_COLOURS
    assert style.HEX_COUNT_COLOURS is palette.HEX_COUNT_COLOURS
    assert {k: s["fillColor"] for k, s in style.CONTROL_AREA_STYLES.items()} == {
        k: fill for k, (fill, _) in palette.CONTROL_FILLS.items()
    }


# Layout greys of the PDF's tables and page furniture (geo/report/pack.py, the PDF's layout), not
# colours of any role above.
LAYOUT_LITERALS = {
    ("geo/report/pack.py", "#BBBBBB"),
    ("geo/report/pack.py", "#EEEEEE"),
    ("geo/report/pack.py", "#333333"),
}


def test_no_colour_is_defined_outside_the_palette():
    """Every hex or rgb() colour literal of geo/, ui/, app_pages/ and app.py is in geo/palette.py."""
    literal = re.compile(r"#[0-9A-Fa-f]{6}\b|#[0-9A-Fa-f]{3}\b|rgba?\(")
    files = [
        ROOT / "app.py",
        *(p for d in ("geo", "ui", "app_pages") for p in sorted((ROOT / d).rglob("*.py"))),
    ]
    found = {
        (str(path.relative_to(ROOT)), match.group(0))
        for path in files
        if path != ROOT / "geo" / "palette.py"
        for match in literal.finditer(path.read_text())
    }
    assert found - LAYOUT_LITERALS == set()


CATEGORY_SCHEMES = {
    "type": palette.TYPE_COLOURS,
    "weapon": palette.WEAPON_COLOURS,
    "source type": palette.SOURCE_TYPE_COLOURS,
}


@pytest.mark.parametrize("scheme", list(CATEGORY_SCHEMES))
def test_every_category_dot_has_an_outline_that_reads_on_every_ground(scheme):
    # Eleven categories need light hues too (the muzzle flash's yellow is 1.2:1 on land): the fill
    # keeps its hue, the outline (geo.palette.ring) is the same hue darkened until it reads.
    low = {
        f"{value} ({colour} ring {palette.ring(colour)}) on {g}": round(contrast(palette.ring(colour), c), 2)
        for value, colour in CATEGORY_SCHEMES[scheme].items()
        for g, c in grounds().items()
        if contrast(palette.ring(colour), c) < CONTRAST_MIN
    }
    assert low == {}
    # A colour that already reads keeps its own outline; a light one gets a darker one of its hue.
    assert palette.ring(palette.BLUE) == palette.BLUE
    assert palette.ring(palette.YELLOW) != palette.YELLOW
    assert contrast(palette.YELLOW, palette.LAND) < CONTRAST_MIN


def test_the_palette_contrast_agrees_with_this_test_s_own():
    for a, b in itertools.combinations([*palette.TYPE_COLOURS.values(), palette.LAND, palette.SEA], 2):
        assert palette.contrast(a, b) == pytest.approx(contrast(a, b), rel=1e-9)
