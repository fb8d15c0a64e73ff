"""ui.errors.user_errors: a GeoError shows its message and fix; anything else an apology, never a traceback."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

TIMEOUT_S = 30


def _geo_error_script():
    import streamlit as st

    from geo.errors import InputError
    from ui.errors import user_errors

    with user_errors("reading the batch"):
        msg = "batch.geojson is empty."
        raise InputError(msg, hint="Upload a GeoJSON FeatureCollection of incident reports.")
    st.markdown("the page goes on")


def _unexpected_script():
    import streamlit as st

    from ui.errors import user_errors

    with user_errors("drawing the map"):
        # A KeyError stands for any bug.
        {}["colour"]
    st.markdown("the page goes on")


def test_a_geo_error_shows_its_message_and_fix(shown):
    at = AppTest.from_function(_geo_error_script, default_timeout=TIMEOUT_S).run()
    assert not at.exception
    (error,) = at.error
    assert "batch.geojson is empty." in shown(error.value)
    assert "**How to fix:** Upload a GeoJSON FeatureCollection" in error.value
    assert not at.expander
    assert at.markdown[-1].value == "the page goes on"


def test_an_unexpected_failure_is_an_apology_with_the_detail_folded_away():
    at = AppTest.from_function(_unexpected_script, default_timeout=TIMEOUT_S).run()
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("Something went wrong while drawing the map: KeyError.")
    assert "Traceback" not in error.value
    (details,) = at.expander
    assert details.label == "Details for the developers"
    assert "KeyError: 'colour'" in details.code[0].value
    assert "Traceback" not in details.code[0].value
    assert at.markdown[-1].value == "the page goes on"
