"""Follow the store: a page reruns when another app server, session or the CLI changed what it shows.

Every page polls (a fragment in app.py, every :data:`POLL_S`): it asks for the key of the analysis
the store and the scenario call for now (:func:`geo.refresh.key_for`: the store's revision and the
context's key) and compares it with the key of the analysis the page shows. A batch, a retraction
or a scenario edit made anywhere moves one or the other. The question is asked once per
:data:`PROBE_MAX_AGE_S` per process, whatever the number of sessions: one revision query and one
read of the scenario edits' names on PostGIS, one read on a GeoPackage.

A page with a form under way (a file chosen for upload, a zone drawn, a briefing built) is not
rerun under its user: it says what changed and offers a button instead. (A rerun keeps widget
values, but a rebuilt map drops a shape half drawn and a briefing built of the old analysis.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any, Literal

import streamlit as st

from geo import refresh
from ui import data, keys, updating
from ui.errors import user_errors

# How often a page asks whether the store moved: a change shows within this plus PROBE_MAX_AGE_S.
POLL_S = 3.0
# How long one process's answer serves its other sessions: 20 sessions make one probe a second at most.
PROBE_MAX_AGE_S = 1.0

# Per page (its url_path): the session-state entries that hold a user's work under way when set.
# Widget entries vanish when their page is left; the others (a drawing, a built briefing) are
# looked at only on their page.
UNDER_WAY: dict[str, tuple[str, ...]] = {
    "upload": (
        keys.UPLOAD_FILE,
        keys.UPLOAD_UPLOADER,
        keys.RETRACT_BATCH,
        keys.RETRACT_REASON,
        keys.RETRACT_CONFIRM,
        keys.RESTORE_BATCH,
        keys.RESTORE_REASON,
    ),
    "zones": (keys.ZONES_DRAWING, keys.ZONES_ZONE_ID, keys.ZONES_ZONE_NAME, keys.ZONES_LINE_FILE),
    "briefing": (keys.BRIEF_TITLE, keys.BRIEF_IMAGE, keys.BRIEF_PACK, keys.BRIEF_EXPORT),
}

Action = Literal["stay", "rerun", "offer"]

_probed: dict[str, tuple[float, str]] = {}
_probe_lock = threading.Lock()


def decide(shown: str | None, now: str, under_way: bool) -> Action:
    """What a page does: ``"stay"`` when it shows the analysis ``now`` calls for, else ``"rerun"``,
    or ``"offer"`` (a note and a button) when its user has work under way.

    Examples
    --------
    >>> decide("r7-abc-t0.6", "r7-abc-t0.6", under_way=False)
    'stay'
    >>> decide("r7-abc-t0.6", "r8-abc-t0.6", under_way=False)
    'rerun'
    >>> decide("r7-abc-t0.6", "r8-abc-t0.6", under_way=True)
    'offer'
    """
    if shown is None or shown == now:
        return "stay"
    return "offer" if under_way else "rerun"


def under_way(page: str, state: Mapping[str, Any]) -> bool:
    """True when ``state`` (a session's) holds work under way on ``page`` (:data:`UNDER_WAY`)."""
    return any(
        state.get(key) is not None and state.get(key) is not False and state.get(key) != ""
        for key in UNDER_WAY.get(page, ())
    )


def pinning() -> None:
    """Note when this run chose its analysis (app.py, just before :func:`ui.data.pin_analysis`)."""
    st.session_state[keys.FOLLOW_SINCE] = time.monotonic()


def pinned() -> None:
    """Share the key this run found as the process's answer (app.py, just after
    :func:`ui.data.pin_analysis`), unless an update is under way (the run shows an older one): the
    run's own poll and the other sessions' then ask nothing more of the store for a while."""
    key, since = st.session_state.get(keys.RUN_ANALYSIS), st.session_state.get(keys.FOLLOW_SINCE)
    if key is None or since is None or data.updating_note() is not None:
        return
    identity = refresh.identity(data.store())
    with _probe_lock:
        held = _probed.get(identity)
        if held is None or held[0] < since:
            _probed[identity] = (since, key)


def now_key(since: float = 0.0) -> str:
    """The key of the analysis the store and scenario call for now, asked at most once per
    :data:`PROBE_MAX_AGE_S` in this process (every session of it shares the answer).

    An answer asked before ``since`` (when the session's run chose its analysis) is not used: older
    than what the page shows, it would rerun the page again and again until it expired.
    """
    store = data.store()
    identity = refresh.identity(store)
    with _probe_lock:  # the other sessions wait for the probe under way rather than probe too
        held = _probed.get(identity)
        if held is not None and held[0] >= since and time.monotonic() - held[0] < PROBE_MAX_AGE_S:
            return held[1]
        asked = time.monotonic()
        key = updating.current_key(store, data.context())
        _probed[identity] = (asked, key)
        return key


def action(page: str) -> tuple[Action, str, str | None]:
    """This session's :func:`decide` on ``page``, with the key now and the key shown."""
    shown = st.session_state.get(keys.RUN_ANALYSIS)
    now = now_key(st.session_state.get(keys.FOLLOW_SINCE, 0.0))
    return decide(shown, now, under_way(page, st.session_state)), now, shown


def what_changed(shown: str, now: str) -> str:
    """The change between the analysis ``shown`` and the one ``now`` calls for, in words."""
    moved = []
    if refresh.revision_of(shown) != refresh.revision_of(now):
        moved.append(
            f"the store moved from revision {refresh.revision_of(shown)} to {refresh.revision_of(now)}"
        )
    if refresh.context_of(shown) != refresh.context_of(now):
        moved.append("the scenario or agreement changed")
    return " and ".join(moved) or "the store changed"


def follow(page: str) -> None:
    """The poll's body (app.py runs it every :data:`POLL_S`): rerun the app when the store or the
    scenario moved, or offer to when ``page`` has work under way."""
    with user_errors("checking the store for changes"):
        act, now, shown = action(page)
        if act == "rerun":
            st.rerun(scope="app")
        if act == "offer":
            st.info(
                # Not "by another officer": the user's own save on this page moves the store too.
                f"Changed since this page was drawn: {what_changed(shown, now)}. Your work on this "
                "page stays as it is until you show the changes.",
                icon=":material/sync:",
            )
            if st.button("Show the changes", key=keys.FOLLOW_SHOW):
                st.rerun(scope="app")
