"""AppTest harness: the app over a given store (demo or empty), via the CM_STORE_PATH setting."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
# Generous: the first run on the demo store analyses every report before the cache is warm.
TIMEOUT_S = 120


@pytest.fixture
def app_on(monkeypatch):
    """Return a function that builds an AppTest of app.py over the store at ``path``, on ``page``.

    ``query`` sets the URL's query parameters before the first run, as a shared link would.
    """

    def build(path: Path, page: str | None = None, *, query: dict[str, str] | None = None) -> AppTest:
        monkeypatch.setenv("CM_STORE_PATH", str(path))
        return run_app(page, query=query)

    return build


def run_app(page: str | None = None, *, query: dict[str, str] | None = None) -> AppTest:
    """Run app.py (on the store CM_STORE_PATH names), its URL's query set first, then switch to ``page``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    if page:
        at.switch_page(page).run()
    return at


# A backslash before ASCII punctuation, as ui.text.md_escape writes it; the word joiner it adds.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def as_shown(markdown: str) -> str:
    """The text a reader sees of Markdown ``markdown``: its backslash escapes resolved (the rest kept)."""
    return _ESCAPED.sub(r"\1", markdown).replace("\u2060", "")


@pytest.fixture
def shown():
    """Return :func:`as_shown`: Markdown source as read on screen (user text in it is escaped)."""
    return as_shown


@pytest.fixture
def texts():
    """Return a function joining every message, caption and markdown text of an AppTest, as shown."""

    def join(at: AppTest) -> str:
        elements = [*at.info, *at.error, *at.warning, *at.success, *at.caption, *at.markdown]
        return " ".join(as_shown(e.value) for e in elements)

    return join


@pytest.fixture
def empty_store_path(tmp_path) -> Path:
    return tmp_path / "empty" / "store.gpkg"


@pytest.fixture
def fresh_store_path(tmp_path) -> Path:
    return tmp_path / "fresh" / "store.gpkg"


@pytest.fixture
def small_batch():
    """Return a function building a valid GeoJSON batch of ``n`` impacts (bytes), properties overridable."""

    def build(n: int = 3, *, source: str = "desk", **props) -> bytes:
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [37.6 + i / 100, 48.1]},
                "properties": {
                    "id": f"u{i}",
                    "source": source,
                    "occurred_at": "2026-10-20T06:00:00Z",
                    "type": "impact",
                }
                | props,
            }
            for i in range(n)
        ]
        return json.dumps({"type": "FeatureCollection", "features": features}).encode()

    return build
