"""Zone drafts (issue 15): an analyst's zone is kept as a draft, out of the analysis, until an admin
publishes it (through every check of a save, against the scenario then in force) or discards it.

Every test runs on both stores; on PostGIS the drafts live in the database's edits, so another
server (a handle with a fresh work folder of its own) sees them."""

from __future__ import annotations

import json

import psycopg
import pytest
import shapely
from shapely.geometry import mapping

from geo.audit import acting_as
from geo.errors import InputError
from geo.ingest import read_batch
from geo.pipeline import analyse_store, context_key
from geo.scenario import load_scenario
from geo.scenario.edits import (
    DRAFT_DISCARDED,
    EDITS_DIR,
    ZONE,
    ZONE_DRAFT,
    ZONE_REMOVED,
    ScenarioEdits,
    edits_root,
)
from geo.settings import SCENARIO_DIR, Settings, load_settings
from geo.store.postgis import PostGISStore

SETTINGS = load_settings(environ={})


def _square(lon: float, lat: float, half: float = 0.02) -> dict:
    return mapping(shapely.box(lon - half, lat - half, lon + half, lat + half))


def _edits(store) -> ScenarioEdits:
    """The edits of ``store`` as an app server holding it opens them (geo.context.scenario_edits)."""
    if isinstance(store, PostGISStore):
        return ScenarioEdits(store.path / EDITS_DIR, SCENARIO_DIR, settings=Settings(), shared=store.edits)
    return ScenarioEdits(edits_root(store.path), SCENARIO_DIR, settings=Settings())


def _elsewhere(store, tmp_path) -> ScenarioEdits:
    """The same store's edits as another server sees them (PostGIS: a fresh work folder of its own)."""
    if isinstance(store, PostGISStore):
        return _edits(PostGISStore(store.url, work_dir=tmp_path / "other-server"))
    return _edits(store)


def _zones_of(analysis) -> list[bool]:
    return ["PS-9" in z for z in analysis.reports["zones"]]


def test_a_draft_changes_nothing_until_an_admin_publishes_it(
    store_kind, new_store, small_store_batch, tmp_path
):
    store = new_store()
    store.add_batch(read_batch(small_store_batch, filename="b.geojson"), original=small_store_batch)
    edits = _edits(store)
    agreement = SETTINGS.agreement_path
    before = analyse_store(store, scenario_dir=edits.scenario_dir(), agreement_path=agreement)
    key, kept = context_key(edits.scenario_dir(), agreement), store.analysis_keys()
    assert not any(_zones_of(before))

    with acting_as("ana (analyst)"):
        draft = edits.save_zone_draft(
            _square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School", note="seen on 3 Dec"
        )
    assert draft.kind == ZONE_DRAFT and draft.seq == 1 and draft.author == "ana (analyst)"
    # Kept, and shared: another server lists it, with who, when and why.
    (listed,) = _elsewhere(store, tmp_path).drafts()
    assert (listed.seq, listed.zone_id, listed.author, listed.note) == (
        1,
        "PS-9",
        "ana (analyst)",
        "seen on 3 Dec",
    )
    assert listed.state == "open" and listed.proposes == ZONE and not listed.replace
    # Not in force: the committed scenario, the same analysis key, the same analysis.
    assert edits.scenario_dir() == SCENARIO_DIR and "PS-9" not in edits.zone_ids()
    assert context_key(edits.scenario_dir(), agreement) == key
    still = analyse_store(store, scenario_dir=edits.scenario_dir(), agreement_path=agreement)
    assert store.analysis_keys() == kept, "no other analysis was made"
    assert still.reports["zones"].tolist() == before.reports["zones"].tolist()

    with acting_as("adm (admin)"):
        published = edits.publish_draft(draft.seq)
    assert published.kind == ZONE and published.seq == 2 and published.author == "adm (admin)"
    meta = json.loads(published.path.read_text())["edit"]
    assert meta["draft"] == 1 and meta["drafted_by"] == "ana (analyst)" and published.note == "seen on 3 Dec"
    after = analyse_store(store, scenario_dir=edits.scenario_dir(), agreement_path=agreement)
    inside = after.reports.geometry.within(shapely.geometry.shape(_square(37.6, 48.1)))
    assert inside.any() and not inside.all()
    assert _zones_of(after) == inside.tolist(), "the published zone reaches the reports inside it"
    other = _elsewhere(store, tmp_path)
    assert other.drafts() == [] and "PS-9" in other.zone_ids()
    (done,) = other.drafts(state="published")
    assert (done.settled_by, done.settled_seq) == ("adm (admin)", 2)
    for settle in (edits.publish_draft, edits.discard_draft):
        with pytest.raises(InputError, match="Draft 1 \\(zone PS-9\\) was published by adm \\(admin\\)"):
            settle(1)
    assert len(edits.edits()) == 2, "a refusal stores nothing"


