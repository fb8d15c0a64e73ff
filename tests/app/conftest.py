"""AppTest harness: the app over a given store (demo or empty), via the CM_STORE_PATH setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120


@pytest.fixture
def app_on(monkeypatch):
    """Return a function that builds an AppTest of app.py over the store at ``path``, on ``page``."""

    def build(path: Path, page: str | None = None) -> AppTest:
        monkeypatch.setenv("CM_STORE_PATH", str(path))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
        at.run()
        if page:
            at.switch_page(page).run()
        return at

    return build


@pytest.fixture
def empty_store_path(tmp_path) -> Path:
    return tmp_path / "empty" / "store.gpkg"


@pytest.fixture
def fresh_store_path(tmp_path) -> Path:
    return tmp_path / "fresh" / "store.gpkg"
