"""The analysis context: the scenario in force for a store resolved once, its key memoised, and the key a
briefing pack records is the one of the scenario the analysis used (users' edits included)."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import geo
from geo import pipeline
from geo.attribution.sides import ATTRIBUTION_THRESHOLD
from geo.cli import main
from geo.context import Context, fingerprint, resolve
from geo.errors import InputError
from geo.filters import Filters
from geo.ingest import read_batch
from geo.pipeline import analyse_store, context_key
from geo.report import build_pack
from geo.scenario import load_scenario
from geo.scenario.edits import ScenarioEdits, edits_root
from geo.settings import SCENARIO_DIR, Settings, load_settings
from geo.store import open_store
from tests.test_scenario_edits import _line_file, _square

ROOT = Path(__file__).resolve().parents[1]


def _reference_key(scenario_dir: Path, agreement_path: Path) -> str:
    """context_key as it was before its memo: every file read and hashed on every call."""
    h = hashlib.sha256(f"{geo.__version__}+method.{geo.METHOD_VERSION}".encode())
    for path in [*sorted(Path(scenario_dir).glob("*.geojson")), Path(agreement_path)]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture
def settings() -> Settings:
    return load_settings(environ={})


@pytest.fixture
def edits(tmp_path) -> ScenarioEdits:
    return ScenarioEdits(edits_root(tmp_path / "store.gpkg"), SCENARIO_DIR, settings=Settings())


@pytest.fixture
def reads(monkeypatch) -> list[Path]:
    """Every file read whole (Path.read_bytes) from now on, in order; the reads themselves are real."""
    seen: list[Path] = []
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        seen.append(self)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return seen


def test_no_edits_the_committed_scenario_is_in_force(tmp_path, settings):
    context = resolve(settings, store_path=tmp_path / "store.gpkg")
    assert context.scenario_dir == SCENARIO_DIR
    assert context.agreement_path == settings.agreement_path
    assert context.threshold == ATTRIBUTION_THRESHOLD
    assert context.key == context_key(SCENARIO_DIR, settings.agreement_path)
    assert context.key == _reference_key(SCENARIO_DIR, settings.agreement_path)
    assert context.scenario is context.scenario, "loaded once"
    assert context.scenario.zones.equals(load_scenario(SCENARIO_DIR).zones)
    assert context.sectors is not None and len(context.sectors)
    assert context.agreement is context.agreement
    assert not (tmp_path / "scenario_edits").exists(), "resolving writes nothing without edits"


def test_a_line_edit_then_a_zone_edit_each_bring_their_copy_into_force(tmp_path, settings, edits):
    store_path = tmp_path / "store.gpkg"
    committed = resolve(settings, store_path=store_path)
    state = fingerprint(settings, store_path=store_path)
    assert fingerprint(settings, store_path=store_path) == state, "nothing changed, the same fingerprint"

    base = load_scenario(SCENARIO_DIR)
    edits.add_line_version(
        _line_file(base, source="v1", version="v3", valid_from="2026-11-01T00:00:00+02:00"),
        filename="v3.geojson",
    )
    lined = resolve(settings, store_path=store_path)
    assert lined.scenario_dir == edits.scenario_dir() != SCENARIO_DIR
    assert edits.root in lined.scenario_dir.parents
    assert lined.key == _reference_key(lined.scenario_dir, settings.agreement_path) != committed.key
    assert lined.scenario.version_at("2026-11-02T00:00:00Z") == "v3"
    assert fingerprint(settings, store_path=store_path) != state

    edits.save_zone(_square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School")
    zoned = resolve(settings, store_path=store_path)
    assert zoned.scenario_dir == edits.scenario_dir() not in (lined.scenario_dir, SCENARIO_DIR)
    assert zoned.key not in (lined.key, committed.key)
    assert "PS-9" in set(zoned.scenario.zones["zone_id"])
    assert zoned.scenario.version_at("2026-11-02T00:00:00Z") == "v3", "the line edit is still in force"

    # Settings already naming this store's edited copy keep it; a folder given explicitly wins as it is.
    again = resolve(Settings(scenario_dir=zoned.scenario_dir), store_path=store_path)
    assert again.scenario_dir == zoned.scenario_dir and again.key == zoned.key
    given = resolve(settings, store_path=store_path, scenario_dir=SCENARIO_DIR)
    assert given == committed
    with pytest.raises(InputError, match="No scenario folder"):
        resolve(settings, store_path=store_path, scenario_dir=tmp_path / "nowhere")


@pytest.fixture(scope="module")
def settled(tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the committed scenario and agreement, old enough for context_key to memoise its key."""
    folder = tmp_path_factory.mktemp("settled")
    shutil.copytree(SCENARIO_DIR, folder / "scenario")
    agreement = shutil.copyfile(load_settings(environ={}).agreement_path, folder / "agreement.toml")
    time.sleep(pipeline._SETTLED_NS / 1e9 + 0.2)
    return folder / "scenario", Path(agreement)


def test_the_key_of_unchanged_files_is_remembered_without_reading_them(settled, reads):
    scenario_dir, agreement = settled
    files = [*sorted(scenario_dir.glob("*.geojson")), agreement]
    first = context_key(scenario_dir, agreement)
    assert first == _reference_key(scenario_dir, agreement) == context_key(SCENARIO_DIR, agreement)
    n = len(reads)
    for _ in range(3):
        assert context_key(scenario_dir, agreement) == first
    assert not set(files) & set(reads[n:]), "an unchanged file was read again"
    assert first in pipeline._CONTEXT_KEYS.values()


