"""The PDF pack read back: its table row by row against the filtered data, every page's stamp, the manifest."""

from __future__ import annotations

import dataclasses
import io
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from geo import palette
from geo.filters import Filters
from geo.gazetteer import load_gazetteer
from geo.labels import label
from geo.report import Manifest, build_pack, rebuild
from geo.report.manifest import differences
from geo.rules import load_agreement


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _likely_events(reports, events, first: str, last: str, sector: str) -> pd.DataFrame:
    """The likely violations of whole days ``first`` to ``last`` in ``sector``, counted here by hand:
    each event by its own time, in the sector of its earliest report (then smallest uid)."""
    earliest = reports.sort_values(["occurred_at", "uid"]).drop_duplicates("event_id").set_index("event_id")
    start, stop = pd.Timestamp(first, tz="UTC"), pd.Timestamp(last, tz="UTC") + pd.Timedelta(days=1)
    chosen = events.loc[
        (events["flag_level"] == "likely")
        & (events["occurred_at"] >= start)
        & (events["occurred_at"] < stop)
        & (events["event_id"].map(earliest["sector"]) == sector)
    ]
    return chosen.sort_values(["occurred_at", "event_id"], kind="stable")


def test_the_table_is_every_likely_violation_of_the_view_in_time_order(pack, pages, reports, events):
    expected = _likely_events(reports, events, "2026-10-05", "2026-10-11", "Bakhmut")
    assert pack.table["event"].tolist() == expected["event_id"].tolist() and len(expected) > 20
    text = _flat(" ".join(pages))
    # pypdf may break a cell's text inside a word; compare without spaces.
    joined = text.replace(" ", "")
    positions = [joined.find(event.replace(" ", "")) for event in expected["event_id"]]
    assert all(p >= 0 for p in positions), "a likely violation of the view is missing from the table"
    assert positions == sorted(positions), "the table is not in time order"
    gazetteer = load_gazetteer()
    for event in expected.itertuples():
        row_start = joined.find(event.event_id)
        row = joined[row_start : row_start + 600]
        assert f"{event.occurred_at:%Y-%m-%d}{event.occurred_at:%H:%M}" in row  # the event's own time
        place = gazetteer.describe([event.geometry.x], [event.geometry.y])[0]
        assert place.replace(" ", "") in row, (event.event_id, place)
        for source in event.sources:
            assert source.replace(" ", "") in row
        side = event.attributed_side
        assert label(side if isinstance(side, str) else "undetermined", "attributed_side") in row
        # Why this side, as the score wrote it (its opening words; the cell wraps the rest).
        assert event.side_reason.split(":")[0].replace(" ", "") in joined[row_start : row_start + 2000]


def test_cover_figures_and_methods(pages, pack, week_reports, reports, events, settings):
    cover = _flat(pages[0])
    assert "Sector: Bakhmut" in cover and "2026-10-05 00:00 to 2026-10-11 23:59 UTC" in cover
    likely = len(_likely_events(reports, events, "2026-10-05", "2026-10-11", "Bakhmut"))
    assert f"Reports {len(week_reports):,}" in cover and f"Likely violations (events) {likely:,}" in cover
    assert pack.manifest.figures["likely_violations"] == likely
    methods = _flat(pages[-1] if "Methods" in pages[-1] else pages[-2] + pages[-1])
    agreement = load_agreement(settings.agreement_path)
    assert agreement.short_name in methods
    for rule in agreement.rules:
        assert label(rule.code, "code") in methods  # each rule by its words, not its code
    assert pack.manifest.agreement_sha256 in methods.replace(" ", "")


def test_every_page_has_the_marking_the_stamp_and_its_number(pages, pack, settings):
    n = len(pages)
    assert n >= 5
    for i, text in enumerate(pages, start=1):
        flat = _flat(text)
        assert f"Page {i} of {n}" in flat
        assert flat.count(settings.classification) >= 2
        assert f"Data {pack.manifest.view_hash[:16]}" in flat
        assert "Generated 2026-11-01 12:00:00 UTC" in flat


def test_a_long_pack_has_contents_and_a_short_one_none(
    pages, demo_analysis, reports, events, scenario, settings
):
    # On the cover: a page of its own would be nearly empty.
    assert "Contents" in pages[0] and "Likely violations" in pages[0]
    day = Filters.from_params({"from": "2026-10-06", "to": "2026-10-06", "sector": "Kherson"})
    short = build_pack(
        demo_analysis, scenario, filters=day, settings=settings, title="Брифінг: Херсон, 6 жовтня"
    )
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(short.pdf)).pages]
    assert not any("Contents" in t for t in texts)
    assert "Брифінг: Херсон, 6 жовтня" in texts[0]  # a Cyrillic title prints as given
    assert len(short.table) == len(_likely_events(reports, events, "2026-10-06", "2026-10-06", "Kherson"))


