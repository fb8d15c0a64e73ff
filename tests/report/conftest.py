"""Fixtures of the briefing tests: the analysed demo, its scenario, a week of one sector, a fixed time."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.filters import Filters, apply_filters
from geo.scenario import load_scenario
from geo.settings import load_settings

# A fixed generation time: the same input gives the same bytes (golden image, rebuilt packs).
GENERATED_AT = pd.Timestamp("2026-11-01T12:00:00Z")
# A week of one sector of the demo month: enough likely violations for a table over several pages.
WEEK = {"from": "2026-10-05", "to": "2026-10-11", "sector": "Bakhmut"}


@pytest.fixture(scope="session")
def settings():
    return load_settings(environ={})


@pytest.fixture(scope="session")
def scenario(settings):
    return load_scenario(settings.scenario_dir)


@pytest.fixture(scope="session")
def reports(demo_analysis):
    """Every analysed demo report (read-only)."""
    return demo_analysis.reports


@pytest.fixture(scope="session")
def events(demo_analysis):
    """The analysed demo's events (read-only; their reasons worded when shown, geo.pipeline.explained)."""
    return demo_analysis.events


@pytest.fixture(scope="session")
def week():
    return Filters.from_params(WEEK)


@pytest.fixture(scope="session")
def week_reports(reports, week):
    return apply_filters(reports, week)


@pytest.fixture(scope="module")
def pack(demo_analysis, scenario, week, settings):
    """The week's pack of the demo (Bakhmut), made at :data:`GENERATED_AT`."""
    from geo.report import build_pack

    return build_pack(demo_analysis, scenario, filters=week, settings=settings, generated_at=GENERATED_AT)


@pytest.fixture(scope="module")
def pages(pack) -> list[str]:
    """The text of each page of :func:`pack`."""
    import io

    from pypdf import PdfReader

    return [p.extract_text() for p in PdfReader(io.BytesIO(pack.pdf)).pages]
