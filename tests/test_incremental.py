"""The incremental analysis equals a from-scratch analysis of the same reports.

Random sequences of batches (reports dealt to batches at random, not in time order: late reports,
a claim arriving after the media that cite it) and retractions are applied to both paths, on two
independent sources of reports: the demo month and a world of geo.evaluation (another generator,
with exchanges of fire, shots seen from both ends, triangulated bearings and citations). After
every step the two analyses must agree to the last bit (geo.incremental.differences). Each step's
analysis is stored as geo.refresh stores it (only the months it changed) and, at random, read
back as a restarted server reads it: with the stand-ins and surge tests the running one held,
from which the next step goes on.
"""

from __future__ import annotations

import itertools
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import incremental, rules
from geo.incremental import Update, differences, update, without_rows
from geo.pipeline import Analysis, analyse, scenario_sectors, stand_ins
from geo.refresh import _from_tables, _stored, _with_kept, _write
from geo.scenario import load_scenario
from geo.settings import load_settings
from geo.store.derived import AnalysisFiles
from geo.store.postgis import PostGISStore
from tests.patterns.test_surges import assert_same_surges

SETTINGS = load_settings(environ={})
DAYS = pd.Timedelta(days=3)
# The tests that neither read reports through a store of their own kind nor keep an analysis in one
# run on the GeoPackage store's world only (what they test does not depend on the store).
ON_GPKG = pytest.mark.parametrize("world_store", ["gpkg"], indirect=True)


def _pool_of(frame: pd.DataFrame, start: str) -> pd.DataFrame:
    at = pd.Timestamp(start)
    chosen = frame[(frame["occurred_at"] >= at) & (frame["occurred_at"] < at + DAYS)]
    return chosen.drop_duplicates("uid").reset_index(drop=True)


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def world_store(request, tmp_path_factory):
    """A store holding an independent evaluation world (another generator than the demo month's):
    one of each kind, built once per module; the tests that do not read or keep through the store
    take the GeoPackage one only (parametrised ``world_store`` "gpkg", indirect)."""
    from geo.evaluation.world import generate
    from geo.ingest import read_batch
    from geo.store import open_store

    scenario = load_scenario(SETTINGS.scenario_dir)
    world = generate(scenario, seed=11, happenings=600, effective_at=pd.Timestamp("2026-10-03T00:00Z"))
    data = world.geojson()
    batch = read_batch(data, filename="world.geojson")
    assert batch.rejected == []
    folder = tmp_path_factory.mktemp("world")
    if request.param == "gpkg":
        store = open_store(folder / "store.gpkg")
    else:
        store = open_store(request.getfixturevalue("postgis_database")(), work=folder)
    store.add_batch(batch, original=data)
    return store


@pytest.fixture(scope="module")
def pools(demo_store, world_store):
    """Reports of three days from each source, as the store returns them: the demo month and an
    independent evaluation world."""
    return {
        "demo": _pool_of(demo_store.incidents(), "2026-10-12T00:00Z"),
        "world": _pool_of(world_store.incidents(), "2026-10-12T00:00Z"),
    }


@pytest.fixture(scope="module")
def context():
    return {
        "scenario": load_scenario(SETTINGS.scenario_dir),
        "agreement": rules.load_agreement(SETTINGS.agreement_path),
        "sectors": scenario_sectors(SETTINGS.scenario_dir),
    }


def _scratch(frame: pd.DataFrame) -> Analysis:
    return analyse(frame, scenario_dir=SETTINGS.scenario_dir, agreement_path=SETTINGS.agreement_path)


def _live(pool: pd.DataFrame, batches: list[np.ndarray], live: list[int]) -> pd.DataFrame:
    """The store's view: the live batches' reports in the order the batches came."""
    return pool.iloc[np.concatenate([batches[b] for b in live])].reset_index(drop=True)


class _Kept:
    """A store's analysis files without the store: what geo.refresh writes and reads back."""

    def __init__(self, folder: Path) -> None:
        self.files = AnalysisFiles(folder, "test")

    def save_analysis(self, key, tables, months, to_arrow, since=None, changed=None, batches=None):
        self.files.save(key, tables, months, to_arrow, since=since, changed=changed, batches=batches)

    def load_analysis(self, key):
        return self.files.load(key)

    def restarted(self, folder: Path) -> _Kept:
        """The same files, as a restarted server finds them."""
        return self


