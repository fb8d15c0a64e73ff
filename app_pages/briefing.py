"""Briefing: the map image, the PDF pack with its manifest, and exports of exactly the filtered rows."""

import streamlit as st

from geo.audit.log import AuditLog
from geo.counts import HOW_COUNTED
from geo.counts import figures as view_figures
from geo.export import FORMATS as EXPORT_FORMATS
from geo.export import MEDIA_TYPES, SUFFIXES, export_bytes, stored_columns
from geo.filters import apply_filters
from geo.labels import FILE_FORMAT_LABELS
from geo.pipeline import with_reasons
from geo.report import SIZES, build_pack, map_image, pack_name
from ui import data, keys
from ui.errors import user_errors
from ui.filters import sidebar_filters
from ui.text import md_escape

SIZE_LABELS = {"slide": "Slide (16:9)", "a4": "A4 landscape"}
IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def _current(entry: str, signature: tuple) -> object | None:
    """What a button built earlier in this session, if it was built for what is chosen now."""
    kept = st.session_state.get(entry)
    return kept[1] if kept is not None and kept[0] == signature else None


st.title("Briefing")

with user_errors("preparing the briefing"):
    if data.report_count() == 0:
        st.info("No reports yet: upload a batch on the Upload page, then come back here to build a briefing.")
        st.stop()
    # The context in force (the scenario with users' edits), the one the analysis and the manifest name.
    context = data.context()
    analysis = data.analysed(context)
    reports, events = analysis.reports, analysis.events
    filters = sidebar_filters(reports)
    shown = apply_filters(reports, filters)
    st.caption(
        f"{view_figures(reports, events, filters).sentence(of=len(reports))} · {md_escape(filters.describe())}"
        " · choose the sector in the sidebar",
        help=HOW_COUNTED,
    )
    if shown.empty:
        st.info(
            f"No report matches the filters ({md_escape(filters.describe())})."
            " Widen the period or clear a filter."
        )
    settings, name = data.settings(), pack_name(filters)
    base = (data.revision(), context.key, tuple(sorted(filters.to_params().items())))
    title = st.text_input(
        "Title", key=keys.BRIEF_TITLE, placeholder="default: the colour scheme, or the pack's own"
    )

    st.subheader("Map image")
    size_col, dpi_col, fmt_col = st.columns(3)
    size = size_col.selectbox("Size", list(SIZES), format_func=SIZE_LABELS.get, key=keys.BRIEF_SIZE)
    dpi = dpi_col.selectbox("Resolution (dpi)", [150, 300], key=keys.BRIEF_DPI)
    fmt = fmt_col.selectbox(
        "Format", list(IMAGE_TYPES), key=keys.BRIEF_FORMAT, format_func=FILE_FORMAT_LABELS.get
    )
    signature = (*base, size, dpi, fmt, title)
    if st.button("Build the map image", key=keys.BRIEF_IMAGE_BUILD):
        image = map_image(
            shown,
            context.scenario,
            filters=filters,
            settings=settings,
            size=size,
            dpi=dpi,
            fmt=fmt,
            title=title or None,
        )
        st.session_state[keys.BRIEF_IMAGE] = (signature, image)
    image = _current(keys.BRIEF_IMAGE, signature)
    if image is not None:
        if fmt == "png":
            st.image(image)
        st.download_button(
            "Download the map image",
            image,
            file_name=f"{name}-map.{fmt}",
            mime=IMAGE_TYPES[fmt],
            key=keys.BRIEF_IMAGE_DOWNLOAD,
        )

    st.subheader("PDF pack")
    signature = (*base, title)
    if st.button("Build the PDF pack", key=keys.BRIEF_PACK_BUILD):
        with st.spinner("Building the pack ..."):
            pack = build_pack(
                analysis,
                context.scenario,
                filters=filters,
                settings=settings,
                context=context,
                title=title or None,
                audit_head=AuditLog(data.store()).head().to_dict(),
            )
        st.session_state[keys.BRIEF_PACK] = (signature, pack)
    pack = _current(keys.BRIEF_PACK, signature)
    if pack is not None:
        figures = pack.manifest.figures
        st.caption(
            f"The pack: {figures['reports']:,} reports · {figures['events']:,} events · "
            f"{figures['likely_violations']:,} likely violations (events) · data {pack.manifest.view_hash[:16]}"
        )
        pdf_col, manifest_col = st.columns(2)
        pdf_col.download_button(
            "Download the PDF pack",
            pack.pdf,
            file_name=f"{name}.pdf",
            mime="application/pdf",
            key=keys.BRIEF_PACK_DOWNLOAD,
        )
        manifest_col.download_button(
            "Download its manifest",
            pack.manifest.to_json(),
            file_name=f"{name}.manifest.json",
            mime="application/json",
            key=keys.BRIEF_MANIFEST_DOWNLOAD,
        )
        st.caption(
            f"Rebuild and check it later with `python -m geo brief --manifest {name}.manifest.json "
            f"-o {name}-rebuilt.pdf`."
        )

    st.subheader("Exports of the filtered rows")
    format_col, analysis_col = st.columns(2)
    export_format = format_col.selectbox(
        "Format", EXPORT_FORMATS, key=keys.BRIEF_EXPORT_FORMAT, format_func=FILE_FORMAT_LABELS.get
    )
    format_words = FILE_FORMAT_LABELS[export_format]
    with_analysis = analysis_col.checkbox("Add the analysis columns", key=keys.BRIEF_EXPORT_ANALYSIS)
    signature = (*base, export_format, with_analysis)
    if st.button(f"Prepare {len(shown):,} reports as {format_words}", key=keys.BRIEF_EXPORT_BUILD):
        # With the analysis, each report carries its event's reasons (kept with the event).
        rows = with_reasons(shown, analysis) if with_analysis else stored_columns(shown)
        st.session_state[keys.BRIEF_EXPORT] = (signature, export_bytes(rows, format=export_format))
    exported = _current(keys.BRIEF_EXPORT, signature)
    if exported is not None:
        st.download_button(
            f"Download the {format_words} file",
            exported,
            file_name=f"{name}{SUFFIXES[export_format]}",
            mime=MEDIA_TYPES[export_format],
            key=keys.BRIEF_EXPORT_DOWNLOAD,
        )