def test_a_changed_file_gives_a_new_key_even_when_rewritten_at_once_with_the_same_size(tmp_path, reads):
    scenario_dir = tmp_path / "scenario"
    shutil.copytree(SCENARIO_DIR, scenario_dir)
    agreement = tmp_path / "agreement.toml"
    agreement.write_text('# the terms\nname = "A"\n', encoding="utf-8")
    first = context_key(scenario_dir, agreement)
    assert first == _reference_key(scenario_dir, agreement)

    agreement.write_text('# the terms\nname = "B"\n', encoding="utf-8")  # same size, same instant
    n = len(reads)
    second = context_key(scenario_dir, agreement)
    assert agreement in reads[n:], "a file just changed is read, not taken on its metadata"
    assert second != first and second == _reference_key(scenario_dir, agreement)

    zones = scenario_dir / "zones.geojson"
    doc = json.loads(zones.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:-1]
    zones.write_text(json.dumps(doc), encoding="utf-8")
    third = context_key(scenario_dir, agreement)
    assert third not in (first, second) and third == _reference_key(scenario_dir, agreement)

    (scenario_dir / "extra.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    assert context_key(scenario_dir, agreement) not in (first, second, third)


@pytest.fixture
def edited_store(tmp_path, small_store_batch):
    """A store of three reports, with a zone drawn by a user: the scenario in force is an edited copy."""
    store = open_store(tmp_path / "store.gpkg")
    store.add_batch(read_batch(small_store_batch, filename="b.geojson"), original=small_store_batch)
    ScenarioEdits(edits_root(store.path), SCENARIO_DIR, settings=Settings()).save_zone(
        _square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School"
    )
    return store


def test_a_pack_made_after_an_edit_records_the_edited_scenarios_key(edited_store, settings, tmp_path):
    context = resolve(settings, store_path=edited_store.path)
    committed = context_key(SCENARIO_DIR, settings.agreement_path)
    assert context.scenario_dir != SCENARIO_DIR and context.key != committed
    analysis = analyse_store(
        edited_store, scenario_dir=context.scenario_dir, agreement_path=context.agreement_path
    )
    reports = analysis.reports
    assert any("PS-9" in z for z in reports["zones"]), "the analysis used the edited scenario"
    pack = build_pack(
        analysis,
        context.scenario,
        filters=Filters.from_params({}),
        settings=settings,
        context=context,
    )
    assert pack.manifest.context_key == context.key

    # The command line finds the same context for the store, and its manifest says so.
    assert main(["brief", "--store", str(edited_store.path), "-o", str(tmp_path / "pack.pdf")]) == 0
    manifest = json.loads((tmp_path / "pack.manifest.json").read_text(encoding="utf-8"))
    assert manifest["context_key"] == context.key


def test_the_briefing_page_records_the_key_of_the_scenario_in_force(edited_store, settings, monkeypatch):
    context = resolve(settings, store_path=edited_store.path)
    monkeypatch.setenv("CM_STORE_PATH", str(edited_store.path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/briefing.py").run()
    assert not at.exception and not at.error
    at.button(key="brief_pack_build").click().run()
    assert not at.exception
    manifest = at.session_state["brief_pack"][1].manifest
    assert manifest.context_key == context.key != context_key(SCENARIO_DIR, settings.agreement_path)


def test_a_context_is_a_value(tmp_path, settings):
    context = resolve(settings, store_path=tmp_path / "store.gpkg")
    same = Context(scenario_dir=str(SCENARIO_DIR), agreement_path=str(settings.agreement_path))
    assert same == context and hash(same) == hash(context)
    _ = context.scenario  # cached values are not part of the value
    assert same == context
    with pytest.raises(AttributeError):
        context.key = "other"  # type: ignore[misc]


def test_another_method_version_is_another_context(settings, monkeypatch):
    """An analysis stored by code whose method differs is never read back as this code's."""
    before = context_key(settings.scenario_dir, settings.agreement_path)
    monkeypatch.setattr(geo, "METHOD_VERSION", geo.METHOD_VERSION + "-changed")
    after = context_key(settings.scenario_dir, settings.agreement_path)
    assert after != before
    assert after == _reference_key(settings.scenario_dir, settings.agreement_path)


def test_an_analysis_read_back_never_words_its_reasons_with_files_changed_since(
    demo_store, settings, tmp_path
):
    """A stored analysis is read back under the key of its scenario and agreement files, and words
    its rules' reasons with them only when first shown: files changed in between are an error that
    says so, never sentences from terms the analysis was not made under (a renamed zone)."""
    from geo.pipeline import explained
    from geo.refresh import forget, refresh_store

    scenario_dir, agreement = tmp_path / "scenario", tmp_path / "agreement.toml"
    shutil.copytree(SCENARIO_DIR, scenario_dir)
    shutil.copy(settings.agreement_path, agreement)
    refresh_store(demo_store, scenario_dir=SCENARIO_DIR, agreement_path=settings.agreement_path)  # stored
    forget(demo_store)  # as a restarted server: the analysis is read back, its terms not yet read
    try:
        analysis, done = refresh_store(demo_store, scenario_dir=scenario_dir, agreement_path=agreement)
        flagged = analysis.events[analysis.events["flag_level"] == "likely"].head(5)
        assert done.mode == "read back" and len(flagged) == 5

        zones = scenario_dir / "zones.geojson"
        doc = json.loads(zones.read_text(encoding="utf-8"))
        doc["features"][0]["properties"]["name"] = "Renamed after the analysis"
        zones.write_text(json.dumps(doc), encoding="utf-8")
        with pytest.raises(InputError, match="changed after this analysis"):
            explained(flagged, analysis)
    finally:
        forget(demo_store)  # the shared store's memory no longer holds terms of this copy