class _KeptInDatabase:
    """A PostGIS store's analysis (in its database); a restarted server is another handle with an
    empty work folder of its own, that reads the analysis from the database."""

    def __init__(self, store: PostGISStore, folder: Path) -> None:
        self.store = PostGISStore(store.url, work_dir=folder)
        self.prefix = uuid.uuid4().hex[:8]  # the examples share the world's database

    def save_analysis(self, key, tables, months, to_arrow, since=None, changed=None, batches=None):
        since = None if since is None else f"{self.prefix}-{since}"
        self.store.save_analysis(
            f"{self.prefix}-{key}", tables, months, to_arrow, since=since, changed=changed, batches=batches
        )

    def load_analysis(self, key):
        return self.store.load_analysis(f"{self.prefix}-{key}")

    def restarted(self, folder: Path) -> _KeptInDatabase:
        other = _KeptInDatabase(self.store, folder)
        other.prefix = self.prefix
        return other


def _kept(kept: _Kept, key: str, result: Analysis, done: Update, previous, *, since) -> Analysis:
    """``result`` stored as geo.refresh.refresh_store stores it; the analysis as kept."""
    result, tables, months, changed = _stored(result, done, previous)
    _write(kept, key, result, tables, months, changed, since=since, batches=None)
    return result


def assert_same_state(got: Analysis, held: Analysis) -> None:
    """``got`` (read back) has the stand-ins and surge tests ``held`` (a running server's) has."""
    assert got.stand_ins is not None and got.surges is not None
    pd.testing.assert_frame_equal(got.stand_ins.reset_index(drop=True), held.stand_ins.reset_index(drop=True))
    assert_same_surges(got.surges, held.surges)


@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Small blocks: the kept rows are shared block by block (geo.incremental.BLOCK_ROWS, 65,536 rows),
# so at this size every table is one block unless the blocks are made small.
# The world's reports and the analysis kept in either store: in a PostGIS store's database, read
# back at a restart by another server (an empty work folder).
@pytest.mark.parametrize(
    ("source", "block", "world_store"),
    [("demo", None, "gpkg"), ("world", None, "gpkg"), ("world", None, "postgis"), ("demo", 97, "gpkg")],
    indirect=["world_store"],
)
@given(seed=st.integers(0, 2**31), n_batches=st.integers(3, 5))
def test_batches_and_retractions_give_the_from_scratch_analysis(
    pools, world_store, context, source, block, seed, n_batches, monkeypatch
):
    if block is not None:
        monkeypatch.setattr(incremental, "BLOCK_ROWS", block)
    pool = pools[source]
    rng = np.random.default_rng(seed)
    deal = rng.integers(0, n_batches, size=len(pool))
    batches = [np.flatnonzero(deal == b) for b in range(n_batches)]
    # Add every batch; after the second, retract one at random and later bring it back.
    steps: list[tuple[str, int]] = [("add", b) for b in range(n_batches)]
    gone = int(rng.integers(0, 2))
    steps.insert(2, ("retract", gone))
    steps.append(("add", gone))
    live = [0]
    did, restarts = [], 0
    with tempfile.TemporaryDirectory() as folder:
        if isinstance(world_store, PostGISStore):
            kept = _KeptInDatabase(world_store, Path(folder) / "server")
        else:
            kept = _Kept(Path(folder))
        current = _scratch(_live(pool, batches, live))
        current = _kept(kept, "r0", current, Update("from scratch"), None, since=None)
        for step, (op, b) in enumerate(steps[1:], start=1):
            live = [*live, b] if op == "add" else [x for x in live if x != b]
            frame = _live(pool, batches, live)
            # A batch added at the end may be said to be that (as the store says it through its
            # batches): the previous analysis's reports in its order, then the batch's, as
            # geo.refresh reads them (an analysis read back keeps its reports in another order).
            appended = len(batches[b]) if op == "add" and rng.random() < 0.5 else None
            given = frame if appended is None else _with_kept(current.reports, pool.iloc[batches[b]])
            previous = current
            current, done = update(previous, given, appended=appended, **context)
            current = _kept(kept, f"r{step}", current, done, previous, since=f"r{step - 1}")
            expected = _scratch(frame)
            assert differences(current, expected) == [], f"{source} seed {seed}: after {op} of batch {b}"
            # The stand-ins it keeps for the next update are those of its reports, in their order.
            pd.testing.assert_frame_equal(
                current.stand_ins.reset_index(drop=True), stand_ins(current.reports).reset_index(drop=True)
            )
            did.append(done)
            # A restart (at random, and at the last step if there was none): the stored analysis
            # read back goes on. Without the last, one example in 16 of three batches had none
            # (Hypothesis also draws the integers it finds in the code, such as seed 167).
            if rng.random() < 0.5 or (step == len(steps) - 1 and not restarts):
                kept = kept.restarted(Path(folder) / f"restart-{restarts}")
                back = _from_tables(kept.load_analysis(f"r{step}"), current.terms)
                assert differences(back, current) == []
                assert_same_state(back, current)
                current, restarts = back, restarts + 1
    # The update recomputed less than everything at least once, or the test proves nothing new.
    assert any(d.mode == "incremental" and d.reports_recomputed < len(pool) for d in did)
    assert restarts, "no step was read back"


