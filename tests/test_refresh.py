"""The stored analysis keeps what an update starts from: a restarted server updates as a running one.

geo.refresh stores, with the analysis, which report is each event's stand-in (a column of the
reports' own files) and the stand-ins' daily surge tests (one more table). Read back, they are
checked against the reports and used only when they fit; an analysis stored without them (by an
earlier version) reads back without them and is updated as before.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from geo import incremental, refresh
from geo.demo import DEMO_DIR
from geo.incremental import differences
from geo.ingest import read_batch
from geo.pipeline import analyse, stand_ins
from geo.refresh import STAND_IN, SURGES, forget, refresh_store
from geo.settings import load_settings
from geo.store.postgis import PostGISStore
from tests.test_incremental import assert_same_state

SETTINGS = load_settings(environ={})
KW = {"scenario_dir": SETTINGS.scenario_dir, "agreement_path": SETTINGS.agreement_path}
FIRST = ("monitors_2026-10-01", "media_2026-10-01", "party_ua_2026-10-08", "monitors_2026-10-08")
LATER = ("monitors_2026-10-15", "party_ru_2026-10-15")


def _add(store, name: str) -> None:
    path = DEMO_DIR / f"incidents_{name}.geojson"
    data = path.read_bytes()
    store.add_batch(read_batch(data, filename=path.name), original=data)


@pytest.fixture
def stored(new_store, store_kind):
    """A store of a few demo batches and the analysis this process made and stored of it."""
    store = new_store(store_kind, name="first")
    for name in FIRST:
        _add(store, name)
    made, done = refresh_store(store, **KW)
    assert done.mode == "from scratch"
    yield store, made
    forget(store)


def _restarted(store, tmp_path: Path, name: str):
    """The store as another server finds it, nothing of it in this process: a copy of the GeoPackage
    store's folder; another handle on the PostGIS store's database with an empty work folder of its
    own (what it reads comes from the database)."""
    target = tmp_path / name
    if isinstance(store, PostGISStore):
        other = PostGISStore(store.url, work_dir=target)
        assert not (other.path / "derived").exists()
        return other
    shutil.copytree(store.path.parent, target)
    return type(store)(target / store.path.name)


def _paths(monkeypatch) -> list[tuple[str, int]]:
    """What the next updates rebuild: each call of stand_ins and of surge_state, with its size."""
    calls: list[tuple[str, int]] = []
    for module, name in ((incremental, "stand_ins"), (incremental.surges_mod, "surge_state")):
        real = getattr(module, name)

        def spy(frame, *args, _real=real, _name=name, **kwargs):
            calls.append((_name, len(frame)))
            return _real(frame, *args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    return calls


def _manifest(store) -> tuple[str, dict]:
    """The key and manifest of the analysis the store keeps last, where the store keeps it (the
    GeoPackage store's folder, the PostGIS store's database)."""
    key = store.analysis_keys()[0]
    manifest = store._analysis._read_manifest(key)
    assert manifest is not None
    return key, manifest


def _set_manifest(store, key: str, manifest: dict) -> None:
    """The manifest of ``key`` replaced behind the store's back, where the store keeps it."""
    if isinstance(store, PostGISStore):
        from psycopg.types.json import Jsonb

        with store._conn() as conn:
            conn.execute("update analysis_manifests set manifest = %s where key = %s", (Jsonb(manifest), key))
    else:
        store._analysis._manifest(key).write_text(json.dumps(manifest))


def _part(store, name: str) -> pa.Table:
    """One stored partition, as the store keeps it (read from the database for the PostGIS store)."""
    if isinstance(store, PostGISStore):
        (content,) = store._rows("select content from analysis_parts where name = %s", (name,))[0]
        return pa.ipc.open_file(pa.py_buffer(bytes(content))).read_all()
    with pa.memory_map(str(store._analysis.folder / name)) as source:
        return pa.ipc.open_file(source).read_all()


def _rewrite(store, name: str, change) -> None:
    """One stored partition rewritten as ``change`` makes its Arrow table; in the PostGIS store's
    database, this server's copy removed so that the next read takes the altered one."""
    table = change(_part(store, name))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as out:
        out.write_table(table)
    path = store._analysis.folder / name
    if isinstance(store, PostGISStore):
        with store._conn() as conn:
            conn.execute(
                "update analysis_parts set content = %s where name = %s", (sink.getvalue().to_pybytes(), name)
            )
        path.unlink()
    else:
        path.write_bytes(sink.getvalue().to_pybytes())


def _reports_files(store) -> list[str]:
    _, manifest = _manifest(store)
    return list(manifest["tables"]["reports"].values())


