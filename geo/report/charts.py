"""The pack's charts with matplotlib: likely violations per sector over time, and distance profiles."""

from __future__ import annotations

import pandas as pd
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure

from geo import palette
from geo.maps import style

# Sectors are neither flag levels nor sides: the palette's sector colours use none of their hues.
SECTOR_COLOURS = palette.SECTOR_COLOURS
FLAG_ORDER = ("unlikely", "possible", "likely")


def trends_chart(trends: pd.DataFrame, *, size: tuple[float, float] = (7.0, 3.4)) -> Figure:
    """Return a line chart of likely violations per day, one line per sector (see ``sector_trends``)."""
    fig = Figure(figsize=size, facecolor="white")
    ax = fig.add_subplot()
    if trends.empty:
        ax.text(
            0.5, 0.5, "No likely violation in this period", ha="center", va="center", transform=ax.transAxes
        )
        ax.set_axis_off()
        return fig
    order = trends.sum().sort_values(ascending=False).index
    for i, sector in enumerate(order):
        ax.plot(
            trends.index,
            trends[sector],
            color=SECTOR_COLOURS[i % len(SECTOR_COLOURS)],
            linewidth=1.6,
            marker="o",
            markersize=2.5,
            label=f"{sector} ({int(trends[sector].sum()):,})",
        )
    ax.set_ylabel("Likely violations (events) per day")
    # Half a day either side: a period of one day still gets a date axis.
    ax.set_xlim(trends.index.min() - pd.Timedelta(hours=12), trends.index.max() + pd.Timedelta(hours=12))
    ax.xaxis.set_major_locator(AutoDateLocator(maxticks=8))
    ax.xaxis.set_major_formatter(DateFormatter("%d %b"))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncols=2, frameon=False, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def profile_chart(profile: pd.DataFrame, *, size: tuple[float, float] = (7.0, 3.2)) -> Figure:
    """Return stacked bars of reports per distance band, by flag level, one panel per side of the line."""
    fig = Figure(figsize=size, facecolor="white")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, side in zip(axes, ("UA", "RU"), strict=True):
        ax.set_title(f"{style.SIDE_LABELS[side]} side", fontsize=9)
        ax.set_xlabel("Distance to the contact line in force (km)", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        if profile.empty or side not in profile.columns.get_level_values(0):
            continue
        part = profile[side]
        bottom = pd.Series(0, index=part.index)
        width = float(part.index[1] - part.index[0]) if len(part.index) > 1 else 1.0
        for level in FLAG_ORDER:
            if level in part.columns:
                ax.bar(
                    part.index,
                    part[level],
                    width=width,
                    align="edge",
                    bottom=bottom,
                    color=palette.FLAG_COLOURS[level],
                    edgecolor=palette.PAPER,
                    linewidth=0.3,
                    label=level.capitalize(),
                )
                bottom = bottom + part[level]
    axes[0].set_ylabel("Reports", fontsize=8)
    handles, labels = max((ax.get_legend_handles_labels() for ax in axes), key=lambda hl: len(hl[0]))
    if handles:
        axes[1].legend(handles[::-1], labels[::-1], fontsize=7, frameon=False, title="Flag", title_fontsize=7)
    fig.tight_layout()
    return fig