@ON_GPKG
def test_no_change_is_no_work(pools, context):
    first = _scratch(pools["demo"])
    again, done = update(first, pools["demo"], **context)
    assert done.mode == "unchanged" and again is first


@ON_GPKG
def test_differences_names_what_differs(pools):
    a = _scratch(pools["demo"].iloc[:200])
    events = a.events.copy()
    events.loc[3, "violation_score"] = events.loc[3, "violation_score"] + 1e-9
    found = differences(a, Analysis(a.reports, events, a.reasons, a.evidence))
    assert len(found) == 1 and found[0].startswith("events.violation_score: 1 row(s) differ")
    fewer = differences(a, Analysis(a.reports.iloc[1:], a.events, a.reasons, a.evidence))
    assert fewer == [f"reports: {len(a.reports):,} rows against {len(a.reports) - 1:,}"]


@ON_GPKG
def test_a_report_given_as_an_interval_reaches_as_far_as_corroboration_looks(pools, context):
    # A report dated as an interval (occurred_from/to) is matched over half the interval either side,
    # beyond its stated precision: a later report of the same happening inside that half must reach it.
    pool = pools["demo"]
    a = pool[(pool["type"] == "impact") & (pool["time_precision"] == "minute")].iloc[[0]].copy()
    at = a["occurred_at"].iloc[0]
    a["occurred_from"], a["occurred_to"] = at - pd.Timedelta(hours=4), at + pd.Timedelta(hours=4)
    b = a.copy()
    b["uid"] = b["uid"] + "-later"
    b["id"] = b["id"] + "-later"
    b["occurred_at"] = at + pd.Timedelta(hours=3)
    b["occurred_from"] = b["occurred_to"] = b["occurred_at"].where(b["occurred_at"].isna())  # no interval
    rest = pool[(pool["occurred_at"] - at).abs() > pd.Timedelta(hours=12)].head(50)
    first = pd.concat([rest, a], ignore_index=True)
    both = pd.concat([first, b], ignore_index=True)
    expected = _scratch(both)
    joined = expected.reports.set_index("uid")["event_id"]
    assert joined[a["uid"].iloc[0]] == joined[b["uid"].iloc[0]], "the two reports are one event from scratch"
    current, _ = update(_scratch(first), both, **context)
    assert differences(current, expected) == []


@ON_GPKG
def test_a_report_edited_in_place_is_analysed_again(pools, context):
    # The store lets a report be corrected in QGIS or sqlite3: same uid, new content.
    frame = pools["world"].copy()
    first = _scratch(frame)
    edited = frame.copy()
    row = int(np.flatnonzero(first.reports["event_id"].duplicated(keep=False).to_numpy())[0])
    edited.loc[row, "type"] = "weapon_sighting" if edited.loc[row, "type"] != "weapon_sighting" else "impact"
    current, done = update(first, edited, **context)
    assert done.mode == "incremental" and done.edited == 1 and done.added == 0 and done.removed == 0
    assert "1 edited in place" in done.summary()
    assert differences(current, _scratch(edited)) == []


def _arrow_frame(n: int, rng: np.random.Generator, pieces: int) -> pd.DataFrame:
    """A frame of the kinds of column the analysis keeps, its Arrow columns in ``pieces`` chunks."""
    import geopandas as gpd
    import pyarrow as pa

    reason = pa.list_(pa.struct([("code", pa.string()), ("weight", pa.float64())]))
    lists = [[{"code": f"C{i % 7}", "weight": float(i)}] * (i % 3) for i in range(n)]
    frame = gpd.GeoDataFrame(
        {
            "uid": pd.Series([f"r{i}" if i % 11 else None for i in range(n)], dtype="str"),
            "reasons": pd.Series(pd.array(pa.array(lists, type=reason), dtype=pd.ArrowDtype(reason))),
            "score": rng.random(n),
            "count": np.arange(n),
        },
        geometry=gpd.points_from_xy(rng.random(n), rng.random(n)),
        crs=4326,
    )
    cuts = np.unique(np.r_[0, np.sort(rng.integers(0, n, pieces - 1)), n])
    return pd.concat([frame.iloc[a:b] for a, b in itertools.pairwise(cuts)])