def test_the_manifest_is_embedded_and_matches(pack, week_reports, week):
    reader = PdfReader(io.BytesIO(pack.pdf))
    embedded = Manifest.from_json(reader.metadata["/Keywords"])
    assert embedded == pack.manifest
    assert (
        embedded.filters
        == week.to_params()
        == {"from": "2026-10-05", "to": "2026-10-11", "sector": "Bakhmut"}
    )
    assert embedded.figures["reports"] == len(week_reports)
    assert embedded.figures["likely_events"] == pack.table["event"].tolist()
    assert embedded.generated_at == "2026-11-01T12:00:00Z"


def test_rebuilding_from_the_manifest_gives_the_same_figures(pack, demo_analysis, scenario, settings):
    again, changes = rebuild(
        Manifest.from_json(pack.manifest.to_json()), demo_analysis, scenario, settings=settings
    )
    assert changes == []
    assert again.manifest.figures == pack.manifest.figures and again.table.equals(pack.table)


def test_a_changed_store_is_named_when_rebuilding(pack, demo_analysis, scenario, settings, week_reports):
    reports = demo_analysis.reports
    dropped = dataclasses.replace(demo_analysis, reports=reports.drop(index=week_reports.index[:5]))
    _, changes = rebuild(pack.manifest, dropped, scenario, settings=settings)
    assert changes[0].startswith("The stored reports no longer match the manifest")
    assert any(c.startswith("Figure 'reports': 106") or "Figure 'reports'" in c for c in changes)
    outside = reports.drop(index=reports.index.difference(week_reports.index)[:5])
    _, changes = rebuild(
        pack.manifest, dataclasses.replace(demo_analysis, reports=outside), scenario, settings=settings
    )
    assert changes == ["The store has changed since the pack was made, but not the reports the pack covers."]


def test_differences_name_the_agreement_and_software(pack):
    other = Manifest(**{**pack.manifest.__dict__, "agreement_sha256": "0" * 64, "software_version": "9.9"})
    changes = differences(pack.manifest, other)
    assert any("agreement file differs" in c for c in changes) and any("9.9" in c for c in changes)


def test_an_empty_period_gives_a_pack_that_says_so(demo_analysis, scenario, settings):
    nothing = Filters.from_params({"from": "2027-01-01", "to": "2027-01-31"})
    empty = build_pack(demo_analysis, scenario, filters=nothing, settings=settings)
    text = _flat(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(empty.pdf)).pages))
    assert "No event in this period and sector was flagged as a likely violation" in text
    assert empty.manifest.figures["reports"] == 0 and empty.table.empty


def test_the_map_page_renders_to_png(pack, tmp_path):
    import pypdfium2

    # Page 2 holds the map, in landscape; PDFium (Chrome's PDF renderer) draws it at 50 dpi.
    document = pypdfium2.PdfDocument(pack.pdf)
    page = tmp_path / "page-2.png"
    document[1].render(scale=50 / 72).to_pil().save(page)
    with Image.open(page) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert pixels.shape[:2] == (pytest.approx(413, abs=2), pytest.approx(585, abs=2))  # A4 landscape, 50 dpi
    assert (pixels.min(axis=2) < 235).mean() > 0.1  # the map, not a blank page
    likely = palette.FLAG_COLOURS["likely"]
    drawn = np.abs(pixels - [int(likely[i : i + 2], 16) for i in (1, 3, 5)]).max(axis=2) < 40
    assert drawn.mean() > 0.0005  # likely violations drawn in the palette's colour


def test_hotspots_and_clusters_of_the_pack_rows(pack, pages, week_reports, settings):
    from geo.patterns import find_patterns
    from geo.pipeline import scenario_sectors

    patterns = find_patterns(week_reports, sectors=scenario_sectors(settings.scenario_dir))
    hot = patterns.hotspots["level"].astype(str).str.startswith("hot")
    assert pack.manifest.figures["hot_cells"] == int(hot.sum())
    assert pack.manifest.figures["significant_clusters"] == int(patterns.clusters["significant"].sum())
    text = _flat(" ".join(pages))
    assert "Hotspots and clusters" in text and "Space-time clusters" in text
    for cluster_id in patterns.clusters["cluster_id"].head(12):
        assert cluster_id in text
