"""The briefing map: the Map page's layers drawn with matplotlib on the server, the same every time."""

from __future__ import annotations

import io
import math
import textwrap
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from pyproj import Geod

from geo import palette
from geo.crs import theatre_crs
from geo.errors import InputError
from geo.filters import Filters
from geo.gazetteer import load_gazetteer
from geo.labels import ground_label
from geo.maps import style
from geo.maps.aggregate import in_view
from geo.maps.context import countries_frame, ground_as_drawn
from geo.maps.sizing import BASE_RADIUS, UNIFORM, radii, size_key, size_values
from geo.report.labelling import extents, place_labels
from geo.report.stamp import Stamp, make_stamp
from geo.scenario import Scenario
from geo.settings import Settings

# Figure sizes in inches: a 16:9 slide (PowerPoint's widescreen) and A4 landscape.
SIZES: dict[str, tuple[float, float]] = {"slide": (40 / 3, 7.5), "a4": (11.693, 8.268)}
FORMATS = ("png", "svg")
# Figure fractions: the bands above and below the map, and the legend column on the right.
TOP, BOTTOM, LEGEND = 0.17, 0.11, 0.22
# The bands of a map without marking and stamp (a pack's page carries them): title above, attribution below.
UNMARKED_TOP, UNMARKED_BOTTOM = 0.115, 0.07
# Characters of a legend line before it wraps (the legend column at 9 pt).
LEGEND_CHARS = 26
# Pixels (Leaflet) to points (matplotlib) at 96 px per inch.
PX = 0.75
ATTRIBUTION = "Borders: Natural Earth (public domain) · Settlements: GeoNames (CC BY 4.0)"
# The classification marking's colour on briefing material.
MARKING = palette.MARKING
# Above this many incidents, an SVG draws them as one embedded raster (a vector file stays small).
SVG_RASTER_ABOVE = 5_000
# Filled dots get a thin dark outline up to this many incidents.
OUTLINE_MAX = 5_000
_GEOD = Geod(ellps="WGS84")


def _check(size: str, fmt: str, dpi: int, colour_by: str, reports: gpd.GeoDataFrame) -> None:
    if size not in SIZES:
        msg = f"Unknown image size {size!r}."
        raise InputError(msg, hint=f"Use one of {', '.join(SIZES)}.")
    if fmt not in FORMATS:
        msg = f"Unknown image format {fmt!r}."
        raise InputError(msg, hint="Use png or svg.")
    if not 50 <= dpi <= 600:
        msg = f"The resolution {dpi} dpi is out of range."
        raise InputError(msg, hint="Use 150 for screens and slides, 300 for print.")
    if colour_by not in style.COLOUR_SCHEMES:
        msg = f"colour_by {colour_by!r} is not a colour scheme of the map."
        raise InputError(msg, hint=f"Use one of {', '.join(style.COLOUR_SCHEMES)}.")
    if len(reports) and style.COLOUR_SCHEMES[colour_by][0] not in reports.columns:
        msg = f"The reports have no column {style.COLOUR_SCHEMES[colour_by][0]!r} to colour by."
        raise InputError(msg, hint="Pass the analysed reports, or colour by type.")
    if reports.crs is None or reports.crs.to_epsg() != 4326:
        msg = f"The reports have CRS {reports.crs}; the map takes EPSG:4326 (lon/lat)."
        raise InputError(msg, hint="Reproject them with .to_crs(4326).")