def test_a_discarded_draft_stays_in_the_history_and_never_comes_into_force(store_kind, new_store, tmp_path):
    store = new_store()
    edits = _edits(store)
    with acting_as("ana"):
        edits.save_zone_draft(_square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School")
    with acting_as("adm"):
        discarded = edits.discard_draft(1, note="a duplicate of PS-4")
    assert discarded.kind == DRAFT_DISCARDED and discarded.author == "adm"
    other = _elsewhere(store, tmp_path)
    assert other.history()[["kind", "label", "author"]].values.tolist() == [
        [ZONE_DRAFT, "PS-9", "ana"],
        [DRAFT_DISCARDED, "PS-9", "adm"],
    ]
    assert other.scenario_dir() == SCENARIO_DIR and other.drafts() == []
    (gone,) = other.drafts(state="discarded")
    assert gone.settled_by == "adm" and gone.feature["properties"]["name"] == "School"
    with pytest.raises(InputError, match="was discarded by adm"):
        edits.publish_draft(1)
    with pytest.raises(InputError, match="no zone draft numbered 7"):
        edits.publish_draft(7)


def test_publishing_passes_the_checks_of_a_save_against_the_scenario_then(store_kind, new_store):
    edits = _edits(new_store())
    base = load_scenario(SCENARIO_DIR).zones.set_index("zone_id")
    with acting_as("ana"):
        first = edits.save_zone_draft(
            _square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School"
        )
    with acting_as("bo"):
        second = edits.save_zone_draft(
            _square(37.7, 48.2), zone_id="PS-9", kind="protected_site", name="Clinic"
        )
        moved = edits.save_zone_draft(
            _square(37.8, 48.3), zone_id="PS-1", kind=base.loc["PS-1", "kind"], name="ZNPP", replace=True
        )
        removal = edits.remove_zone_draft("SZ-1", note="agreed away")
    assert [d.author for d in edits.drafts()] == ["ana", "bo", "bo", "bo"]
    assert [d.author for d in edits.drafts(author="bo")] == ["bo", "bo", "bo"]
    with acting_as("adm"):
        edits.publish_draft(first.seq)
        # The same new zone id, drafted by two analysts: the second is refused now, as a save would be.
        with pytest.raises(InputError, match="Zone PS-9 exists already"):
            edits.publish_draft(second.seq)
        # A zone changed after the draft of it was drawn: publishing would undo that change silently.
        edits.save_zone(
            _square(37.9, 48.4), zone_id="PS-1", kind=base.loc["PS-1", "kind"], name="ZNPP", replace=True
        )
        with pytest.raises(InputError, match="Zone PS-1 changed after draft 3 was made \\(edit 6 by adm\\)"):
            edits.publish_draft(moved.seq)
        edits.publish_draft(removal.seq)
    zones = edits.scenario().zones.set_index("zone_id")
    assert "SZ-1" not in zones.index and zones.loc["PS-9", "name"] == "School"
    assert shapely.equals(zones.loc["PS-1"].geometry, shapely.geometry.shape(_square(37.9, 48.4)))
    assert [e.kind for e in edits.applied()] == [ZONE, ZONE, ZONE_REMOVED]
    assert [d.seq for d in edits.drafts()] == [second.seq, moved.seq], "the refused stay open, to discard"


def test_a_draft_is_checked_when_drawn_and_a_bad_one_is_not_kept(store_kind, new_store):
    edits = _edits(new_store())
    with pytest.raises(InputError, match="Zone SZ-1 exists already"):
        edits.save_zone_draft(_square(37.6, 48.1), zone_id="SZ-1", kind="protected_site", name="Again")
    with pytest.raises(InputError, match="needs a polygon"):
        edits.save_zone_draft(
            {"type": "Point", "coordinates": [37.6, 48.1]}, zone_id="PS-9", kind="protected_site", name="x"
        )
    with pytest.raises(InputError, match="no zone XX-1 in force"):
        edits.remove_zone_draft("XX-1")
    assert edits.edits() == []


def test_two_admins_settling_one_draft_at_once_the_earlier_stands(store_kind, new_store):
    store = new_store()
    edits = _edits(store)
    with acting_as("ana"):
        edits.save_zone_draft(_square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School")
    # The second admin's session read the draft as open before the first admin's publishing was stored.
    seen_open = edits.draft(1)
    with acting_as("adm"):
        edits.publish_draft(1)
    edits._open_draft = lambda seq: seen_open
    with acting_as("eve"), pytest.raises(InputError, match="Draft 1 was published by adm meanwhile"):
        edits.discard_draft(1, note="too late")
    assert [e.kind for e in edits.edits()] == [ZONE_DRAFT, ZONE]
    assert "PS-9" in edits.zone_ids()
    if isinstance(store, PostGISStore):
        with psycopg.connect(store.url) as conn:
            names = [r[0] for r in conn.execute("select name from scenario_edits order by seq")]
        assert names == ["000001-zone_draft-PS-9.geojson", "000002-zone-PS-9.geojson"]
