"""Upload: validate a batch (a CSV through a column mapping), see every issue, commit it; the batch
history, where an admin retracts or restores a batch (ui/batches.py)."""

import math

import streamlit as st
from streamlit_folium import st_folium

from geo.audit import current_actor
from geo.ingest.mapping import is_table
from geo.ingest.report import issues_table
from geo.maps import incident_map
from ui import batches, data, keys
from ui.auth import gate
from ui.errors import user_errors
from ui.mapping_step import csv_mapping, is_foreign
from ui.text import md_escape, plain_frame

st.title("Upload a batch")
st.caption(
    "GeoJSON (FeatureCollection, Feature or newline-delimited), zipped shapefile, GeoPackage, KML/KMZ, "
    "FlatGeobuf or GeoParquet; ACLED and UCDP GED CSV exports (or any CSV) through a column mapping you "
    "check first (docs/IMPORT.md). "
    "The schema: docs/SCHEMA.md; a JSON Schema to check files before upload: data/incident.schema.json."
)

# No `type=` filter: a file of another kind reaches read_batch, which names the format and the conversion.
# A viewer sees the batch history, not the uploader; the uploader is who is signed in, not free text.
upload = (
    st.file_uploader(
        "Incident batch",
        key=keys.UPLOAD_FILE,
        max_upload_size=max(1, math.ceil(data.settings().max_upload_mb)),
    )
    if gate("upload")
    else None
)


if upload is not None:
    with user_errors("reading the batch"):
        mapped = is_table(upload.name)
        if not mapped:
            as_given = data.validated(upload)
            # Another dataset's attributes (a UCDP GED GeoJSON, a partner's shapefile): offer the mapping.
            mapped = st.checkbox(
                "Read its attributes through a column mapping (another dataset's schema: UCDP GED, ACLED, FIRMS ...)",
                value=is_foreign(as_given), key=keys.UPLOAD_AS_TABLE,
            )  # fmt: skip
        result = csv_mapping(upload) if mapped else as_given
        st.subheader("Validation report")
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Features", result.n_features)
        c2.metric("Valid", len(result.accepted))
        c3.metric("Rejected", len(result.rejected))
        c4.metric("Warnings", len(result.warnings))
        for note in result.notes:
            st.info(md_escape(note))  # notes quote the file's own names (CRS, columns)
        if result.errors:
            st.error(f"{len(result.rejected)} features will be kept in quarantine, not stored as reports.")
            st.dataframe(plain_frame(issues_table(result.errors)), width="stretch", hide_index=True)
        if result.warnings:
            with st.expander(f"{len(result.warnings)} warnings (accepted, corrected or harmless)"):
                st.dataframe(plain_frame(issues_table(result.warnings)), width="stretch", hide_index=True)
        if len(result.accepted):
            preview = incident_map(
                result.accepted,
                data.scenario(),
                settings=data.settings(),
                colour_by="type",
                title=f"{result.filename}: {len(result.accepted):,} valid reports (not yet stored)",
            )
            st.session_state[keys.PREVIEW_COUNT] = len(preview.cm_layers.incidents.data["features"])
            st_folium(
                preview, key=keys.UPLOAD_PREVIEW, returned_objects=[], use_container_width=True, height=450
            )
        if len(result.accepted):
            commit = st.button(
                f"Commit {len(result.accepted)} reports", key=keys.UPLOAD_COMMIT, type="primary"
            )
        else:
            # Nothing to store as a report: keeping the file and its errors is a choice, not a default.
            st.warning("No feature of this file is valid: committing would store no report.")
            commit = st.button(
                "Keep the file and its error report for the record (no reports)", key=keys.UPLOAD_KEEP_REJECTED,
                help="The original file and the list of its rejected features are kept with a batch record; the "
                "map and the analysis do not change.",
            )  # fmt: skip
        if commit:
            st.session_state[keys.UPLOAD_RECEIPT] = data.store().add_batch(
                result, original=upload.getvalue(), uploader=current_actor()
            )
            # Rerun so that the sidebar's revision and count and the batch history show the new batch.
            st.rerun()
        receipt = st.session_state.get(keys.UPLOAD_RECEIPT)
        if receipt is not None and receipt.sha256 == result.sha256:
            (st.warning if receipt.already_ingested else st.success)(md_escape(receipt.message))
            r1, r2, r3 = st.columns(3)
            r1.metric("Stored", receipt.accepted)
            r2.metric("Quarantined", receipt.rejected)
            r3.metric("Duplicates skipped", receipt.duplicates)
            st.caption(
                f"Batch {md_escape(receipt.batch_id)} · {md_escape(receipt.filename)}"
                f" · SHA-256 {md_escape(receipt.sha256)}"
            )

batches.history()