def period_of(reports: pd.DataFrame, filters: Filters) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Return the period shown: the filters' ends, else the first and last report's time."""
    times = reports["occurred_at"] if "occurred_at" in reports.columns else pd.Series([], dtype=object)
    start = filters.start if filters.start is not None else (times.min() if len(times) else None)
    end = filters.end if filters.end is not None else (times.max() if len(times) else None)
    return start, end


def period_text(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    """Return ``2026-10-01 00:00 to 2026-10-31 23:59 UTC`` (an open end as an ellipsis)."""
    a = "…" if start is None or pd.isna(start) else f"{start:%Y-%m-%d %H:%M}"
    b = "…" if end is None or pd.isna(end) else f"{end:%Y-%m-%d %H:%M}"
    return f"{a} to {b} UTC"


def line_time(reports: pd.DataFrame, filters: Filters, scenario: Scenario) -> pd.Timestamp:
    """Return the time whose line and control areas are drawn: the period's end, else the last version's start."""
    end = period_of(reports, filters)[1]
    return pd.Timestamp(scenario.lines["valid_from"].max()) if end is None or pd.isna(end) else end


def view_bounds(
    reports: gpd.GeoDataFrame, scenario: Scenario, at: pd.Timestamp, bounds: tuple[float, ...] | None
) -> tuple[float, float, float, float]:
    """Return the lon/lat box to show: ``bounds``, else the reports' (or the line's) box with a margin."""
    if bounds is not None:
        box = tuple(float(v) for v in bounds)
        if len(box) != 4 or not (box[0] < box[2] and box[1] < box[3]) or not all(map(math.isfinite, box)):
            msg = f"The map bounds {bounds} are not (minx, miny, maxx, maxy) in lon/lat."
            raise InputError(
                msg, hint="Give the west, south, east and north edges, west < east, south < north."
            )
        return box  # type: ignore[return-value]
    points = reports.geometry[~(reports.geometry.isna() | reports.geometry.is_empty)]
    minx, miny, maxx, maxy = points.total_bounds if len(points) else scenario.line_at(at).bounds
    pad_x, pad_y = max((maxx - minx) * 0.05, 0.05), max((maxy - miny) * 0.05, 0.05)
    return (minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y)


def _fit(box: tuple[float, float, float, float], width_in: float, height_in: float) -> tuple[float, ...]:
    """Widen ``box`` in one direction so that, at its centre latitude's scale, it fills the axes."""
    minx, miny, maxx, maxy = box
    cos = math.cos(math.radians((miny + maxy) / 2))
    dx, dy = (maxx - minx) * cos, maxy - miny
    if dx / dy < width_in / height_in:
        grow = (dy * width_in / height_in / cos - (maxx - minx)) / 2
        return (minx - grow, miny, maxx + grow, maxy)
    grow = (dx * height_in / width_in - dy) / 2
    return (minx, miny - grow, maxx, maxy + grow)


def _map_inches(size: str | tuple[float, float], *, marked: bool = True) -> tuple[float, float]:
    """Width and height of the map's axes, in inches, for an image size (a name or inches)."""
    width_in, height_in = SIZES[size] if isinstance(size, str) else size
    top, bottom = (TOP, BOTTOM) if marked else (UNMARKED_TOP, UNMARKED_BOTTOM)
    return (1 - LEGEND - 0.075) * width_in, (1 - top - bottom) * height_in


def image_extent(
    reports: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    filters: Filters,
    bounds: tuple[float, ...] | None = None,
    size: str | tuple[float, float] = "slide",
    marked: bool = True,
) -> tuple[float, float, float, float]:
    """The lon/lat box the image shows: ``bounds`` (else the reports' box) widened to the map's shape."""
    at = line_time(reports, filters, scenario)
    return _fit(view_bounds(reports, scenario, at, bounds), *_map_inches(size, marked=marked))  # type: ignore[return-value]


def reports_in_image(
    reports: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    filters: Filters,
    bounds: tuple[float, ...] | None = None,
    size: str = "slide",
) -> np.ndarray:
    """Boolean per report: drawn within the image's extent (:func:`image_extent`), so counted by it.

    A zoomed view's image shows a few of the reports the filters keep: its legend, subtitle and
    stamp count those, never the rest.
    """
    return in_view(reports, image_extent(reports, scenario, filters=filters, bounds=bounds, size=size))


def _ground_at(scenario: Scenario, at: pd.Timestamp) -> list[tuple[str, str, gpd.GeoDataFrame]]:
    """The control areas in force at ``at`` as the scenario file draws them: (side, kind, frame) each."""
    version = scenario.version_at(at)
    ground = scenario.ground if scenario.ground is not None else scenario.control_areas.assign(kind="")
    ground = ground_as_drawn(ground.loc[ground["version"] == version])
    return [
        (side, kind, part)
        for side, kind in style.GROUND_ORDER
        if len(part := ground.loc[(ground["side"] == side) & (ground["kind"] == kind)])
    ]


