"""The custom components the pages draw with, served however their module was first imported."""

from __future__ import annotations

import streamlit_folium
from streamlit import runtime


def serve_components() -> None:
    """Register streamlit-folium's map with the running server when its import did not.

    Streamlit registers a component only when its module is imported within a script run of the
    server that serves it. ``python -m ui.serve`` rehearses the first pages before the server runs
    (:func:`ui.serve.rehearse`): streamlit_folium is imported then, in AppTest's script run, whose
    stand-in runtime keeps the registration, and the server's map frame would stay blank. Call at
    the top of every run of app.py: the first registers the component, the others find it
    registered.
    """
    if not runtime.exists():
        return
    registry = runtime.get_instance().component_registry
    # streamlit_folium declares its one component at import as this module attribute.
    component = streamlit_folium._component_func
    if registry.get_component(component.name) is None:
        registry.register_component(component)
