"""The Map page's parts outside the live map: the events of the reports drawn, and an image of the view."""

import streamlit as st

from geo.report import map_image, pack_name
from ui import data, keys


def events_of(events, points):
    """The events of the reports drawn one by one (none when hexagons are drawn): the layer follows the filters."""
    if events is None or points is None or "event_id" not in points.columns:
        return None
    return events[events["event_id"].isin(points["event_id"].unique())]


def image_button(reports, mask, filters, colour_by, bounds) -> None:
    """A PNG of what is on screen, drawn on the server (the Briefing page has sizes and formats)."""
    build, download = st.columns([1, 3])
    signature = (tuple(filters.to_params().items()), colour_by, bounds, int(mask.sum()))
    if build.button(
        "Image of this view", key=keys.MAP_IMAGE_BUILD, help="A PNG for a slide, drawn on the server"
    ):
        png = map_image(
            reports[mask],
            data.scenario(),
            filters=filters,
            bounds=bounds,
            settings=data.settings(),
            colour_by=colour_by,
        )
        st.session_state[keys.MAP_IMAGE] = (png, f"{pack_name(filters)}-map.png", signature)
    held = st.session_state.get(keys.MAP_IMAGE)
    if held is not None and held[2] == signature:  # not an image of an earlier view or filters
        download.download_button(
            "Download the PNG", held[0], file_name=held[1], mime="image/png", key=keys.MAP_IMAGE_DOWNLOAD
        )