def _draw_scenario(ax: Axes, scenario: Scenario, at: pd.Timestamp) -> list[Any]:
    """Draw control areas, zones, posts and the line in force; return their legend handles."""
    handles: list[Any] = []
    for side, kind, area in _ground_at(scenario, at):
        fill, opacity = palette.control_fill(side, kind)
        area.plot(ax=ax, facecolor=fill, alpha=opacity, edgecolor="none")
        swatch = palette.control_swatch(side, kind)
        label = f"{ground_label(side, kind)} area"
        if kind == "occupied":
            # Ground held across a recognised border: hatched and outlined darker.
            # Sparse and light, so that the dots over it stay readable.
            area.plot(ax=ax, facecolor="none", edgecolor=palette.LIGHT_GREY, hatch="/", linewidth=0)
            area.boundary.plot(ax=ax, color=palette.OCCUPIED_OUTLINE, linewidth=1.5 * PX, linestyle="--")
            handles.append(
                Patch(facecolor=swatch, edgecolor=palette.OCCUPIED_OUTLINE, hatch="//", label=label)
            )
        elif side == "RU" and kind == "state":
            # A state's own ground behind the line: fainter, unoutlined.
            handles.append(Patch(facecolor=swatch, edgecolor="none", label=label))
        else:
            area.boundary.plot(ax=ax, color=palette.AREA_OUTLINE, linewidth=PX)
            handles.append(Patch(facecolor=swatch, edgecolor=palette.AREA_OUTLINE, label=label))
    zones = scenario.zones
    for kind, zstyle in style.ZONE_STYLES.items():
        part = zones.loc[zones["kind"] == kind]
        if kind in style.HIDDEN_ZONE_KINDS or part.empty:
            continue
        colour = str(zstyle["color"])
        dashed = "--" if "dashArray" in zstyle else "-"
        part.plot(ax=ax, facecolor=str(zstyle.get("fillColor", colour)), alpha=float(zstyle["fillOpacity"]))
        part.boundary.plot(ax=ax, color=colour, linewidth=float(zstyle["weight"]) * PX, linestyle=dashed)
        # Long names wrap: the legend's column is narrow ("Designated range (live fire permitted)").
        name = textwrap.fill(style.ZONE_LABELS[kind], LEGEND_CHARS)
        handles.append(Line2D([], [], color=colour, linestyle=dashed, label=name))
    posts = scenario.posts
    if len(posts):
        metric = posts.to_crs(theatre_crs(*posts.union_all().centroid.coords[0]))
        rings = metric.buffer(posts["range_m"].astype(float).to_numpy()).to_crs(4326)
        rings.boundary.plot(ax=ax, color=style.POST_COVERAGE["color"], linewidth=0.8 * PX, linestyle=":")
        side = posts["side"] if "side" in posts.columns else pd.Series("none", index=posts.index)
        edge = side.map(style.SIDE_COLOURS).fillna(style.POST_COLOUR).tolist()
        ax.scatter(
            posts.geometry.x,
            posts.geometry.y,
            marker="D",
            s=30,
            facecolor="white",
            edgecolor=edge,
            linewidth=1.6,
            zorder=6,
        )
        handles.append(
            Line2D(
                [],
                [],
                marker="D",
                linestyle="",
                markerfacecolor="white",
                markeredgecolor=style.POST_COLOUR,
                label="Observation post and range",
            )
        )
    version = scenario.version_at(at)
    line = gpd.GeoSeries([scenario.line_at(at)], crs=4326)
    line.plot(
        ax=ax, color=style.CONTACT_LINE["color"], linewidth=float(style.CONTACT_LINE["weight"]) * PX, zorder=5
    )
    handles.insert(0, Line2D([], [], color=style.BLACK, linewidth=2.6, label=f"Contact line {version}"))
    return handles


