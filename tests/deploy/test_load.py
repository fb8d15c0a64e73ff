"""Issue 15's load test, small (bench/load.py runs it big): websocket sessions of Streamlit's own
protocol and a Chromium page explore the Map page while two batches of real UCDP GED rows go in
through ``python -m geo ingest --as`` an analyst (the second repeating reports of the first) and an
admin retracts the first. No session sees an error, the store shows exactly the reports the files
call for (those both batches carried stay, those only the retracted one carried go), none twice, and
the audit log verifies and names who made each write. On both stores; no time is asserted.

Small on purpose (bench/load.py is the load measurement): one week of demo batches stored first,
three sessions and one browser, writes spread over 10 s (each write waits for the one before, so
they run back to back while the sessions explore). That is enough to prove what the test is for:
sessions and a browser keep working, each session exploring after its first map, while two
ingests and a retraction by named users go in through other processes; afterwards every report
the files call for is there, none twice, none of those only the retracted batch carried, every
session's last run counts them, and the audit log verifies and names each writer. More sessions,
more seed reports or a longer run add time, not a check."""

from __future__ import annotations

import pytest

from bench import loadkit
from geo.audit.log import AuditLog
from tests.browser.conftest import SECOND_LANE

pytestmark = [pytest.mark.browser, SECOND_LANE]

SESSIONS = 3
DURATION_S = 10


@pytest.fixture
def plan(tmp_path, shared_data) -> loadkit.Plan:
    """One week of demo batches (every source) stored first; two GED slices of 60 rows, 20 of them in both."""
    ged_a, ged_b = loadkit.ged_slices(tmp_path, 60, 20)
    return loadkit.Plan(seed=loadkit.demo_files("2026-10-01"), uploads=(ged_a, ged_b), retract=0)


def test_sessions_explore_the_map_while_batches_go_in_and_one_is_retracted(
    store_kind, request, tmp_path, plan
):
    url = request.getfixturevalue("postgis_url") if store_kind == "postgis" else ""
    where = loadkit.Where(tmp_path / "store", url)
    result = loadkit.run(where, plan, sessions=SESSIONS, browsers=1, duration=DURATION_S, think=(0.5, 2.0))

    assert result.errors == [], loadkit.table(result)
    # Every session had its first map and explored after it; the browser drew the map and reran.
    assert len(result.reruns) == SESSIONS and min(result.reruns) >= 3, result.reruns
    assert len(result.times[loadkit.WS_FIRST]) == SESSIONS
    assert result.times[loadkit.BROWSER_FIRST] and result.times[loadkit.BROWSER_RERUN]
    ingest_a, ingest_b, retract = result.writes
    assert (ingest_a.code, ingest_b.code, retract.code) == (0, 0, 0), [w.message for w in result.writes]
    assert ingest_a.new and ingest_b.new and ingest_a.batch_id != ingest_b.batch_id

    # The reports, from the files: the seed's and B's; of A only those B repeats.
    a = loadkit.uids_of(plan.uploads[0].path, "ucdp")
    b = loadkit.uids_of(plan.uploads[1].path, "ucdp")
    seed = set().union(*(loadkit.uids_of(p) for p in plan.seed))
    assert len(a & b) == 20 and len(a - b) == 40
    uids = where.open("after").incidents()["uid"]
    assert not uids.duplicated().any()
    assert set(uids) == seed | b == loadkit.expected_uids(plan)
    assert not (a - b) & set(uids)
    # Each session's last run, after the writes, counted the same reports.
    assert result.counts_seen == [len(seed | b)] * SESSIONS

    assert result.audit_ok, result.audit
    whos = {(e.action, e.what.get("batch_id")): e.who for e in AuditLog(where.open("after")).all()}
    assert whos[("ingest", ingest_a.batch_id)] == loadkit.ANALYST
    assert whos[("ingest", ingest_b.batch_id)] == loadkit.ANALYST
    assert whos[("retract", ingest_a.batch_id)] == loadkit.ADMIN
    assert result.audit_named == []