def test_rows_removed_block_by_block_are_the_rows_kept(monkeypatch):
    import pyarrow as pa

    monkeypatch.setattr(incremental, "BLOCK_ROWS", 40)
    rng = np.random.default_rng(5)
    frame = _arrow_frame(1_000, rng, pieces=4)
    for drop in (
        np.zeros(len(frame), dtype=bool),
        np.arange(len(frame)) == 0,
        np.arange(len(frame)) >= 990,
        rng.random(len(frame)) < 0.01,
        rng.random(len(frame)) < 0.5,
        np.ones(len(frame), dtype=bool),
    ):
        out = without_rows(frame, drop)
        pd.testing.assert_frame_equal(out, frame[~drop])
        assert out.crs == frame.crs
    # A block that loses no row is the previous one's memory, not a copy.
    drop = np.arange(len(frame)) == len(frame) - 1
    first = pa.array(frame["uid"].array).chunks[0]
    kept = pa.array(without_rows(frame, drop)["uid"].array).chunks[0]
    assert kept.buffers()[2].address == first.buffers()[2].address


def test_many_updates_leave_a_bounded_number_of_chunks(monkeypatch):
    # Every update drops a few rows and adds a few: the tables must not end in one Arrow chunk per
    # update (selecting rows of a column in thousands of chunks is several times slower).
    import pyarrow as pa

    monkeypatch.setattr(incremental, "BLOCK_ROWS", 64)
    rng = np.random.default_rng(9)
    frame = _arrow_frame(600, rng, pieces=1)
    expected = frame.copy()
    for step in range(200):
        drop = np.zeros(len(frame), dtype=bool)
        drop[rng.integers(0, len(frame), 3)] = True
        fresh = _arrow_frame(5, rng, pieces=1)
        frame = incremental.stacked([without_rows(frame, drop), fresh])
        expected = pd.concat([expected[~drop], fresh])
        if step % 50 == 0:
            pd.testing.assert_frame_equal(frame, expected)
    pd.testing.assert_frame_equal(frame, expected)
    chunks = pa.array(frame["uid"].array).num_chunks
    assert chunks <= 2 * len(frame) / 64 + 3, chunks


def test_stand_ins_merged_in_order_at_equal_times():
    # New stand-ins go among the kept ones by time, then uid, as geo.pipeline.stand_ins orders them.
    at = pd.Timestamp("2026-10-01T06:00Z")
    times = [at, at, at + pd.Timedelta(minutes=1), pd.NaT, at, at + pd.Timedelta(minutes=1), pd.NaT]
    uids = ["b", "d", "a", "m", "c", "0", "k"]
    reports = pd.DataFrame(
        {"uid": uids, "occurred_at": pd.to_datetime(times, utc=True), "event_id": [f"e{u}" for u in uids]}
    )
    everything = stand_ins(reports)
    kept = stand_ins(reports.iloc[:4])
    fresh = stand_ins(reports.iloc[4:])
    merged = incremental._in_stand_in_order(kept, fresh)
    assert merged["uid"].tolist() == everything["uid"].tolist() == ["b", "c", "d", "0", "a", "k", "m"]


def test_rows_taken_chunk_by_chunk_are_those_pandas_takes():
    from geo.lookup import take_rows

    rng = np.random.default_rng(3)
    frame = _arrow_frame(1_000, rng, pieces=5)
    for rows in (
        rng.random(len(frame)) < 0.01,
        np.zeros(len(frame), dtype=bool),
        rng.random(len(frame)) < 0.6,
        np.array([0, 5, 998, 999]),
        np.array([999, 0, 5, 0]),  # not ascending, repeated
    ):
        expected = frame[rows] if rows.dtype == bool else frame.iloc[rows]
        pd.testing.assert_frame_equal(take_rows(frame, rows), expected)