def _draw_incidents(
    ax: Axes,
    reports: gpd.GeoDataFrame,
    colour_by: str,
    svg: bool,
    size_by: str = UNIFORM,
    events: pd.DataFrame | None = None,
) -> tuple[str, list[Any]]:
    """Scatter the incidents coloured and sized as the Map page does; return the legend title and handles."""
    column, colours, title = style.COLOUR_SCHEMES[colour_by]
    points = reports.loc[~(reports.geometry.isna() | reports.geometry.is_empty)]
    if points.empty:
        return f"{title} (0 reports)", []
    value = points[column].astype("string").fillna("none")
    counts = value.value_counts()
    order = [v for v in colours if v in counts.index] + sorted(set(counts.index) - set(colours))
    # Fewer, larger dots for a few hundred reports; small ones when there are tens of thousands.
    size = float(np.clip(160 / math.sqrt(len(points)), 0.6, 4.0)) ** 2 * 4
    # Sized dots keep the Map page's areas relative to its smallest dot (geo.maps.sizing).
    sizes = size_values(points, size_by, events=events)
    scale = (radii(sizes) / BASE_RADIUS) ** 2
    handles = []
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    for v in reversed(order):  # the scheme's first category (e.g. likely) is drawn last, on top
        rows = (value == v).to_numpy()
        colour = colours.get(v, style.MISSING_COLOUR)
        hollow = style.is_hollow(column, v)
        ax.scatter(
            x[rows],
            y[rows],
            s=size * scale[rows],
            facecolor="white" if hollow else colour,
            edgecolor=palette.ring(colour) if hollow else palette.INK,
            # Dark outlines would turn tens of thousands of small dots into a brown mass.
            linewidth=1.2 if hollow else (0.3 if len(points) <= OUTLINE_MAX else 0.0),
            alpha=0.9,
            zorder=7,
            rasterized=svg and len(points) > SVG_RASTER_ABOVE,
        )
    for v in order:
        name = style.label(v, column)
        hollow = style.is_hollow(column, v)
        colour = colours.get(v, style.MISSING_COLOUR)
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=8,
                markerfacecolor="white" if hollow else colour,
                markeredgecolor=palette.ring(colour) if hollow else palette.INK,
                label=f"{name} ({counts[v]:,})",
            )
        )
    key = size_key(sizes, size_by)
    if key is not None:
        handles.append(Line2D([], [], linestyle="", label=key.title))
        for words, r in key.rows:
            diameter = math.sqrt(size) * r / BASE_RADIUS
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markersize=diameter,
                    markerfacecolor="none",
                    markeredgecolor=palette.INK_SOFT,
                    label=words,
                )
            )
    return f"{title} ({len(points):,} reports)", handles


def _draw_settlements(
    ax: Axes, box: tuple[float, ...], *, limit: int, min_gap: float, taken: list[Any]
) -> bool:
    """Label the most populous settlements in view: none crowding a larger one, no two labels or a
    label and the furniture (``taken``: display boxes) overlapping; a name with no free place is left out."""
    dx, dy = box[2] - box[0], box[3] - box[1]
    inner = (box[0] + 0.02 * dx, box[1] + 0.03 * dy, box[2] - 0.02 * dx, box[3] - 0.03 * dy)
    candidates = load_gazetteer().within(inner, limit=limit * 8)
    cos = math.cos(math.radians((box[1] + box[3]) / 2))
    spaced: list[tuple[float, float, str]] = []
    for lon, lat, name in zip(candidates["lon"], candidates["lat"], candidates["name"], strict=True):
        if not any(math.hypot((lon - a) * cos, lat - b) < min_gap for a, b, _ in spaced):
            spaced.append((lon, lat, name))
    placed = place_labels(
        ax,
        [(lon, lat) for lon, lat, _ in spaced],
        [name for _, _, name in spaced],
        fontsize=8,
        taken=taken,
        marker_pt=4,
        limit=limit,
        color=palette.INK,
        zorder=9,
    )
    for i in placed:
        ax.plot(spaced[i][0], spaced[i][1], marker="s", markersize=3, color=palette.INK, zorder=8)
    return bool(placed)


def _degrees(value: float, pos: int, *, east: bool) -> str:
    hemisphere = ("E" if value >= 0 else "W") if east else ("N" if value >= 0 else "S")
    return f"{abs(value):g}°{hemisphere}"


def _nice_km(width_km: float) -> float:
    """A round length near a fifth of the map's width: 1, 2 or 5 times a power of ten."""
    target = width_km / 5
    power = 10 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target)


def _furniture(ax: Axes, box: tuple[float, ...]) -> list[Any]:
    """Coordinates at the edges with a light graticule, a scale bar and a north arrow; return the
    scale bar and the arrow (labels keep clear of them)."""
    ax.xaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, p: _degrees(v, p, east=True)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, p: _degrees(v, p, east=False)))
    ax.tick_params(labelsize=8, top=True, right=True, labeltop=True, labelright=True, direction="in")
    ax.grid(color=palette.MID_GREY, linewidth=0.3, alpha=0.5, zorder=1)
    lat0 = (box[1] + box[3]) / 2
    _, _, m_per_degree = _GEOD.inv(box[0], lat0, box[0] + 1.0, lat0)
    km = _nice_km((box[2] - box[0]) * m_per_degree / 1000)
    bar = AnchoredSizeBar(
        ax.transData,
        km * 1000 / m_per_degree,
        f"{km:g} km",
        loc="lower left",
        pad=0.6,
        borderpad=0.8,
        sep=4,
        frameon=True,
        size_vertical=0,
        fontproperties={"size": 8},
    )
    bar.patch.set_alpha(0.85)
    ax.add_artist(bar)
    arrow = ax.annotate(
        "N",
        xy=(0.965, 0.93),
        xytext=(0.965, 0.80),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 3, "headwidth": 10},
        zorder=10,
    )
    return [bar, arrow]


