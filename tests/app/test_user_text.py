"""User text is shown as text: no Markdown from ids, sources, descriptions or file names, no bidi reordering.

A report id ``![b](http://host/beacon.png)`` shown through Markdown made every viewer's browser fetch that
URL; ``**bold** $x$ :red[red]`` restyled the page; "evil\\u202egpj.exe" displayed as "evilexe.jpg".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ui.text import BIDI_CONTROLS, BIDI_MARK, MD_SPECIALS, md_escape, plain, plain_frame

MAP_PAGE = "app_pages/map.py"
INCIDENTS_PAGE = "app_pages/incidents.py"

IMAGE = "![b](http://127.0.0.1:9/beacon.png)"
STYLED = "**bold** $x$ :red[red]"
REVERSED = "evil\u202egpj.exe"
HOSTILE = [
    IMAGE,
    STYLED,
    REVERSED,
    "[link](javascript:alert(1)) <img src=x onerror=alert(1)> &#x202E; `code` ~~gone~~ | a | b |",
    "# heading\n- item\n1. first\r\n> quote\n\n    indented",
    ":smile: :material/home: :+1: $$x^2$$ \\(y\\) _em_ {#id} a\\",
]
BIDI = "\u061c \u200e \u200f \u202a \u202b \u202c \u202d \u202e \u2066 \u2067 \u2068 \u2069"
# Elements whose text Streamlit renders as Markdown (widget, metric and expander labels are too).
MARKDOWN_TYPES = {
    "metric",
    "markdown",
    "caption",
    "title",
    "header",
    "subheader",
    "info",
    "warning",
    "error",
    "success",
}


def _unescaped(markdown: str) -> list[str]:
    """The Markdown specials of ``markdown`` that no backslash escapes (CommonMark escaping)."""
    found, escaped = [], False
    for char in markdown:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in MD_SPECIALS:
            found.append(char)
    return found + (["\\"] if escaped else [])


@pytest.mark.parametrize("text", HOSTILE)
def test_md_escape_leaves_no_markdown_special_unescaped(text, shown):
    escaped = md_escape(text)
    assert _unescaped(escaped) == []
    # What a reader sees is the text as typed (bidi controls marked), on one line.
    assert shown(escaped) == re.sub(r"\r\n|\n", " ", plain(text))


def test_md_escape_breaks_emoji_and_icon_shortcodes_and_keeps_other_colons():
    # remark-emoji and the icon plugin read shortcodes from the text once its escapes are resolved.
    resolved = re.sub(r"\\(.)", r"\1", md_escape(":smile: :material/home: :+1: a:b:c"))
    assert not re.search(r":[\w+-]+:|:material/\w+:", resolved), resolved
    assert md_escape("CVM-OP-06:a-1") == "CVM\\-OP\\-06\\:a\\-1"
    assert md_escape("http://127.0.0.1:9/x") == "http\\://127\\.0\\.0\\.1\\:9/x"


def test_bidi_controls_are_shown_as_a_visible_mark():
    assert plain(REVERSED) == "evil\ufffdgpj.exe" and BIDI_MARK == "\ufffd"
    assert plain(BIDI) == md_escape(BIDI) == " ".join(BIDI_MARK * 12)
    assert set(BIDI.replace(" ", "")) == set(BIDI_CONTROLS)
    assert plain(42) == "42" and plain("ordinary") == "ordinary"


def test_plain_frame_marks_bidi_controls_in_cells_and_headers_only_when_present():
    clean = pd.DataFrame({"uid": ["a/1", "b/2"], "n": [1, 2]})
    assert plain_frame(clean) is clean, "no copy in the usual case"
    frame = pd.DataFrame(
        {
            "uid": ["a/1", f"b/{REVERSED}"],
            f"note{REVERSED}": [None, "x"],
            "kind": pd.Categorical(["p", f"q{REVERSED}"]),
            "n": [1, 2],
            "mixed": [["list"], f"m{REVERSED}"],
        }
    )
    before = frame.copy()
    shown = plain_frame(frame)
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is untouched
    assert list(shown.columns) == ["uid", "noteevil\ufffdgpj.exe", "kind", "n", "mixed"]
    assert shown["uid"].tolist() == ["a/1", "b/evil\ufffdgpj.exe"]
    assert shown["kind"].tolist() == ["p", "qevil\ufffdgpj.exe"]
    assert shown["mixed"].tolist() == [["list"], "mevil\ufffdgpj.exe"]
    assert shown["n"].tolist() == [1, 2] and pd.isna(shown.iloc[0, 1])


def _geo_error_script() -> None:
    from geo.errors import InputError
    from ui.errors import user_errors

    with user_errors("reading the batch"):
        msg = "column '![c](http://127.0.0.1:9/column.png)' of 'evil\u202egpj.csv' is empty."
        raise InputError(msg, hint="Map ':red[another]' column.")


def test_an_error_quoting_user_text_shows_it_as_text(shown):
    at = AppTest.from_function(_geo_error_script, default_timeout=30).run()
    (error,) = at.error
    assert "![" not in error.value and "](http" not in error.value and ":red[" not in error.value
    assert not set(BIDI_CONTROLS) & set(error.value)
    assert "**How to fix:**" in error.value, "the app's own Markdown is kept"
    text = shown(error.value)
    assert (
        "'![c](http://127.0.0.1:9/column.png)' of 'evil\ufffdgpj.csv'" in text and "':red[another]'" in text
    )


@pytest.fixture
def hostile_store(fresh_store_path: Path):
    """A store holding two reports of one event with hostile ids, source and description, from a file and
    an uploader named with Markdown and a bidi override; returns the store and the two reports."""
    from geo.ingest import read_batch
    from geo.store import open_store

    def feature(report_id: str, source: str, lon: float) -> dict:
        properties = {
            "id": report_id,
            "source": source,
            "occurred_at": "2026-10-20T06:00:00Z",
            "type": "impact",
            "weapon": "mortar",
            "description": f"{IMAGE} {REVERSED} <img src=http://127.0.0.1:9/d.png> :smile:",
        }
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, 48.6]},
            "properties": properties,
        }

    doc = {
        "type": "FeatureCollection",
        "features": [feature(IMAGE, STYLED, 37.8), feature(REVERSED, f"desk{REVERSED}", 37.801)],
    }
    data = json.dumps(doc).encode()
    store = open_store(fresh_store_path)
    batch = read_batch(data, filename=f"{REVERSED} ![f](http://127.0.0.1:9/file.png).geojson")
    store.add_batch(batch, original=data, uploader=f":red[officer] {REVERSED}")
    return store, batch.accepted.set_index("id")


def _walk(node) -> Iterator:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def markdown_sources(at: AppTest) -> list[str]:
    """Every Markdown source on the page: text elements, alerts, and widget, metric and expander labels."""
    sources = []
    for node in (n for root in (at.main, at.sidebar) for n in _walk(root)):
        if node.type in MARKDOWN_TYPES:
            sources.append(node.value)
        label = getattr(node, "label", None)
        if isinstance(label, str):
            sources.append(label)
    return sources


def displayed(at: AppTest) -> list[str]:
    """Every text on the page: the Markdown sources, table headers and cells, and select box options."""
    texts = markdown_sources(at)
    for node in (n for root in (at.main, at.sidebar) for n in _walk(root)):
        if node.type == "dataframe":
            frame = node.value
            texts += [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel()]
        if node.type in ("multiselect", "selectbox"):
            texts += [str(o) for o in node.options]
    return texts


def assert_shown_as_text(at: AppTest, shown: Callable[[str], str], *expected: str) -> None:
    """No Markdown image, link, LaTeX, colour or HTML from user text; no bidi control anywhere; each of
    ``expected`` on screen as typed (bidi controls marked), so the hostile text was there to be shown."""
    assert not at.exception and not at.error
    sources = markdown_sources(at)
    for source in sources:
        assert "![" not in source and "](http" not in source, source
        assert "$x$" not in source and ":red[" not in source and "<img" not in source, source
    for text in displayed(at):
        assert not set(BIDI_CONTROLS) & set(text), repr(text)
    on_screen = " ".join(shown(s) for s in sources)
    for text in expected:
        assert text in on_screen, text


def test_the_map_shows_a_hostile_report_as_text(app_on, hostile_store, shown):
    store, reports = hostile_store
    at = app_on(store.path, MAP_PAGE, query={"uid": reports.loc[IMAGE, "uid"], "dmax": IMAGE})
    assert at.session_state["selected_uid"] == reports.loc[IMAGE, "uid"]
    # The selected report's heading and reasons; a link's unreadable parameter, quoted in a warning.
    assert_shown_as_text(at, shown, f"{STYLED} · {IMAGE}", f"dmax='{IMAGE}'")
    assert any(h.value.startswith(md_escape(STYLED)) for h in at.subheader)
    # Found by its reversed id: the heading shows the mark where the override was.
    at.text_input(key="map_search").input(REVERSED).run()
    assert at.session_state["selected_uid"] == reports.loc[REVERSED, "uid"]
    assert_shown_as_text(at, shown, f"desk{plain(REVERSED)} · {plain(REVERSED)}")
    source = at.sidebar.multiselect(key="filter_sources")
    assert f"desk{plain(REVERSED)}" in source.options


def test_the_incidents_page_shows_a_hostile_report_as_text(app_on, hostile_store, shown):
    store, reports = hostile_store
    at = app_on(store.path, INCIDENTS_PAGE, query={"uid": reports.loc[IMAGE, "uid"]})
    filename = f"{plain(REVERSED)} ![f](http://127.0.0.1:9/file.png).geojson"
    assert_shown_as_text(
        at,
        shown,
        f"{STYLED} · {IMAGE}",  # the heading
        "**Why this side:** ",  # the side's reason
        f"{filename} · uploaded",  # the batch: file name and uploader
        f"by :red[officer] {plain(REVERSED)}",
        f"Original file ({filename})",
    )
    assert any(reports.loc[IMAGE, "uid"] in shown(m.value) for m in at.markdown), "a sentence quotes the uid"
    table = at.dataframe[0].value
    assert sorted(table["uid"]) == sorted(plain(u) for u in reports["uid"])
    assert set(table["description"]) == {
        f"{IMAGE} {plain(REVERSED)} <img src=http://127.0.0.1:9/d.png> :smile:"
    }
    # The reversed report selected (as a click on the map does): its heading carries the mark.
    at.session_state["selected_uid"] = reports.loc[REVERSED, "uid"]
    at.run()
    assert_shown_as_text(at, shown, f"desk{plain(REVERSED)} · {plain(REVERSED)}")