@pytest.mark.parametrize("kind", ["place", "time"])
def test_a_report_moved_in_place_changes_its_patterns(demo_store, context, kind):
    # Reports in space-time clusters edited in place (same uid and event) to another place or
    # time: the clusters of their month must be scanned again, as a from-scratch analysis finds.
    import shapely

    frame = demo_store.incidents().drop_duplicates("uid").reset_index(drop=True)
    first = _scratch(frame)
    in_patterns = list(first.evidence["uid"].unique()[:5])
    assert in_patterns, "the demo month has pattern evidence"
    rows = np.flatnonzero(frame["uid"].isin(in_patterns))
    edited = frame.copy()
    if kind == "place":
        moved = shapely.transform(edited.geometry.to_numpy()[rows], lambda c: c + 0.3)
        edited.loc[rows, "geometry"] = moved
    else:
        edited.loc[rows, "occurred_at"] = edited.loc[rows, "occurred_at"] + pd.Timedelta(days=2)
    current, done = update(first, edited, **context)
    assert done.edited == len(rows) and done.months_scanned >= 1
    assert differences(current, _scratch(edited)) == []


def test_surges_tested_again_from_the_first_changed_day_equal_from_scratch(demo_store, context):
    # The demo month has surge days. Batches in time order (the usual case), a late batch of old
    # reports and a retraction: after each, the surge evidence (tested again only from the first
    # changed day, geo.patterns.surges) equals a from-scratch analysis's.
    from geo.patterns.evidence import SURGE_CODE

    month = demo_store.incidents().drop_duplicates("uid")
    later = month.copy()  # the month again, a month later: the first month's evidence is kept
    for col in ("occurred_at", "occurred_from", "occurred_to"):
        later[col] = later[col] + pd.Timedelta(days=31)
    later["id"] = later["id"] + "-next"
    later["uid"] = later["uid"] + "-next"
    frame = pd.concat([month, later]).sort_values("occurred_at", kind="stable").reset_index(drop=True)
    rng = np.random.default_rng(4)
    late = np.zeros(len(frame), dtype=bool)
    late[rng.choice(len(frame) * 2 // 3, 60, replace=False)] = True
    order = np.flatnonzero(~late)
    cut = np.array_split(order, [len(order) * 2 // 3, len(order) * 5 // 6])
    batches = [cut[0], cut[1], cut[2], np.flatnonzero(late)]
    live = [0]
    current = _scratch(frame.iloc[batches[0]].reset_index(drop=True))
    recomputed_from = []
    for op, b in [("add", 1), ("add", 2), ("add", 3), ("retract", 1)]:
        live = [*live, b] if op == "add" else [x for x in live if x != b]
        now = frame.iloc[np.concatenate([batches[k] for k in live])].reset_index(drop=True)
        current, _ = update(current, now, appended=len(batches[b]) if op == "add" else None, **context)
        assert differences(current, _scratch(now)) == [], f"after {op} of batch {b}"
        recomputed_from.append(current.surges.since)
    assert (current.evidence["code"] == SURGE_CODE).any()
    assert any(since > 31 for since in recomputed_from)  # the first month was kept, not tested again


def test_stand_ins_found_again_from_their_flags_only_where_they_are_the_stand_ins(demo_analysis):
    # geo.refresh keeps with each stored report whether it is its event's stand-in; read back,
    # the reports flagged are taken for the stand-ins only when they are exactly those.
    from geo.incremental import flagged_stand_ins, stand_in_flags

    reports = demo_analysis.reports
    everything = stand_ins(reports)
    flags = stand_in_flags(reports, everything)
    assert flags.sum() == len(everything) == len(demo_analysis.events)
    pd.testing.assert_frame_equal(flagged_stand_ins(reports, flags), everything)

    event = reports["event_id"].to_numpy(dtype=object)
    first = np.flatnonzero(flags & pd.Series(event).duplicated(keep=False).to_numpy())[0]
    mate = np.flatnonzero((event == event[first]) & ~flags)[0]  # a later report of the same event
    one = np.arange(len(reports)) == first
    wrong = {
        "a later report of the event": (flags & ~one) | (np.arange(len(reports)) == mate),
        "one missing": flags & ~one,
        "two for one event": flags | (np.arange(len(reports)) == mate),
        # Another analysis's: of the first half of the reports (their events cut in two).
        "of fewer reports": np.isin(reports["uid"], stand_ins(reports.iloc[: len(reports) // 2])["uid"]),
    }
    for name, marked in wrong.items():
        assert flagged_stand_ins(reports, np.asarray(marked, dtype=bool)) is None, name
    # Reports without an event (which share one stand-in) are not checked but refused.
    without = reports.assign(event_id=reports["event_id"].where(~one))
    assert flagged_stand_ins(without, flags) is None
    # A stand-in that is not one of the reports: not flagged (not stored) at all.
    other = everything.assign(uid=everything["uid"].where(np.arange(len(everything)) != 0, "no/such"))
    assert stand_in_flags(reports, other) is None