def draw_map(
    reports: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    filters: Filters,
    stamp: Stamp,
    settings: Settings,
    bounds: tuple[float, float, float, float] | None = None,
    size: str | tuple[float, float] = "slide",
    colour_by: str = "flag_level",
    size_by: str = UNIFORM,
    events: pd.DataFrame | None = None,
    title: str | None = None,
    svg: bool = False,
    marked: bool = True,
) -> Figure:
    """Return the briefing map as a matplotlib figure (see :func:`map_image` for the parameters).

    ``size`` may also be (width, height) in inches; ``marked=False`` leaves out the marking and the
    stamp, for a page that carries its own (the PDF pack). Only the reports within the image's
    extent are drawn and counted (legend and subtitle); the subtitle says how many ``reports``
    (those the filters keep) there are in all when that is more.
    """
    width_in, height_in = SIZES[size] if isinstance(size, str) else size
    start, end = period_of(reports, filters)
    at = line_time(reports, filters, scenario)
    fig = Figure(figsize=(width_in, height_in), facecolor="white")
    top, bottom = (TOP, BOTTOM) if marked else (UNMARKED_TOP, UNMARKED_BOTTOM)
    map_w, map_h = 1 - LEGEND - 0.075, 1 - top - bottom
    ax = fig.add_axes((0.045, bottom, map_w, map_h))
    box = image_extent(reports, scenario, filters=filters, bounds=bounds, size=size, marked=marked)
    matching = len(reports)
    inside = in_view(reports, box)  # a report without a point is outside every box
    reports = reports if inside.all() else reports.loc[inside]
    ax.set_facecolor(style.BACKGROUND)
    countries = countries_frame()
    countries.plot(
        ax=ax, facecolor=style.COUNTRIES["fillColor"], edgecolor=style.COUNTRIES["color"], linewidth=0.6
    )
    scenario_handles = _draw_scenario(ax, scenario, at)
    legend_title, incident_handles = _draw_incidents(ax, reports, colour_by, svg, size_by, events)
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_aspect(1 / math.cos(math.radians((box[1] + box[3]) / 2)), adjustable="box")
    taken = extents(_furniture(ax, box), fig)
    limit = 14 if size == "slide" else 12
    if _draw_settlements(ax, box, limit=limit, min_gap=(box[3] - box[1]) / 14, taken=taken):
        scenario_handles.append(
            Line2D(
                [],
                [],
                marker="s",
                linestyle="",
                markersize=4,
                color=palette.INK,
                label="Settlement (GeoNames)",
            )
        )
    legend_ax = fig.add_axes((1 - LEGEND - 0.005, bottom, LEGEND - 0.01, map_h))
    legend_ax.axis("off")
    first = legend_ax.legend(
        handles=incident_handles or [Patch(color="white", label="no report matches")],
        title=legend_title,
        loc="upper left",
        fontsize=9,
        title_fontsize=10,
        alignment="left",
        frameon=False,
    )
    legend_ax.add_artist(first)
    legend_ax.legend(
        handles=scenario_handles,
        title="Scenario",
        loc="lower left",
        fontsize=9,
        title_fontsize=10,
        alignment="left",
        frameon=False,
    )
    marking = settings.classification.upper()
    if marked:
        fig.text(0.5, 0.985, marking, ha="center", va="top", fontsize=12, fontweight="bold", color=MARKING)
    fig.text(
        0.045,
        0.945 if marked else 0.99,
        title or f"Reported incidents by {style.COLOUR_SCHEMES[colour_by][2].lower()}",
        ha="left",
        va="top",
        fontsize=17,
        fontweight="bold",
    )
    counted = f"{len(reports):,} reports"
    if matching > len(reports):
        counted += f" within the image (of {matching:,} matching the filters)"
    fig.text(
        0.045,
        0.9 if marked else 0.945,
        f"Period {period_text(start, end)} · contact line {scenario.version_at(at)} in force at "
        f"the period's end · {counted}",
        ha="left",
        va="top",
        fontsize=10,
    )
    # Tiles are never drawn here (the image is the same offline): the context is vector data only.
    fig.text(
        0.045,
        bottom / 2 if not marked else 0.055,
        ATTRIBUTION,
        ha="left",
        va="bottom",
        fontsize=7,
        color=palette.INK_SOFT,
    )
    if marked:
        footer = textwrap.fill(stamp.text(), width=int(width_in * 19))
        fig.text(0.045, 0.05, footer, ha="left", va="top", fontsize=7, color=palette.INK, linespacing=1.3)
        fig.text(0.5, 0.004, marking, ha="center", va="bottom", fontsize=10, fontweight="bold", color=MARKING)
    return fig


