"""Labels on the briefing maps never overlap: settlements on the map image, cluster ids on the pack's map."""

from __future__ import annotations

import itertools

import pytest
from matplotlib.figure import Figure

from geo.filters import Filters, apply_filters
from geo.report.hotspots import hotspot_chart, pack_patterns
from geo.report.labelling import place_labels, renderer_of
from geo.report.mapimage import draw_map, line_time
from geo.report.stamp import make_stamp
from tests.report.conftest import GENERATED_AT

# Views of the demo: the week of one sector, the whole month, and two where settlements crowd
# (Donetsk and its districts; Kherson across the river from Oleshky).
MONTH = {"from": "2026-10-01", "to": "2026-10-31"}
VIEWS = [
    ({"from": "2026-10-05", "to": "2026-10-11", "sector": "Bakhmut"}, None, "slide"),
    (MONTH, None, "a4"),
    (MONTH, (37.5, 47.8, 38.3, 48.3), "slide"),
    (MONTH, (32.0, 46.3, 34.0, 47.3), "a4"),
]


def _overlapping(fig: Figure, texts) -> list[tuple[str, str]]:
    renderer = renderer_of(fig)
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]


@pytest.mark.parametrize(("params", "bounds", "size"), VIEWS)
def test_settlement_labels_do_not_overlap(reports, scenario, settings, params, bounds, size):
    filters = Filters.from_params(params)
    shown = apply_filters(reports, filters)
    fig = draw_map(
        shown,
        scenario,
        filters=filters,
        stamp=make_stamp(shown, filters, generated_at=GENERATED_AT),
        settings=settings,
        bounds=bounds,
        size=size,
    )
    ax = fig.axes[0]
    names = [t for t in ax.texts if t.get_text() != "N"]
    assert len(names) >= 6
    assert not _overlapping(fig, names)
    frame = ax.get_window_extent(renderer_of(fig))
    for text in names:  # none cut at the map's edge
        box = text.get_window_extent(renderer_of(fig))
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


@pytest.mark.parametrize("params", [VIEWS[0][0], VIEWS[1][0]])
def test_cluster_labels_do_not_overlap(reports, scenario, settings, params):
    filters = Filters.from_params(params)
    shown = apply_filters(reports, filters)
    patterns = pack_patterns(shown, settings.scenario_dir)
    fig = hotspot_chart(patterns, shown, scenario, line_time(shown, filters, scenario))
    ids = [t for t in fig.axes[0].texts if t.get_text() in set(patterns.clusters["cluster_id"])]
    assert len(ids) == len(patterns.clusters) > 3  # every cluster named: the table refers to them
    assert not _overlapping(fig, ids)
    legend = fig.axes[0].get_legend().get_window_extent(renderer_of(fig))
    assert not any(t.get_window_extent(renderer_of(fig)).overlaps(legend) for t in ids)


def test_a_label_moves_aside_or_is_left_out():
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    # Three points at one place: each label finds its own place (the farther ring with a leader).
    points, texts = [(5, 5)] * 3, ["Alpha", "Bravo", "Charlie"]
    assert place_labels(ax, points, texts, fontsize=8, far=True) == [0, 1, 2]
    assert not _overlapping(fig, ax.texts)
    for text in list(ax.texts):
        text.remove()
    # With each point's marker kept clear, the others' markers lie under the first: they are left out.
    assert place_labels(ax, points, texts, fontsize=8, marker_pt=4) == [0]
