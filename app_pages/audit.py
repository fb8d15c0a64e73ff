"""Audit: the record of every change (who, when, what, the content hashes), its tree head, and a check."""

import json

import pandas as pd
import streamlit as st

from geo.audit.log import ACTIONS, AuditLog, TreeHead, verify
from geo.labels import column_label, label
from ui import auth, data, keys
from ui.errors import user_errors
from ui.text import headings, md_escape, plain, readable_frame


def _what(entry) -> str:
    """An entry's 'what' as one line: its fields in words and values, user text neutralised."""
    return "; ".join(
        f"{column_label(plain(k))}: {plain(json.dumps(v, ensure_ascii=False))}" for k, v in entry.what.items()
    )


def _hashes(entry) -> str:
    return "; ".join(f"{plain(k)} {plain(v)[:16]}..." for k, v in entry.hashes.items())


def _n(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


st.title("Audit log")

with user_errors("reading the audit log"):
    if not auth.gate("read"):
        st.stop()
    store = data.store()
    log = AuditLog(store)
    entries = log.all()
    head = log.head(entries)
    st.caption(
        "Every write (upload, retraction, restore, line version, zone, agreement, user or setting change) "
        "adds an entry here, in the same transaction as the write. The entries form a Merkle tree as in "
        "Certificate Transparency (RFC 9162): a tree head published now proves later that none was "
        "altered, removed or reordered since."
    )
    if not entries:
        st.info("No entry yet: the first upload or change to the scenario is recorded here.")
    else:
        who_col, action_col, period_col = st.columns(3)
        people = sorted({e.who for e in entries})
        who = who_col.selectbox(
            "Who", ["", *people], format_func=lambda w: plain(w) or "Everyone", key=keys.AUDIT_WHO
        )
        chosen = action_col.multiselect(
            "Action", list(ACTIONS), format_func=lambda a: label(a, "audit_action"), key=keys.AUDIT_ACTIONS
        )
        first, last = (pd.Timestamp(entries[i].at).date() for i in (0, -1))
        period = period_col.date_input("Period (UTC days)", value=(first, last), key=keys.AUDIT_PERIOD)
        start, end = (*period, None, None)[:2] if isinstance(period, tuple | list) else (period, None)
        shown = log.entries(
            who=who or None,
            since=None if start is None else pd.Timestamp(start),
            until=None if end is None else pd.Timestamp(end) + pd.Timedelta(days=1),
        )
        shown = [e for e in shown if not chosen or e.action in chosen]
        table = pd.DataFrame(
            {
                "seq": [e.seq for e in shown],
                "at": [e.at.replace("T", " ").rstrip("Z") for e in shown],
                "who": [e.who for e in shown],
                "action": [e.action for e in shown],
                "what": [_what(e) for e in shown],
                "hashes": [_hashes(e) for e in shown],
            }
        )
        st.caption(f"{len(shown):,} of {_n(len(entries), 'entry', 'entries')}, newest first.")
        st.dataframe(
            readable_frame(table.iloc[::-1], columns={"action": "audit_action"}),
            hide_index=True,
            width="stretch",
            column_config=headings(table),
        )

    st.subheader("Tree head")
    st.markdown(
        f"**{_n(head.size, 'entry', 'entries')}** · root (SHA-256) `{head.root_hex}` · taken {md_escape(head.at)}. "
        "Keep a copy where this store's owner cannot change it (a briefing pack's manifest carries one too)."
    )
    st.download_button(
        "Download the tree head",
        json.dumps(head.to_dict(), indent=2) + "\n",
        file_name=f"audit-head-{head.size}.json",
        mime="application/json",
        key=keys.AUDIT_HEAD_DOWNLOAD,
    )

    st.subheader("Verify")
    published = st.file_uploader(
        "A published tree head or briefing-pack manifest to check against (optional)",
        type=["json"],
        key=keys.AUDIT_HEAD_FILE,
    )
    if st.button("Verify", key=keys.AUDIT_VERIFY, type="primary"):
        against = TreeHead.from_bytes(published.getvalue(), name=published.name) if published else None
        with st.spinner("Checking every entry and every ingested batch's stored reports ..."):
            problems = verify(store, against)
        where = (
            f" and extends the published head of {against.at} ({_n(against.size, 'entry', 'entries')})"
            if against
            else ""
        )
        st.session_state[keys.AUDIT_RESULT] = (head.size, head.root_hex, where, problems)
    result = st.session_state.get(keys.AUDIT_RESULT)
    if result is not None and result[:2] == (head.size, head.root_hex):
        _, _, where, problems = result
        if problems:
            st.error(
                f"The log does NOT verify ({_n(len(problems), 'problem', 'problems')}):\n\n"
                + "\n".join(f"- {md_escape(p)}" for p in problems)
            )
        else:
            st.success(
                f"The log verifies: {_n(head.size, 'entry', 'entries')}, each matching its hash, numbered without a gap"
                f"{md_escape(where)}; every ingested batch's stored reports are those ingested."
            )
