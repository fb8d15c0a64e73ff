"""The Upload page's batch history: every batch, active or retracted (by whom, when and why), and an
admin's retraction and restoration of a batch, each with a reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from geo.labels import column_label
from geo.store.base import BATCH_TIMES
from ui import data, keys
from ui.auth import gate
from ui.errors import user_errors
from ui.text import headings, md_escape, plain, readable_frame

# Reading order: the batch, its file and state, who retracted or restored it, when and why (groups no
# batch has are left out), then its upload and counts; the 64-digit checksum last (first, it pushed
# the counts and dates out of a 1366 px window).
FIRST = ("batch_id", "filename", "batch_status")
GROUPS = (
    ("retracted_at", "retracted_by", "retract_reason"),
    ("restored_at", "restored_by", "restore_reason"),
)
LAST = ("sha256",)
REASON_MAX = 500


def with_status(batches: pd.DataFrame) -> pd.DataFrame:
    """``batches`` in reading order with ``batch_status``: retracted, restored (active again) or active."""
    status = np.select(
        [batches["retracted_at"].notna(), batches["restored_at"].notna()], ["retracted", "restored"], "active"
    )
    shown = [c for group in GROUPS if batches[list(group)].notna().any(axis=None) for c in group]
    rest = [c for c in batches.columns if c not in (*FIRST, *LAST) and not any(c in g for g in GROUPS)]
    return batches.assign(batch_status=status)[[*FIRST, *shown, *rest, *LAST]]


def history() -> None:
    """The batch history; for an admin, the retraction and restoration forms, their outcome shown
    once on the rerun that follows (so that the sidebar's counts and every page see the change)."""
    st.subheader("Batch history")
    _outcome()
    batches = None  # stays None when the store cannot be read: user_errors has said why
    with user_errors("listing the batches"):
        batches = data.store().batches()
        if batches.empty:
            st.caption("No batches yet.")
        else:
            _table(batches)
    if batches is None or batches.empty:
        return
    active = batches[batches["retracted_at"].isna()]
    retracted = batches[batches["retracted_at"].notna()]
    left, right = st.columns(2)
    if not active.empty:
        with left:
            if gate("retract"):  # an admin's; ui.auth.gate says so to the others
                _retract(active)
    if not retracted.empty:
        with right:
            if gate("restore"):
                _restore(retracted)


def _table(batches: pd.DataFrame) -> None:
    shown = with_status(batches)
    st.dataframe(
        readable_frame(shown, columns={"format": "file_format"}),
        width="stretch",
        hide_index=True,
        column_config=headings(shown)
        | {
            c: st.column_config.DatetimeColumn(column_label(c), format="YYYY-MM-DD HH:mm")
            for c in BATCH_TIMES
        },
    )


def _outcome() -> None:
    """What the last retraction or restoration did; the forms emptied (allowed only before they are drawn)."""
    retracted = st.session_state.pop(keys.RETRACT_RESULT, None)
    restored = st.session_state.pop(keys.RESTORE_RESULT, None)
    if retracted is None and restored is None:
        return
    for key, empty in ((keys.RETRACT_BATCH, None), (keys.RETRACT_REASON, ""), (keys.RETRACT_CONFIRM, False)):
        st.session_state[key] = empty
    st.session_state[keys.RESTORE_BATCH], st.session_state[keys.RESTORE_REASON] = None, ""
    if retracted is not None:
        batch_id, hidden, kept = retracted
        stay = f" {kept:,} of its reports stay on view: a later batch also carried them." if kept else ""
        st.success(
            f"Retracted batch {md_escape(batch_id)}: {hidden:,} reports left every view. They are kept "
            f"in the store with the batch's file, and an admin can restore them.{stay}"
        )
    if restored is not None:
        batch_id, shown = restored
        st.success(f"Restored batch {md_escape(batch_id)}: {shown:,} reports are back in every view.")


def _no_reason(what: str) -> None:
    st.error(
        f"Nothing was {what}: say why in the reason box. The reason is recorded with your name and the "
        "time, in the batch history and the audit log."
    )


def _retract(active: pd.DataFrame) -> None:
    st.markdown("**Retract a batch**")
    described = {
        r.batch_id: plain(
            f"{r.batch_id} · {r.filename} · uploaded {r.uploaded_at:%Y-%m-%d %H:%M} UTC by "
            f"{r.uploader or 'an unnamed user'}"
        )
        for r in active.itertuples()
    }
    target = st.selectbox(
        "Batch to retract",
        list(described),
        index=None,
        format_func=described.get,
        key=keys.RETRACT_BATCH,
        placeholder="Choose a batch",
    )
    reason = st.text_input(
        "Why (required: recorded with your name and the time)", key=keys.RETRACT_REASON, max_chars=REASON_MAX
    )
    sure = st.checkbox(
        "Its reports leave every view but are kept, and can be restored",
        key=keys.RETRACT_CONFIRM,
    )
    if st.button("Retract", key=keys.RETRACT_BUTTON, disabled=not (target and sure)):
        if not reason.strip():
            _no_reason("retracted")
            return
        with user_errors("retracting the batch"):
            store = data.store()
            hidden = store.retract_batch(target, reason=reason)
            # Its reports still shown: those a later, active batch carried too.
            kept = len(store.incidents(batches=[target]))
            st.session_state[keys.RETRACT_RESULT] = (target, hidden, kept)
            st.rerun()


def _restore(retracted: pd.DataFrame) -> None:
    st.markdown("**Restore a retracted batch**")
    described = {
        r.batch_id: plain(
            f"{r.batch_id} · {r.filename} · retracted {r.retracted_at:%Y-%m-%d %H:%M} UTC by "
            f"{r.retracted_by or 'an unnamed user'}: {r.retract_reason or 'no reason recorded'}"
        )
        for r in retracted.itertuples()
    }
    target = st.selectbox(
        "Batch to restore",
        list(described),
        index=None,
        format_func=described.get,
        key=keys.RESTORE_BATCH,
        placeholder="Choose a retracted batch",
    )
    reason = st.text_input(
        "Why (required: recorded with your name and the time)", key=keys.RESTORE_REASON, max_chars=REASON_MAX
    )
    if st.button("Restore", key=keys.RESTORE_BUTTON, disabled=not target):
        if not reason.strip():
            _no_reason("restored")
            return
        with user_errors("restoring the batch"):
            shown = data.store().restore_batch(target, reason=reason)
            st.session_state[keys.RESTORE_RESULT] = (target, shown)
            st.rerun()