def test_a_restarted_server_updates_as_the_running_one(stored, tmp_path, monkeypatch):
    store, made = stored
    # Read back by a restarted server: the stand-ins and surge tests the running one holds.
    restarted = _restarted(store, tmp_path, "restarted")
    back, done = refresh_store(restarted, **KW)
    assert done.mode == "read back" and differences(back, made) == []
    assert_same_state(back, made)
    pd.testing.assert_frame_equal(
        back.stand_ins.reset_index(drop=True), stand_ins(back.reports).reset_index(drop=True)
    )
    # The same batch added to both (to the one database they share, for PostGIS): the restarted
    # server takes the running one's path (no stand-in or daily test of every report found again)
    # to the same analysis, a from-scratch analysis's.
    shared = isinstance(store, PostGISStore)
    for target in (store,) if shared else (store, restarted):
        _add(target, LATER[0])
    calls = _paths(monkeypatch)
    warm, done = refresh_store(store, **KW)
    assert done.mode == "incremental"
    warm_calls = list(calls)
    calls.clear()
    if shared:
        # Every other server reads the running one's update from the database, not made again ...
        other, done = refresh_store(_restarted(store, tmp_path, "other"), **KW)
        assert done.mode == "read back" and calls == [] and differences(other, warm) == []
        assert_same_state(other, warm)
        # ... and the restarted one, made to update (as if it asked at the same moment), goes the
        # running one's way from what it read back.
        with store._conn() as conn:
            conn.execute("delete from analysis_manifests where key = %s", (store.analysis_keys()[0],))
    cold, done = refresh_store(restarted, **KW)
    assert done.mode == "incremental"
    assert calls == warm_calls and all(n < len(made.reports) for _, n in calls)
    assert warm.surges.since > 0  # tested again from the first day the batch changed
    assert differences(cold, warm) == [] and differences(cold, analyse(restarted.incidents(), **KW)) == []
    assert_same_state(cold, warm)
    # What it stored is read back again, as it holds it.
    forget(restarted)
    again, done = refresh_store(restarted, **KW)
    assert done.mode == "read back"
    assert_same_state(again, cold)
    forget(restarted)


def test_an_analysis_stored_without_its_stand_ins_is_read_back_and_updated_as_before(
    new_store, store_kind, monkeypatch
):
    # Made and updated as the previous version stored them: no stand-in column, no surge tests.
    store = new_store(store_kind, name="older")
    for name in FIRST:
        _add(store, name)
    real = refresh._partitions
    monkeypatch.setattr(
        refresh,
        "_partitions",
        lambda result, changed=None: real(dataclasses.replace(result, stand_ins=None), changed),
    )
    assert refresh_store(store, **KW)[1].mode == "from scratch"
    _add(store, LATER[0])
    older, done = refresh_store(store, **KW)
    assert done.mode == "incremental"
    monkeypatch.setattr(refresh, "_partitions", real)
    _, manifest = _manifest(store)
    files = _reports_files(store)
    assert SURGES not in manifest["tables"]
    assert not any(STAND_IN in _part(store, f).schema.names for f in files)

    forget(store)
    back, done = refresh_store(store, **KW)
    assert done.mode == "read back" and back.stand_ins is None and back.surges is None
    assert differences(back, older) == []
    # Its first update finds them again, as before, to a from-scratch analysis's result; every
    # month of reports is written again, so that the next restart has them.
    calls = _paths(monkeypatch)
    _add(store, LATER[1])
    updated, done = refresh_store(store, **KW)
    assert done.mode == "incremental"
    assert ("stand_ins", len(back.reports)) in calls and "surge_state" in {name for name, _ in calls}
    assert differences(updated, analyse(store.incidents(), **KW)) == []
    now = _reports_files(store)
    assert not set(now) & set(files)
    assert all(STAND_IN in _part(store, f).schema.names for f in now)
    forget(store)
    again, done = refresh_store(store, **KW)
    assert done.mode == "read back"
    assert_same_state(again, updated)
    forget(store)


def _moved_flag(made):
    """A stand-in and a later report of its event: the flag moved from the one to the other stands
    for another report than the event's earliest."""
    reports = made.reports
    shared = reports["event_id"].duplicated(keep=False).to_numpy()
    stand = made.stand_ins
    for uid, event in zip(stand["uid"], stand["event_id"], strict=True):
        others = reports.loc[
            shared & (reports["event_id"] == event).to_numpy() & (reports["uid"] != uid).to_numpy()
        ]
        if len(others):
            return uid, others["uid"].iloc[0]
    raise AssertionError("the demo batches have events of several reports")


