"""A process that read an analysis back is made ready for its first update (geo.warm)."""

from __future__ import annotations

import importlib
import shutil

import pytest

from geo import warm
from geo.attribution import density
from geo.context import Context
from geo.settings import load_settings

# The module, not the function geo.rules exports under its name.
evaluate = importlib.import_module("geo.rules.evaluate")


@pytest.fixture
def cold(monkeypatch):
    """This process's per-scenario caches, emptied for the test (and restored after it)."""
    for module, name in ((density, "_GROUND"), (density, "_CELLS"), (evaluate, "_GEOGRAPHY")):
        monkeypatch.setattr(module, name, {})


def test_warming_up_fills_the_caches_of_the_scenario_the_analysis_was_made_under(demo_analysis, cold):
    settings = load_settings(environ={})
    context = Context(settings.scenario_dir, settings.agreement_path)
    reports = demo_analysis.reports
    before = reports.copy()
    assert not density._GROUND and not evaluate._GEOGRAPHY

    thread = warm.start(reports, context)
    thread.join(timeout=120)

    assert not thread.is_alive()
    assert len(density._GROUND) == 1 and len(evaluate._GEOGRAPHY) == 1
    # The analysis it warmed up from is left as it was.
    assert reports.equals(before)


def test_files_changed_since_the_analysis_leave_the_caches_to_the_next_update(demo_analysis, cold, tmp_path):
    settings = load_settings(environ={})
    agreement = tmp_path / "agreement.toml"
    shutil.copy(settings.agreement_path, agreement)
    context = Context(settings.scenario_dir, agreement)
    agreement.write_text(agreement.read_text() + "\n# amended\n")

    assert warm.warm_up(demo_analysis.reports, context) is False
    assert not density._GROUND and not evaluate._GEOGRAPHY


def test_nothing_to_warm_up_from_is_no_error(demo_analysis, cold, caplog):
    settings = load_settings(environ={})
    context = Context(settings.scenario_dir, settings.agreement_path)

    with caplog.at_level("DEBUG", logger="ceasefire_monitor"):
        assert warm.warm_up(demo_analysis.reports.iloc[:0], context) is False
    # Declined, not failed: a failure would be logged (and swallowed).
    assert not [r for r in caplog.records if "failed" in r.getMessage()]
    assert not density._GROUND
