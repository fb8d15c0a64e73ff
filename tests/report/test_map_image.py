"""The briefing map image read back: size per preset and dpi, non-blank title and legend, the palette, a golden image."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from geo.errors import InputError
from geo.filters import Filters
from geo.maps import style
from geo.report import SIZES, map_image
from geo.report.mapimage import BOTTOM, LEGEND, MARKING, TOP, draw_map
from geo.report.stamp import make_stamp
from tests.report.conftest import GENERATED_AT

GOLDEN = Path(__file__).parent / "golden" / "map_week_bakhmut_slide_60dpi.png"
# Set CM_UPDATE_GOLDEN=1 to write the golden image again after a deliberate change of the drawing.
UPDATE = os.environ.get("CM_UPDATE_GOLDEN") == "1"


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _hex(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])


def _share_near(pixels: np.ndarray, colour: str, tol: int = 12) -> float:
    return float((np.abs(pixels - _hex(colour)).max(axis=2) <= tol).mean())


@pytest.fixture(scope="module")
def week_png(week_reports, scenario, week, settings) -> bytes:
    return map_image(week_reports, scenario, filters=week, settings=settings, generated_at=GENERATED_AT)


@pytest.mark.parametrize(("size", "dpi"), [("slide", 150), ("a4", 150), ("a4", 300)])
def test_sizes_per_preset_and_dpi(week_reports, scenario, week, settings, size, dpi):
    png = map_image(week_reports, scenario, filters=week, settings=settings, size=size, dpi=dpi)
    width, height = Image.open(io.BytesIO(png)).size
    inches = SIZES[size]
    assert abs(width - inches[0] * dpi) <= 1 and abs(height - inches[1] * dpi) <= 1
    assert Image.open(io.BytesIO(png)).info.get("dpi", (dpi, dpi))[0] == pytest.approx(dpi, abs=0.05)


def test_slide_at_150_dpi_is_2000_by_1125(week_png):
    assert Image.open(io.BytesIO(week_png)).size == (2000, 1125)


def test_title_legend_and_footer_are_drawn_and_the_flag_colours_appear(week_png, week_reports):
    pixels = _pixels(week_png)
    h, w, _ = pixels.shape
    ink = (pixels.sum(axis=2) < 600).astype(float)  # anything clearly darker than white
    title = ink[int(0.04 * h) : int(TOP * h), : int(0.6 * w)]
    legend = ink[int(TOP * h) : int((1 - BOTTOM) * h), int((1 - LEGEND) * w) :]
    footer = ink[int((1 - BOTTOM / 2) * h) :, : int(0.6 * w)]
    assert title.mean() > 0.01 and legend.mean() > 0.005 and footer.mean() > 0.002
    present = set(week_reports["flag_level"])
    for level, colour in style.FLAG_COLOURS.items():
        share = _share_near(pixels, colour)
        assert (share > 1e-4) == (level in present), level
    assert _share_near(pixels[: int(0.04 * h)], MARKING, tol=30) > 0.001  # classification marking on top
    assert _share_near(pixels[int(0.97 * h) :], MARKING, tol=30) > 0.001  # and at the bottom


def test_the_legend_counts_each_flag_level(week_reports, scenario, week, settings):
    stamp = make_stamp(week_reports, week, generated_at=GENERATED_AT)
    fig = draw_map(week_reports, scenario, filters=week, stamp=stamp, settings=settings)
    legend_texts = [
        t.get_text()
        for ax in fig.axes
        for lg in ax.findobj(lambda a: hasattr(a, "get_texts"))
        for t in lg.get_texts()
    ]
    counts = week_reports["flag_level"].value_counts()
    for level, n in counts.items():
        assert f"{level.capitalize()} ({n:,})" in legend_texts
    texts = " ".join(t.get_text() for t in fig.texts)
    assert settings.classification in texts and stamp.view_hash[:16] in texts and week.describe() in texts
    assert "2026-10-05 00:00 to 2026-10-11 23:59 UTC" in texts and "GeoNames (CC BY 4.0)" in texts


def test_bounds_are_kept_and_widened_to_the_image_shape(week_reports, scenario, week, settings):
    bounds = (37.6, 48.4, 38.4, 48.8)
    stamp = make_stamp(week_reports, week, generated_at=GENERATED_AT)
    fig = draw_map(week_reports, scenario, filters=week, stamp=stamp, settings=settings, bounds=bounds)
    (x0, x1), (y0, y1) = fig.axes[0].get_xlim(), fig.axes[0].get_ylim()
    assert x0 <= bounds[0] and x1 >= bounds[2] and y0 <= bounds[1] and y1 >= bounds[3]
    # only one direction is widened
    assert (x0, x1) == pytest.approx(bounds[::2]) or (y0, y1) == pytest.approx(bounds[1::2])


def test_same_input_same_bytes_and_svg(week_reports, scenario, week, settings, week_png):
    again = map_image(week_reports, scenario, filters=week, settings=settings, generated_at=GENERATED_AT)
    assert again == week_png
    svg = map_image(
        week_reports, scenario, filters=week, settings=settings, fmt="svg", generated_at=GENERATED_AT
    )
    assert svg.startswith(b"<?xml") and b"<svg" in svg[:600]
    assert svg == map_image(
        week_reports, scenario, filters=week, settings=settings, fmt="svg", generated_at=GENERATED_AT
    )


def test_an_empty_view_still_draws_the_scenario(reports, scenario, settings):
    nothing = Filters.from_params({"from": "2027-01-01", "to": "2027-01-02"})
    empty = reports.iloc[:0]
    stamp = make_stamp(empty, nothing, generated_at=GENERATED_AT)
    fig = draw_map(empty, scenario, filters=nothing, stamp=stamp, settings=settings)
    legend_texts = [
        t.get_text() for lg in fig.axes[1].findobj(lambda a: hasattr(a, "get_texts")) for t in lg.get_texts()
    ]
    assert "no report matches" in legend_texts and any(t.startswith("Contact line") for t in legend_texts)
    assert "(0 reports)" in " ".join(t.get_text() for t in fig.texts)
    pixels = _pixels(map_image(empty, scenario, filters=nothing, settings=settings))
    assert _share_near(pixels, style.BLACK, tol=40) > 0.0005  # the contact line


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": "poster"}, "Unknown image size 'poster'"),
        ({"fmt": "jpg"}, "Unknown image format 'jpg'"),
        ({"dpi": 2000}, "2000 dpi is out of range"),
        ({"colour_by": "mood"}, "colour_by 'mood'"),
        ({"bounds": (38, 48, 37, 49)}, "not \\(minx, miny, maxx, maxy\\)"),
    ],
)
def test_bad_options_are_named(week_reports, scenario, week, settings, kwargs, match):
    with pytest.raises(InputError, match=match) as err:
        map_image(week_reports, scenario, filters=week, settings=settings, **kwargs)
    assert err.value.hint


def test_reports_in_another_crs_are_refused(week_reports, scenario, week, settings):
    with pytest.raises(InputError, match="EPSG:4326"):
        map_image(week_reports.to_crs(3857), scenario, filters=week, settings=settings)


def test_golden_image(week_reports, scenario, week, settings):
    png = map_image(
        week_reports, scenario, filters=week, settings=settings, dpi=60, generated_at=GENERATED_AT
    )
    if UPDATE or not GOLDEN.exists():
        GOLDEN.write_bytes(png)
        pytest.skip(f"wrote the golden image {GOLDEN.name}; commit it")
    got, want = _pixels(png), _pixels(GOLDEN.read_bytes())
    assert got.shape == want.shape
    diff = np.abs(got - want).max(axis=2)
    # Anti-aliasing and font hinting may move a few pixels between machines; a layer lost or moved does not pass.
    assert diff.mean() < 3 and (diff > 60).mean() < 0.01


def _legend_texts(fig) -> list[str]:
    return [
        text.get_text()
        for lg in fig.axes[1].findobj(lambda a: hasattr(a, "get_texts") and hasattr(a, "get_title"))
        for text in [lg.get_title(), *lg.get_texts()]
    ]


def test_an_image_of_a_zoomed_view_counts_only_the_reports_within_its_extent(
    week_reports, scenario, week, settings
):
    # A view about 10 km across around the middle of the week's reports, as a zoomed map sends it.
    x, y = week_reports.geometry.x, week_reports.geometry.y
    lon, lat = float(x.median()), float(y.median())
    bounds = (lon - 0.07, lat - 0.04, lon + 0.07, lat + 0.04)
    stamp = make_stamp(week_reports, week, generated_at=GENERATED_AT)
    fig = draw_map(week_reports, scenario, filters=week, stamp=stamp, settings=settings, bounds=bounds)
    (x0, x1), (y0, y1) = fig.axes[0].get_xlim(), fig.axes[0].get_ylim()
    inside = week_reports.loc[((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)).to_numpy()]
    assert 0 < len(inside) < len(week_reports) / 3
    legend = _legend_texts(fig)
    assert f"Violation flag ({len(inside):,} reports)" in legend
    for level, n in inside["flag_level"].value_counts().items():
        assert f"{level.capitalize()} ({n:,})" in legend
    subtitle = " ".join(t.get_text() for t in fig.texts)
    assert (
        f"{len(inside):,} reports within the image (of {len(week_reports):,} matching the filters)"
        in subtitle
    )
    assert f"· {len(week_reports):,} reports" not in subtitle
    # What map_image stamps is what it draws: the reports within the image.
    from geo.report.mapimage import reports_in_image

    drawn = reports_in_image(week_reports, scenario, filters=week, bounds=bounds)
    assert sorted(week_reports.loc[drawn, "uid"]) == sorted(inside["uid"])


def test_the_image_sizes_its_dots_as_the_map_and_keys_the_sizes(week_reports, scenario, week, settings):
    from matplotlib.collections import PathCollection

    from geo.maps.sizing import MAX_RADIUS, radii, size_values

    stamp = make_stamp(week_reports, week, generated_at=GENERATED_AT)

    def drawn(size_by):
        fig = draw_map(week_reports, scenario, filters=week, stamp=stamp, settings=settings, size_by=size_by)
        sizes = np.concatenate(
            [
                c.get_sizes()
                for ax in fig.axes
                for c in ax.collections
                if isinstance(c, PathCollection) and c.get_zorder() == 7  # the reports (posts at 6)
            ]
        )
        texts = [t.get_text() for ax in fig.axes for lg in ax.findobj(lambda a: hasattr(a, "get_texts"))
                 for t in lg.get_texts()]  # fmt: skip
        return sizes, texts

    uniform, plain = drawn("uniform")
    sized, keyed = drawn("reports")
    counts = size_values(week_reports, "reports")
    assert counts.max() > 1 and len(set(uniform.round(6))) == 1
    # Each dot's area relative to the smallest is the Map page's (the largest capped there too).
    assert sized.max() / sized.min() == pytest.approx((radii(counts).max() / radii(counts).min()) ** 2)
    assert sized.max() <= uniform[0] * (MAX_RADIUS / 7) ** 2 + 1e-6
    assert "Size: reports in its event (area)" in keyed and not any(t.startswith("Size:") for t in plain)
    with pytest.raises(InputError, match="not a way of sizing"):
        map_image(week_reports, scenario, filters=week, settings=settings, size_by="bulk")