@pytest.mark.parametrize("fault", ["moved", "dropped", "month without", "counts", "surges gone"])
def test_stored_stand_ins_or_tests_that_do_not_fit_are_not_used(stored, fault, caplog):
    # A stand-in flag moved to a later report of its event, one dropped, a month of reports
    # stored without them (an earlier version's file kept by a later update), surge tests that
    # count other stand-ins, or none: what does not fit is found again, never used.
    store, made = stored
    files = _reports_files(store)
    stand_uid, other_uid = _moved_flag(made)

    def flags(change):
        def apply(table):
            values = change(table.column("uid").to_pylist(), table.column(STAND_IN).to_pylist())
            at = table.column_names.index(STAND_IN)
            return table.set_column(at, STAND_IN, pa.array(values, type=pa.bool_()))

        return apply

    if fault == "moved":
        for name in files:
            _rewrite(
                store,
                name,
                flags(
                    lambda uids, f: [
                        (v and u != stand_uid) or u == other_uid for u, v in zip(uids, f, strict=True)
                    ]
                ),
            )
    elif fault == "dropped":
        for name in files:
            _rewrite(
                store,
                name,
                flags(lambda uids, f: [v and u != stand_uid for u, v in zip(uids, f, strict=True)]),
            )
    elif fault == "month without":
        _rewrite(store, files[0], lambda table: table.drop_columns([STAND_IN]))
    else:
        key, manifest = _manifest(store)
        if fault == "counts":
            (name,) = manifest["tables"][SURGES].values()

            def one_more(table):
                counts = table.column("counts").to_numpy().copy()
                counts[int(np.flatnonzero(counts)[0])] += 1
                return table.set_column(table.column_names.index("counts"), "counts", pa.array(counts))

            _rewrite(store, name, one_more)
        else:
            del manifest["tables"][SURGES]
            _set_manifest(store, key, manifest)
    forget(store)
    back, done = refresh_store(store, **KW)
    assert done.mode == "read back" and differences(back, made) == []
    if fault == "counts":
        # The stand-ins fit and are used; the tests do not and are made again.
        pd.testing.assert_frame_equal(
            back.stand_ins.reset_index(drop=True), made.stand_ins.reset_index(drop=True)
        )
        assert back.surges is None
    else:
        assert back.stand_ins is None and back.surges is None
    said = {
        "moved": "not those of the analysis's reports",
        "dropped": "not those of the analysis's reports",
        "counts": "do not count the analysis's stand-ins",
    }
    if fault in said:  # not silent: a stored analysis that should fit and does not is a fault
        assert said[fault] in caplog.text
    _add(store, LATER[0])
    updated, done = refresh_store(store, **KW)
    assert done.mode == "incremental"
    assert differences(updated, analyse(store.incidents(), **KW)) == []
    forget(store)
    again, _ = refresh_store(store, **KW)
    assert_same_state(again, updated)  # stored again, whole


def test_rows_of_the_months_an_update_changed_are_found_by_time_as_by_label():
    # The stand-in flags are looked up for the months written only; those rows are found by
    # comparing times with each month's bounds, as their month labels would say.
    rng = np.random.default_rng(2)
    low, high = pd.Timestamp("1990-01-01").value, pd.Timestamp("2030-01-01").value
    times = pd.Series(pd.to_datetime(rng.integers(low, high, 20_000), utc=True))
    edges = ["2026-10-01T00:00Z", "2026-10-31T23:59:59.999999999Z", "2026-11-01T00:00Z", "2026-09-30T23:59Z"]
    times.iloc[: len(edges)] = pd.to_datetime(edges, utc=True, format="ISO8601")
    labels = pd.Series(incremental.month_labels(times))
    for months in ({"2026-10"}, {"2026-09", "2026-11"}, set(), {"1999-12", "2000-01", "2029-12"}):
        expected = labels.isin(list(months)).to_numpy()
        assert np.array_equal(refresh._in_months(times, months), expected), months
        assert np.array_equal(refresh._in_months(times.dt.as_unit("us"), months), expected), months
    assert refresh._in_months(
        pd.Series(pd.to_datetime([None, "2026-10-02"], utc=True)), {"undated"}
    ).tolist() == [
        True,
        False,
    ]


def test_a_report_without_a_time_is_in_the_undated_month():
    times = pd.Series(
        pd.to_datetime(["2026-10-05T06:00Z", None, "1999-12-31T23:59Z"], utc=True, format="ISO8601")
    )
    labels = incremental.month_labels(times)
    assert labels.tolist() == ["2026-10", "undated", "1999-12"]
    assert refresh._in_months(times, {"undated"}).tolist() == [False, True, False]
