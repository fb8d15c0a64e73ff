"""The Incidents page's engine: the table, one report's detail, and exports of exactly the rows shown."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from geo.detail import export_bytes, export_file_name, incident_table, report_detail
from geo.errors import InputError
from geo.filters import Filters, apply_filters
from geo.pipeline import explained


def test_the_table_keeps_each_report_once_newest_first_with_its_index(demo_analysis):
    reports = demo_analysis.reports
    table = incident_table(reports)
    assert len(table) == len(reports) and table.index.is_unique
    assert table["occurred_at"].is_monotonic_decreasing
    assert (reports.loc[table.index, "uid"].to_numpy() == table["uid"].to_numpy()).all()
    assert (table["dist_to_line_km"] * 1000 - reports.loc[table.index, "dist_to_line_m"]).abs().max() <= 5
    newest = incident_table(reports, limit=10)
    assert newest.index.tolist() == table.index[:10].tolist()


def test_a_report_detail_gathers_its_event_sources_batch_and_reasons(demo_analysis, demo_store):
    reports, events = demo_analysis.reports, demo_analysis.events
    multi = events.loc[events["n_reports"] > 1].iloc[0]
    uid = multi["report_uids"][-1]
    detail = report_detail(uid, demo_analysis, demo_store.batches())
    assert detail.event["event_id"] == multi["event_id"]
    assert detail.sources["uid"].iloc[0] == uid
    assert sorted(detail.sources["uid"]) == sorted(multi["report_uids"])
    assert len(detail.members) == multi["n_reports"] and detail.members.crs.to_epsg() == 4326
    row = reports.loc[reports["uid"] == uid].iloc[0]
    assert detail.batch["batch_id"] == row["batch_id"]
    assert demo_store.original_file(row["batch_id"]).name == detail.batch["sha256"]
    worded = explained(events.loc[events["event_id"] == multi["event_id"]], demo_analysis)["reasons"].iloc[0]
    assert detail.reasons["sentence"].tolist() == [r["sentence"] for r in worded]
    assert len(detail.reasons) and "reasons" not in reports  # the event's, worded when shown
    fields = detail.fields.set_index("field")["value"]
    assert fields["lon, lat"] == f"{row.geometry.x:.5f}, {row.geometry.y:.5f}"
    assert json.loads(fields["zones"]) == list(row["zones"])
    # Whose each field is: the report's own first, then those it takes from its event.
    whose = detail.fields.set_index("field")["of"]
    for own in ("uid", "occurred_at", "count", "weapon", "dist_to_line_m", "lon, lat", "batch_id"):
        assert whose[own] == "this report", own
    for its in ("event_id", "flag_level", "violation_score", "attributed_side", "side_reason", "n_families"):
        assert whose[its] == "its event", its
    assert detail.fields["of"].tolist() == sorted(detail.fields["of"], key=lambda v: v != "this report")
    with pytest.raises(InputError, match="No stored report has the id 'x/y'"):
        report_detail("x/y", demo_analysis, demo_store.batches())


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
def test_exports_hold_exactly_the_filtered_rows(demo_analysis, fmt, tmp_path):
    reports = demo_analysis.reports
    filters = Filters(choices={"type": ("impact",), "flag_level": ("likely",)})
    shown = apply_filters(reports, filters)
    assert 0 < len(shown) < len(reports)
    path = tmp_path / f"shown.{fmt}"
    path.write_bytes(export_bytes(shown, fmt))
    back = pd.read_csv(path) if fmt == "csv" else gpd.read_file(path)
    assert back["uid"].tolist() == shown["uid"].tolist()
    assert set(back["type"]) == {"impact"} and set(back["flag_level"]) == {"likely"}


def test_export_file_names_are_safe_everywhere():
    name = export_file_name("2026-10-01 to 2026-10-31 UTC; source: CVM/OP:05, ..\\x", "gpkg")
    assert name == "incidents_2026-10-01-to-2026-10-31-UTC-source-CVM-OP-05-x.gpkg"
    assert export_file_name("", "csv") == "incidents_all.csv"


def test_each_row_and_the_detail_name_the_place(demo_analysis):
    from geo.detail import incident_table, report_detail
    from geo.gazetteer import describe_places

    reports = demo_analysis.reports
    table = incident_table(reports, limit=50)
    rows = reports.loc[table.index]
    expected = describe_places(rows.geometry.x.to_numpy(), rows.geometry.y.to_numpy())
    assert table["place"].tolist() == expected
    assert all(" of " in p or p.startswith("in ") for p in expected)
    uid = rows["uid"].iloc[0]
    detail = report_detail(uid, demo_analysis, pd.DataFrame(columns=["batch_id"]))
    assert detail.fields.set_index("field").loc["place", "value"] == expected[0]


def test_the_reports_at_a_report_s_place_are_those_within_50_m(demo_analysis):
    import numpy as np

    from geo.detail import reports_at_place

    reports = demo_analysis.reports
    keep = np.ones(len(reports), dtype=bool)
    # A channel's report at the place of two others (the demo month of the real-boundary scenario).
    uid = "OSINT-CHANNEL-B/20261016-0005"
    others = reports_at_place(reports, keep, uid)
    assert len(others) == 2 and uid not in set(others["uid"])
    # Each within 50 m by the geodesic, and no report beyond it listed.
    from pyproj import Geod

    me = reports.loc[reports["uid"] == uid].geometry.iloc[0]
    _, _, metres = Geod(ellps="WGS84").inv(
        np.full(len(reports), me.x), np.full(len(reports), me.y), reports.geometry.x, reports.geometry.y
    )
    expected = set(reports.loc[(metres <= 50) & (reports["uid"] != uid).to_numpy(), "uid"])
    assert set(others["uid"]) == expected
    assert others["occurred_at"].is_monotonic_decreasing
    # Only those the filters keep; none for a uid not there.
    keep[reports["uid"].isin(others["uid"]).to_numpy()] = False
    assert reports_at_place(reports, keep, uid).empty and reports_at_place(reports, keep, "nope").empty