def figure_bytes(fig: Figure, *, fmt: str, dpi: int) -> bytes:
    """Return the figure as PNG or SVG, free of timestamps so that the same input gives the same bytes."""
    buffer = io.BytesIO()
    metadata = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    with matplotlib.rc_context({"svg.hashsalt": "ceasefire-monitor", "svg.fonttype": "path"}):
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def map_image(
    reports: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    filters: Filters,
    settings: Settings,
    bounds: tuple[float, float, float, float] | None = None,
    size: str = "slide",
    dpi: int = 150,
    fmt: str = "png",
    colour_by: str = "flag_level",
    size_by: str = UNIFORM,
    events: pd.DataFrame | None = None,
    title: str | None = None,
    store_hash: str | None = None,
    generated_at: pd.Timestamp | None = None,
) -> bytes:
    """Return the map of these reports as a PNG or SVG, drawn on the server with matplotlib.

    Parameters
    ----------
    reports
        The reports the filters keep (the rows the Map page shows), EPSG:4326, with the analysis
        columns when colouring by one of them. Those within the image's extent are drawn, counted
        and stamped (:func:`reports_in_image`); the subtitle says how many the filters keep in all.
    scenario
        A :class:`geo.scenario.Scenario`; the line and control areas in force at the period's end are drawn.
    filters
        The filters that chose ``reports``: the period in the subtitle and the stamp.
    settings
        ``classification``: the marking, top and bottom. Tiles are not drawn; the context is vector data.
    bounds
        ``(minx, miny, maxx, maxy)`` in lon/lat (the Map page's view); default the reports' extent.
        The box is widened in one direction to the image's shape.
    size
        ``slide`` (16:9, 13.33 x 7.5 in) or ``a4`` (landscape).
    dpi
        Dots per inch of a PNG: 150 gives 2000 x 1125 px for a slide, 300 gives 4000 x 2250.
    fmt
        ``png`` or ``svg``.
    colour_by
        A key of :data:`geo.maps.style.COLOUR_SCHEMES`, as on the Map page.
    size_by, events
        A key of :data:`geo.maps.sizing.SIZE_SCHEMES`, as on the Map page; ``events`` (with
        ``n_reports``) counts the reports of each report's event, else those of ``reports``.
    title
        The heading; default "Reported incidents by <scheme>".
    store_hash
        :func:`geo.report.stamp.content_hash` of the whole store, added to the stamp when given.
    generated_at
        The time printed in the stamp; default now (a fixed time gives identical bytes).

    Raises
    ------
    InputError
        For an unknown size, format, colour scheme, a dpi outside 50..600, bad bounds, or reports
        not in EPSG:4326.
    """
    _check(size, fmt, dpi, colour_by, reports)
    size_values(reports.iloc[:0], size_by)  # an unknown size_by is refused before any drawing
    inside = reports_in_image(reports, scenario, filters=filters, bounds=bounds, size=size)
    drawn = reports if inside.all() else reports.loc[inside]
    # The stamp's hash and count are of the reports the image shows, not of every filtered one.
    stamp = make_stamp(drawn, filters, generated_at=generated_at, store_hash=store_hash)
    fig = draw_map(
        reports,
        scenario,
        filters=filters,
        stamp=stamp,
        settings=settings,
        bounds=bounds,
        size=size,
        colour_by=colour_by,
        size_by=size_by,
        events=events,
        title=title,
        svg=fmt == "svg",
    )
    return figure_bytes(fig, fmt=fmt, dpi=dpi)
