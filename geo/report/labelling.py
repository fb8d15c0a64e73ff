"""Labels on a matplotlib map that never overlap: each tried at a few offsets, kept where it is free."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from geo import palette

# Offsets in points from the point, with the text's alignment: right, left, above, below, then the
# diagonals; a second ring farther out (drawn with a leader line).
NEAR: tuple[tuple[float, float, str, str], ...] = (
    (4, 0, "left", "center"),
    (-4, 0, "right", "center"),
    (0, 4, "center", "bottom"),
    (0, -4, "center", "top"),
    (3, 3, "left", "bottom"),
    (-3, 3, "right", "bottom"),
    (3, -3, "left", "top"),
    (-3, -3, "right", "top"),
)
FAR: tuple[tuple[float, float, str, str], ...] = tuple((dx * 4, dy * 4, ha, va) for dx, dy, ha, va in NEAR)
HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]


def renderer_of(fig: Figure) -> RendererBase:
    """The figure's renderer (an Agg canvas is attached to a bare Figure), to measure text before saving."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()  # type: ignore[attr-defined]


def extents(artists: Sequence[Any], fig: Figure) -> list[Bbox]:
    """The display boxes of ``artists`` (a scale bar, a north arrow, a legend): places labels keep off."""
    renderer = renderer_of(fig)
    return [a.get_window_extent(renderer) for a in artists]


def place_labels(
    ax: Axes,
    points: Sequence[tuple[float, float]],
    texts: Sequence[str],
    *,
    fontsize: float,
    taken: list[Bbox] | None = None,
    marker_pt: float = 0.0,
    limit: int | None = None,
    far: bool = False,
    **text_kw: Any,
) -> list[int]:
    """Label points in order, each where it overlaps no label, marker or box taken before; return those labelled.

    Parameters
    ----------
    ax
        The axes, with its limits and aspect set (labels must fit inside it).
    points
        Data coordinates, most important first: a label that finds no free place is left out.
    texts
        One label per point.
    fontsize
        In points.
    taken
        Display boxes to keep clear (the furniture); the placed labels and markers are added to it.
    marker_pt
        The size of each point's marker, kept clear of every label.
    limit
        At most this many labels.
    far
        Also try a ring of farther places, joined to their point by a thin line (for labels that
        must not be left out, such as cluster ids a table refers to).
    text_kw
        Passed to :meth:`~matplotlib.axes.Axes.annotate` (colour, weight, zorder).
    """
    fig = ax.figure
    renderer = renderer_of(fig)  # type: ignore[arg-type]
    ax.apply_aspect()
    frame = ax.get_window_extent(renderer)
    taken = taken if taken is not None else []
    pad = marker_pt / 2 * fig.dpi / 72
    placed: list[int] = []
    for i, ((x, y), text) in enumerate(zip(points, texts, strict=True)):
        if limit is not None and len(placed) >= limit:
            break
        mx, my = ax.transData.transform((x, y))
        mark = Bbox.from_extents(mx - pad, my - pad, mx + pad, my + pad)
        if pad and any(mark.overlaps(b) for b in taken):
            continue
        for dx, dy, ha, va in NEAR + (FAR if far else ()):
            arrow = (
                {"arrowstyle": "-", "color": palette.DARK_GREY, "linewidth": 0.5} if (dx, dy) in FAR else None
            )
            label = ax.annotate(
                text,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize,
                path_effects=HALO,
                arrowprops=arrow,
                **text_kw,
            )
            box = label.get_window_extent(renderer).padded(1)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(b) for b in taken):
                taken += [box, mark] if pad else [box]
                placed.append(i)
                break
            label.remove()
    return placed
