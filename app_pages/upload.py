"""Upload: validate a batch, see every issue, commit it; the batch history with retraction."""

import streamlit as st

from geo.ingest import read_batch
from geo.ingest.report import issues_table
from ui import data, keys
from ui.errors import user_errors

st.title("Upload a batch")
st.caption(
    "GeoJSON (FeatureCollection, Feature or newline-delimited), zipped shapefile, GeoPackage, KML or FlatGeobuf. "
    "The schema: docs/SCHEMA.md; a JSON Schema to check files before upload: data/incident.schema.json."
)

upload = st.file_uploader("Incident batch", key=keys.UPLOAD_FILE)
uploader = st.text_input("Uploaded by", key=keys.UPLOAD_UPLOADER)

if upload is not None:
    with user_errors("reading the batch"):
        raw = upload.getvalue()
        result = read_batch(raw, filename=upload.name, settings=data.settings())
        st.subheader("Validation report")
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Features", result.n_features)
        c2.metric("Valid", len(result.accepted))
        c3.metric("Rejected", len(result.rejected))
        c4.metric("Warnings", len(result.warnings))
        for note in result.notes:
            st.info(note)
        if result.errors:
            st.error(f"{len(result.rejected)} features will be kept in quarantine, not stored as reports.")
            st.dataframe(issues_table(result.errors), use_container_width=True, hide_index=True)
        if result.warnings:
            with st.expander(f"{len(result.warnings)} warnings (accepted, corrected or harmless)"):
                st.dataframe(issues_table(result.warnings), use_container_width=True, hide_index=True)
        if len(result.accepted):
            st.map(
                result.accepted.assign(lat=result.accepted.geometry.y, lon=result.accepted.geometry.x)[
                    ["lat", "lon"]
                ],
                size=200,
            )
        if st.button(f"Commit {len(result.accepted)} reports", key=keys.UPLOAD_COMMIT, type="primary"):
            receipt = data.store().add_batch(
                result, original=raw, uploader=uploader or data.settings().uploader
            )
            (st.warning if receipt.already_ingested else st.success)(receipt.message)
            st.caption(f"Batch {receipt.batch_id} · SHA-256 {receipt.sha256}")

st.subheader("Batch history")
with user_errors("listing the batches"):
    batches = data.store().batches()
    if batches.empty:
        st.caption("No batches yet.")
    else:
        st.dataframe(batches, use_container_width=True, hide_index=True)
        active = batches.loc[batches["retracted_at"].isna(), "batch_id"].tolist()
        if active:
            target = st.selectbox(
                "Retract a batch", active, index=None, key=keys.RETRACT_BATCH, placeholder="Choose a batch"
            )
            sure = st.checkbox(
                "I understand its reports leave every view (its record and file are kept)",
                key=keys.RETRACT_CONFIRM,
            )
            if st.button("Retract", key=keys.RETRACT_BUTTON, disabled=not (target and sure)):
                removed = data.store().retract_batch(target)
                st.success(f"Retracted batch {target}: {removed} reports removed from view.")
