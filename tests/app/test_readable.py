"""Every page shows codes as words: no raw code (a type, weapon, source type, flag level, reason, zone
kind ...) in a table, heading, caption, option or chart a person reads."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from geo import labels
from geo.labels import label
from tests.app.conftest import as_shown

PAGES = (
    None,  # the Overview
    "app_pages/map.py",
    "app_pages/incidents.py",
    "app_pages/patterns.py",
    "app_pages/briefing.py",
    "app_pages/upload.py",
    "app_pages/zones.py",
    "app_pages/audit.py",
)
WIDGETS = frozenset(
    {
        "selectbox",
        "multiselect",
        "radio",
        "select_slider",
        "slider",
        "text_input",
        "text_area",
        "number_input",
        "date_input",
        "checkbox",
        "toggle",
    }
)
# Codes that are no word (geo.labels.raw_codes), and their parts with digits ("ge100mm").
CODES = labels.raw_codes() | {p for c in labels.raw_codes() for p in c.split("_") if re.search(r"\d", p)}
_CODE = re.compile(
    r"(?<![\w-])(" + "|".join(sorted(map(re.escape, CODES), key=len, reverse=True)) + r")(?![\w-])"
)
# Templates' placeholders ("{what} reported {when}") are never shown either.
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _walk(node) -> Iterator:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _headings(node) -> list[str]:
    """A table's column headings as shown: its column configuration's label, else the column's name."""
    config = json.loads(node.proto.columns or "{}")
    shown = []
    for column in node.value.columns:
        entry = config.get(str(column)) or config.get(f"col:{column}") or {}
        shown.append(str(entry.get("label") or column) if isinstance(entry, dict) else str(column))
    return shown


def _chart_texts(node) -> list[str]:
    """A Vega-Lite chart's spec (titles, legends) and the values of its data."""
    proto = node.proto
    texts = [proto.spec]
    for dataset in [*getattr(proto, "datasets", []), *([proto.data] if proto.HasField("data") else [])]:
        data = getattr(dataset, "data", dataset)
        raw = getattr(data, "data", b"")
        if raw:
            table = pa.ipc.open_stream(io.BytesIO(raw)).read_all()
            texts += [str(v) for column in table.columns for v in column.to_pylist()]
    return texts


def shown_texts(at: AppTest) -> list[str]:
    """Every text a person reads on the page: text elements, labels, table headings and cells,
    select box options, metric values, chart titles and data."""
    texts = []
    for node in (n for root in (at.main, at.sidebar) for n in _walk(root)):
        # A widget's value is what it holds (the code), not what it shows: its label and options are read.
        attributes = (
            ("label",) if node.type in WIDGETS or node.type == "dataframe" else ("value", "label", "body")
        )
        for attribute in attributes:
            value = getattr(node, attribute, None)
            if isinstance(value, str):
                texts.append(value)
        if node.type == "dataframe":
            frame = node.value
            texts += (
                _headings(node) + [str(v) for v in frame.index] + [str(v) for v in frame.to_numpy().ravel()]
            )
        if node.type in ("multiselect", "selectbox", "radio", "select_slider"):
            texts += [str(o) for o in node.options]
        if "vega" in node.type:
            texts += _chart_texts(node)
    return texts


def _raw(texts: list[str]) -> set[str]:
    found = set()
    for text in map(as_shown, texts):  # Markdown's escapes resolved: "small\\_arms" is "small_arms"
        found |= set(_CODE.findall(text)) | set(_PLACEHOLDER.findall(text))
    return found


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_a_raw_code(app_on, demo_store, page):
    at = app_on(demo_store.path, page)
    assert not at.exception and not at.error
    texts = shown_texts(at)
    assert len(texts) > 5
    assert not _raw(texts), f"{page or 'overview'} shows {sorted(_raw(texts))}"


def test_a_report_s_detail_shows_its_codes_as_words(app_on, demo_store, demo_analysis):
    reports = demo_analysis.reports
    chosen = reports.loc[
        (reports["weapon"] == "artillery_ge100mm") & (reports["flag_level"] == "likely")
    ].iloc[0]
    at = app_on(demo_store.path, "app_pages/incidents.py", query={"uid": chosen["uid"]})
    assert not at.exception and not at.error
    texts = shown_texts(at)
    assert not _raw(texts), sorted(_raw(texts))
    joined = " ".join(texts)
    assert label("artillery_ge100mm", "weapon") in joined and label(chosen["type"], "type") in joined


def test_filters_offer_words_and_keep_the_codes(app_on, demo_store):
    at = app_on(demo_store.path, "app_pages/incidents.py")
    types = at.sidebar.multiselect(key="filter_types")
    assert "Outgoing fire" in types.options and "outgoing_fire" not in types.options
    types.set_value(["outgoing_fire"]).run()
    assert at.query_params["type"] == "outgoing_fire"  # the URL keeps the code


def test_the_rules_read_as_words_with_their_placeholders_described(app_on, demo_store):
    at = app_on(demo_store.path, "app_pages/zones.py")
    rules = at.dataframe[-1].value
    assert "Flight over the security zone" in set(rules["rule"])
    fire = rules.set_index("rule").loc["Fire after the ceasefire took effect", "reason given"]
    assert fire.startswith("‹what was reported› reported ‹when›") and "2026-10-03 at 00:00 UTC" in fire
    assert not any(_PLACEHOLDER.search(s) for s in rules["reason given"])
