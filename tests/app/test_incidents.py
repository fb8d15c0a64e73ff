"""The Incidents page: the filtered table, a report's detail by link, and the empty and no-match states.

The table, a report's detail with its batch, and the empty store on both stores; the filters on the
GeoPackage one."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.labels import label
from geo.pipeline import explained

INCIDENTS_PAGE = "app_pages/incidents.py"


@pytest.fixture(scope="module")
def busiest_event(demo_analysis):
    """A report of the demo event with the most reports (several sources), and that event."""
    reports, events = demo_analysis.reports, demo_analysis.events
    event_id = reports["event_id"].value_counts().index[0]
    event = events.set_index("event_id").loc[event_id]
    assert event["n_reports"] > 1
    return reports.loc[reports["event_id"] == event_id].iloc[0], event


def test_incidents_on_the_demo(app_on, demo, texts):
    at = app_on(demo, INCIDENTS_PAGE)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) == demo.count()
    assert set(table["uid"]) == set(demo.incidents()["uid"])
    assert table["occurred_at"].is_monotonic_decreasing
    assert f"{demo.count():,} of {demo.count():,} reports" in texts(at)
    assert "Select a row" in texts(at) and not at.subheader


def test_incidents_on_an_empty_store(app_on, empty_store, texts):
    at = app_on(empty_store, INCIDENTS_PAGE)
    assert not at.exception and not at.error
    assert "No reports yet" in texts(at)
    assert not at.dataframe


def test_incidents_filters_that_match_nothing(app_on, demo_store, texts):
    at = app_on(demo_store.path, INCIDENTS_PAGE)
    at.sidebar.multiselect(key="filter_types").set_value(["weapon_sighting"])
    at.sidebar.multiselect(key="filter_weapons").set_value(["uav"]).run()
    assert not at.exception and not at.error
    assert "No report matches the filters" in texts(at)
    assert not at.dataframe
    assert at.query_params["type"] == "weapon_sighting"


def test_incidents_filter_narrows_the_table_to_exactly_those_rows(app_on, demo_store):
    at = app_on(demo_store.path, INCIDENTS_PAGE, query={"type": "impact", "weapon": "mortar"})
    assert not at.exception and not at.error
    stored = demo_store.incidents()
    expected = stored.loc[(stored["type"] == "impact") & (stored["weapon"] == "mortar"), "uid"]
    table = at.dataframe[0].value
    assert len(expected) > 0 and sorted(table["uid"]) == sorted(expected)
    labels = [b.label for b in at.get("download_button")]
    assert sum(f"({len(expected):,} rows)" in label for label in labels) == 3


def test_a_link_opens_the_report_with_its_event_sources_batch_and_reasons(
    app_on, demo, demo_analysis, busiest_event, texts, shown
):
    row, event = busiest_event
    at = app_on(demo, INCIDENTS_PAGE, query={"uid": row["uid"]})
    assert not at.exception and not at.error
    assert shown(at.subheader[0].value) == f"{row['source']} · {row['id']}"
    # The report's own figures under one heading; the flag, score, side and reasons under its event's.
    lines = [shown(m.value) for m in at.markdown]
    own = next(line for line in lines if line.startswith("**This report:**"))
    assert f"{row['occurred_at']:%Y-%m-%d %H:%M} UTC" in own and f"count {row['count']}" in own
    heading = f"**Its event ({event['n_reports']} reports, from sources {', '.join(event['sources'])})**"
    assert heading in lines and any(line.startswith("**Reasons of its event**") for line in lines)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Flag"] == label(event["flag_level"]) and int(metrics["Sources"]) == event["n_sources"]
    sources = at.dataframe[1].value
    assert sources["uid"].iloc[0] == row["uid"] and sorted(sources["uid"]) == sorted(event["report_uids"])
    assert at.session_state["incidents_map_count"] == 1  # the report alone (its event is listed beside)
    # Its batch in this store (each store names its batches), with the file it came from.
    stored = demo.incidents().set_index("uid").loc[row["uid"], "batch_id"]
    batch = demo.batches().set_index("batch_id").loc[stored]
    assert f"SHA-256 {batch['sha256']}" in texts(at) and batch["filename"] in texts(at)
    worded = explained(
        demo_analysis.events.loc[demo_analysis.events["event_id"] == row["event_id"]], demo_analysis
    )
    assert len(worded["reasons"].iloc[0]) >= 2  # its confidence and at least one rule or side
    for reason in worded["reasons"].iloc[0]:
        assert any(reason["sentence"] in shown(m.value) for m in at.markdown)
    assert any(shown(m.value) == f"**Why this side:** {event['side_reason']}" for m in at.markdown)
    # Every field by its name in words, codes as words (geo.labels).
    fields = at.dataframe[-1].value.set_index("field")["value"]
    assert fields["Report"] == row["uid"] and pd.Timestamp(fields["Time (UTC)"]) == row["occurred_at"]
    assert fields["Type"] == label(row["type"], "type") and fields["Flag level"] == label(row["flag_level"])


def test_a_link_to_an_unknown_report_says_so(app_on, demo_store, shown):
    at = app_on(demo_store.path, INCIDENTS_PAGE, query={"uid": "nobody/none"})
    assert not at.exception
    assert "No stored report has the id 'nobody/none'" in shown(at.error[0].value)
    assert len(at.dataframe[0].value) == demo_store.count(), "the table is still there"


def test_the_page_never_changes_the_shared_analysis(app_on, serve, demo_store, busiest_event):
    import ui.data
    from geo.pipeline import context_key
    from geo.settings import load_settings

    serve(demo_store.path)  # the shared analysis is of the store the settings name
    s = load_settings()
    key = (demo_store.revision(), context_key(s.scenario_dir, s.agreement_path))
    shared = ui.data._analysis(*key, str(s.scenario_dir), str(s.agreement_path))
    tables = (shared.reports, shared.events, shared.reasons, shared.evidence)
    before = [frame.copy(deep=True) for frame in tables]
    at = app_on(demo_store.path, INCIDENTS_PAGE, query={"uid": busiest_event[0]["uid"]})
    at.sidebar.multiselect(key="filter_types").set_value(["impact"]).run()
    assert not at.exception and not at.error
    again = ui.data._analysis(*key, str(s.scenario_dir), str(s.agreement_path))
    assert again.reports is shared.reports, "the page used the shared frames, not copies"
    for frame, copy in zip(tables, before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)
