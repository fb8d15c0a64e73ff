"""The figures agree across pages (issue 13): the same period gives the same counts on the Overview, the
Map, Incidents, Briefing and in the PDF pack's manifest, read from what each page shows."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import as_shown, run_app
from ui import keys

MAP, INCIDENTS, BRIEFING = "app_pages/map.py", "app_pages/incidents.py", "app_pages/briefing.py"
# The sidebar's preset buttons, by the Overview's column they match.
PRESETS = {"Latest day": 1, "Last 7 days": 7, "Last 30 days": 30}
# The days of each preset on the demo month (its latest report is on 2026-10-31).
DAYS = {"Latest day": ("2026-10-31", "2026-10-31"), "Last 7 days": ("2026-10-25", "2026-10-31")}
DAYS["Last 30 days"] = ("2026-10-02", "2026-10-31")
CAPTION = re.compile(
    r"([\d,]+) of [\d,]+ reports(?: · ([\d,]+) events · ([\d,]+) likely violations \(events\))?"
)


@pytest.fixture(scope="module")
def store_path(demo_store):
    """The demo store as the app's, for every run of this module (a click reruns the app)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CM_STORE_PATH", str(demo_store.path))
        yield demo_store.path


def _run(page: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    return run_app(page, query=query)


def _preset(at: AppTest, label: str) -> AppTest:
    """Click the sidebar's preset button of ``label``, as a user would."""
    at.button(key=f"{keys.FILTER_PRESET}_{PRESETS[label]}").click().run()
    assert not at.exception and not at.error
    return at


def _caption_figures(at: AppTest) -> tuple[int, ...]:
    """(reports, events, likely) of the page's caption; only reports when it gives no more."""
    found = [m for c in at.caption if (m := CAPTION.search(as_shown(c.value)))]
    assert len(found) == 1, [c.value for c in at.caption]
    return tuple(int(g.replace(",", "")) for g in found[0].groups() if g is not None)


def _table(at: AppTest, column: str, row: str | None = None) -> pd.DataFrame:
    """The Overview's one dataframe with ``column`` (and ``row`` in its index)."""
    tables = [
        d.value for d in at.dataframe if column in d.value.columns and (row is None or row in d.value.index)
    ]
    assert len(tables) == 1
    return tables[0]


@pytest.fixture(scope="module")
def overview(store_path) -> AppTest:
    at = _run()
    assert not at.exception and not at.error
    return at


@pytest.fixture(scope="module")
def headline(overview) -> pd.DataFrame:
    return _table(overview, "Last 7 days", "Events")


def test_the_overviews_tables_and_metrics_agree(overview, headline):
    trends, by_side = _table(overview, "likely"), _table(overview, "undetermined")
    month = headline["Last 30 days"]
    assert trends["likely"].sum() == by_side.loc["total", "total"] == month["Likely violations (events)"] > 0
    assert (
        dict(zip(trends["sector"], trends["likely"], strict=True)) == by_side["total"].drop("total").to_dict()
    )
    for side in ("RU", "UA"):
        assert by_side.loc["total", side] == month[f"Likely, attributed {side}"]
    metrics = {m.label: int(m.value.replace(",", "")) for m in overview.metric}
    assert metrics["Likely violations, last 30 days"] == month["Likely violations (events)"]
    assert metrics["Events, last 30 days"] == month["Events"]
    assert metrics["Reports, last 7 days"] == headline.loc["Reports", "Last 7 days"]
    assert metrics["Reports, latest day"] == headline.loc["Reports", "Latest day"]
    assert _table(overview, "Whole record")["Last 7 days"].sum() == headline.loc["Reports", "Last 7 days"]


@pytest.mark.parametrize("label", list(PRESETS))
@pytest.mark.parametrize("page", [INCIDENTS, BRIEFING])
def test_a_preset_shows_the_overviews_figures(store_path, headline, page, label):
    at = _preset(_run(page), label)
    assert (at.query_params["from"], at.query_params["to"]) == DAYS[label]
    column = headline[label]
    assert _caption_figures(at) == (column["Reports"], column["Events"], column["Likely violations (events)"])


def test_the_map_shows_the_overviews_reports_of_the_week(store_path, headline):
    at = _preset(_run(MAP), "Last 7 days")
    assert _caption_figures(at) == (headline.loc["Reports", "Last 7 days"],)
    assert at.session_state["map_incident_count"] == headline.loc["Reports", "Last 7 days"]


def test_the_pack_of_a_preset_has_the_overviews_figures(store_path, headline):
    at = _preset(_run(BRIEFING), "Last 7 days")
    at.button(key=keys.BRIEF_PACK_BUILD).click().run()
    assert not at.exception and not at.error
    manifest = at.session_state[keys.BRIEF_PACK][1].manifest
    week = headline["Last 7 days"]
    assert manifest.filters == dict(zip(("from", "to"), DAYS["Last 7 days"], strict=True))
    assert manifest.figures["reports"] == week["Reports"]
    assert manifest.figures["events"] == week["Events"]
    assert manifest.figures["likely_violations"] == week["Likely violations (events)"]
    assert len(manifest.figures["likely_events"]) == week["Likely violations (events)"]
    assert manifest.figures["likely_by_side"] == {
        "RU": week["Likely, attributed RU"],
        "UA": week["Likely, attributed UA"],
        "undetermined": week["Likely, side undetermined"],
    }
    assert (
        manifest.figures["reports"],
        manifest.figures["events"],
        manifest.figures["likely_violations"],
    ) == (_caption_figures(at))


def test_a_sectors_pack_has_the_overviews_sector_row(store_path, overview):
    by_side = _table(overview, "undetermined")
    first, last = DAYS["Last 30 days"]
    at = _run(BRIEFING, query={"from": first, "to": last, "sector": "Lyman"})
    at.button(key=keys.BRIEF_PACK_BUILD).click().run()
    assert not at.exception and not at.error
    figures = at.session_state[keys.BRIEF_PACK][1].manifest.figures
    row = by_side.loc["Lyman"]
    assert figures["likely_violations"] == row["total"] == _caption_figures(at)[2]
    assert figures["likely_by_side"] == {side: row[side] for side in ("RU", "UA", "undetermined")}
    assert figures["top_sectors"] == {"Lyman": row["total"]}


# Three likely violations of the demo have reports on both of these days.
DAY_1, DAY_2 = "2026-10-09", "2026-10-10"


def test_consecutive_days_add_up_and_each_days_pack_agrees(store_path):
    shown, listed = {}, {}
    for first, last in ((DAY_1, DAY_1), (DAY_2, DAY_2), (DAY_1, DAY_2)):
        at = _run(BRIEFING, query={"from": first, "to": last})
        shown[first, last] = _caption_figures(at)
        if first == last:
            at.button(key=keys.BRIEF_PACK_BUILD).click().run()
            assert not at.exception and not at.error
            figures = at.session_state[keys.BRIEF_PACK][1].manifest.figures
            assert (figures["reports"], figures["events"], figures["likely_violations"]) == shown[first, last]
            listed[first] = set(figures["likely_events"])
    # Each event is counted on one day: the days' figures add up to the two days'.
    both = tuple(a + b for a, b in zip(shown[DAY_1, DAY_1], shown[DAY_2, DAY_2], strict=True))
    assert both == shown[DAY_1, DAY_2]
    assert not listed[DAY_1] & listed[DAY_2]
