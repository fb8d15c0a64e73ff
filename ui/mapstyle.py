"""The Map page's colour and size choices in the sidebar, mirrored in the URL (``colour``, ``size``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.labels import COLOUR_SCHEME_LABELS, SIZE_SCHEME_LABELS
from geo.maps.sizing import SIZE_SCHEMES, UNIFORM
from geo.maps.style import COLOUR_SCHEMES
from ui import keys
from ui.text import md_escape

COLOUR_PARAM, SIZE_PARAM = "colour", "size"
SIZE_HELP = (
    "Dots of reports whose event merges more reports, or with more casualties, are larger: the area"
    " grows with the figure, up to a cap. A report that gives no casualty figure is drawn at the"
    " smallest size, and the legend says so."
)


def _from_link(param: str, options: list[str], key: str, what: str) -> None:
    """The link's value becomes the widget's first value; an unknown one is named and dropped."""
    if key in st.session_state or param not in st.query_params:
        return
    value = st.query_params[param]
    if value in options:
        st.session_state[key] = value
    else:
        st.sidebar.warning(
            f"Ignored from the link: {what} {md_escape(repr(value))} is not one of the choices."
        )


def _to_link(param: str, value: str, default: str) -> None:
    if value == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value


def colour_and_size(reports: pd.DataFrame) -> tuple[str, str]:
    """Sidebar pickers of the dots' colour scheme and size; return both (URL too, when not the default)."""
    schemes = [c for c in COLOUR_SCHEMES if COLOUR_SCHEMES[c][0] in reports.columns]
    default = "flag_level" if "flag_level" in schemes else schemes[0]
    _from_link(COLOUR_PARAM, schemes, keys.MAP_COLOUR, "the colour scheme")
    if st.session_state.get(keys.MAP_COLOUR) not in schemes:  # first run, or a store without the analysis
        st.session_state[keys.MAP_COLOUR] = default
    colour_by = st.sidebar.selectbox(
        "Colour by", schemes, key=keys.MAP_COLOUR, format_func=COLOUR_SCHEME_LABELS.get
    )
    _from_link(SIZE_PARAM, list(SIZE_SCHEMES), keys.MAP_SIZE, "the size")
    size_by = st.sidebar.selectbox(
        "Size by",
        list(SIZE_SCHEMES),
        key=keys.MAP_SIZE,
        format_func=SIZE_SCHEME_LABELS.get,
        help=SIZE_HELP,
    )
    _to_link(COLOUR_PARAM, colour_by, default)
    _to_link(SIZE_PARAM, size_by, UNIFORM)
    return colour_by, size_by
