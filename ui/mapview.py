"""The Map page's parts outside the live map: the events of the reports drawn, the selected report
with its event, and an image of the view."""

from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.attribution import origin_sectors
from geo.eventtext import REPORT_HEADING, event_heading, report_figures
from geo.filters import Filters
from geo.labels import label
from geo.maps.area import area_layer
from geo.maps.build import LiveMap
from geo.maps.highlight import highlight_layer
from geo.maps.origin import origin_layer
from geo.maps.patterns import pattern_overlays
from geo.maps.places import place_marker
from geo.pipeline import explained
from geo.report import map_image, pack_name
from geo.report.mapimage import reports_in_image
from ui import data, keys, mapstate
from ui.text import md_escape

# Hexagons of about 36 km² for the hotspot layer, as the Patterns page opens with.
PATTERN_RESOLUTION = 6


def map_caption(drawing, reports: pd.DataFrame, mask: np.ndarray, shown: str) -> None:
    """The caption above the map: reports drawn (and in this view) of all, how, and ``shown`` in words."""
    seen = mapstate.in_this_view(reports, mask)
    counted = f"{drawing.kept:,} of {len(reports):,} reports" + (
        "" if seen is None else f" ({seen:,} in this view)"
    )
    if drawing.points is None:
        counted += f", shown per hexagon (H3 resolution {drawing.resolution}): zoom in to see each report"
    st.caption(f"{counted} · {md_escape(shown)}")


def origin_shapes(
    report: gpd.GeoDataFrame, reports: gpd.GeoDataFrame, keep: np.ndarray | None = None
) -> gpd.GeoDataFrame | None:
    """The fire-origin shapes of ``report`` (one row) with its triangulation group's reports (those
    ``keep`` holds, default all); None when it has no origin."""
    if report.empty or "origin_method" not in report or report["origin_method"].iloc[0] in (None, "none"):
        return None
    group = report["origin_group"].iloc[0]
    if pd.isna(group):
        members = report
    else:
        same = (reports["origin_group"] == group).to_numpy()
        members = reports[same if keep is None else same & keep]
    return origin_sectors(members, control_areas=data.scenario().control_areas)


def add_overlays(
    live: LiveMap,
    chosen: gpd.GeoDataFrame,
    reports: gpd.GeoDataFrame,
    mask: np.ndarray,
    filters: Filters,
    *,
    show_patterns: bool,
    ringed: gpd.GeoDataFrame | None = None,
) -> None:
    """The overlays beside the incidents: the selected report's fire origin, the drawn area, the
    searched place, the reports selected in Incidents (``ringed``) and, when asked, hot spots and
    clusters."""
    shapes = origin_shapes(chosen, reports, mask)
    if shapes is not None:
        live.overlays.append(origin_layer(shapes))
    if filters.area is not None:
        live.overlays.append(area_layer(filters.area))
    place = mapstate.searched_place()
    if place is not None:
        live.overlays.append(place_marker(*place))
    drawn_rings: list[str] = []
    if ringed is not None and len(ringed):
        group, rings = highlight_layer(ringed)
        live.overlays.append(group)
        drawn_rings = [f["properties"]["uid"] for f in rings["features"]]
    st.session_state[keys.MAP_HIGHLIGHT] = drawn_rings
    if show_patterns:
        found = data.patterns(filters, PATTERN_RESOLUTION)
        groups, drawn = pattern_overlays(found.hotspots, found.clusters, areas=True)
        live.overlays.extend(groups)
        st.session_state[keys.MAP_PATTERN_COUNTS] = (len(drawn["features"]), len(found.clusters))


def events_of(events, points):
    """The events of the reports drawn one by one (none when hexagons are drawn): the layer follows the filters."""
    if events is None or points is None or "event_id" not in points.columns:
        return None
    return events[events["event_id"].isin(points["event_id"].unique())]


def image_button(reports, events, mask, filters, colours, bounds) -> None:
    """A PNG of what is on screen, drawn on the server (the Briefing page has sizes and formats),
    coloured and sized as the map (``colours``: colour and size schemes), with how many reports it
    shows: those within its extent, of those the filters keep."""
    build, download = st.columns([1, 3])
    signature = (tuple(filters.to_params().items()), colours, bounds, int(mask.sum()))
    if build.button(
        "Image of this view", key=keys.MAP_IMAGE_BUILD, help="A PNG for a slide, drawn on the server"
    ):
        kept = reports[mask]
        png = map_image(
            kept,
            data.scenario(),
            filters=filters,
            bounds=bounds,
            settings=data.settings(),
            colour_by=colours[0],
            size_by=colours[1],
            events=events,
        )
        drawn = int(reports_in_image(kept, data.scenario(), filters=filters, bounds=bounds).sum())
        st.session_state[keys.MAP_IMAGE] = (png, f"{pack_name(filters)}-map.png", signature, drawn)
    held = st.session_state.get(keys.MAP_IMAGE)
    if held is not None and held[2] == signature:  # not an image of an earlier view or filters
        download.download_button(
            "Download the PNG", held[0], file_name=held[1], mime="image/png", key=keys.MAP_IMAGE_DOWNLOAD
        )
        matching = signature[3]
        if held[3] < matching:
            download.caption(
                f"The image shows {held[3]:,} reports, those within its extent (this view widened to"
                f" the image's shape), of the {matching:,} matching the filters."
            )
        else:
            download.caption(f"The image shows all {matching:,} reports matching the filters.")


def selected_report(chosen: pd.DataFrame, events, incidents_url: str) -> None:
    """The selected report under the map: its own figures, then its event's flag, side and reasons,
    each under its own heading (the event's reasons may quote another of its reports)."""
    row = chosen.iloc[0]
    st.subheader(f"{md_escape(row['source'])} · {md_escape(row['id'])}")
    # quote() leaves only letters, digits and _.-~/ of the uid: nothing that ends the link.
    st.markdown(f"[Open in Incidents]({incidents_url}?uid={quote(row['uid'])})")
    st.markdown(f"**{REPORT_HEADING}:** {md_escape(report_figures(row))}")
    # Its event's row: that one event looked up, not every event joined.
    own = events[(events["event_id"] == row["event_id"]).to_numpy()] if events is not None else None
    if own is None or own.empty:
        return
    event = own.iloc[0]
    side = event["attributed_side"]
    st.markdown(
        f"**{md_escape(event_heading(event['n_reports'], event['sources']))}:** flagged "
        f"{md_escape(label(event['flag_level'], 'flag_level').lower())}, violation score {event['violation_score']:.2f}, "
        + (f"attributed to {md_escape(side)}" if side in ("UA", "RU") else "side undetermined")
    )
    reasons = explained(own.iloc[:1], data.analysed())["reasons"].iloc[0]
    if reasons:
        st.markdown(
            "**Reasons of its event** (the same for every report of it; they may quote another of its reports)"
        )
    for reason in reasons:
        words, sentence = md_escape(label(reason["code"], "code")), md_escape(reason["sentence"])
        st.markdown(f"- **{words}** ({reason['weight']:.2f}): {sentence}")
