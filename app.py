"""Ceasefire Monitor: the Streamlit entry point (navigation, page chrome, the shared store handle)."""

from pathlib import Path

import streamlit as st

from ui import auth, data, follow
from ui.components import serve_components
from ui.errors import user_errors

st.set_page_config(
    page_title="Ceasefire Monitor",
    page_icon=str(Path(__file__).parent / "static" / "favicon.png"),
    layout="wide",
)
serve_components()

navigation = st.navigation(
    [
        st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("app_pages/map.py", title="Map", icon=":material/map:", url_path="map"),
        st.Page(
            "app_pages/incidents.py", title="Incidents", icon=":material/table_rows:", url_path="incidents"
        ),
        st.Page("app_pages/patterns.py", title="Patterns", icon=":material/insights:", url_path="patterns"),
        st.Page(
            "app_pages/briefing.py", title="Briefing", icon=":material/picture_as_pdf:", url_path="briefing"
        ),
        st.Page("app_pages/upload.py", title="Upload", icon=":material/upload_file:", url_path="upload"),
        st.Page(
            "app_pages/zones.py", title="Zones and agreement", icon=":material/layers:", url_path="zones"
        ),
        st.Page("app_pages/audit.py", title="Audit log", icon=":material/verified_user:", url_path="audit"),
    ]
)

# Who acts (sign-in, or single-user mode on the loopback only); nothing below runs for nobody.
auth.chrome(auth.admit())

with user_errors("opening the store"), st.sidebar:
    st.markdown(f"**{data.settings().classification}**")
    follow.pinning()
    shown = data.pin_analysis()
    follow.pinned()
    now = data.store().revision()
    behind = f" · analysis of revision {shown}" if shown != now else ""
    st.caption(f"Store revision {now} · {data.report_count(now):,} reports{behind}")


@st.fragment(run_every=2)
def _when_the_update_lands() -> None:
    """Rerun the app once the background update this run's note is about has landed."""
    if data.update_landed():
        st.rerun(scope="app")


@st.fragment(run_every=follow.POLL_S)
def _when_the_store_moves(page: str) -> None:
    """Rerun the app when another server, session or import changed the store or the scenario."""
    follow.follow(page)


if data.updating_note():
    st.info(data.updating_note(), icon=":material/hourglass_top:")
    _when_the_update_lands()
else:  # while an update is under way the fragment above reruns the app when it lands
    _when_the_store_moves(navigation.url_path)
navigation.run()
