"""Several app servers on one PostGIS store at once (issue 14, "Concurrency by the database"): each
server is an OS process of its own, with its own connections and work folder, on a real server.

Uploads at once land one after the other, whole, each report once; the same file at once lands
once; a reader never sees half a batch; a retraction, a line version or a zone during an upload all
stand; the incremental analysis of batches committed at once is the from-scratch analysis.

Where the order matters, a worker is held at a known point of the program (its write transaction
done but not committed, or an edit about to be published: the program's own code, paused, not
replaced) and the test sees the other worker wait on the database's lock (pg_stat_activity), so
what each test asserts does not depend on timing.
"""

from __future__ import annotations

import dataclasses
import itertools
import pickle
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest

from geo.errors import GeoError
from geo.settings import SCENARIO_DIR, Settings, load_settings
from geo.store.postgis import DatabaseEdits, PostGISStore

# The workers import this module: what only some of them need is imported where it is used.
ROOT = Path(__file__).resolve().parents[2]
SETTINGS = load_settings(environ={})
KW = {"scenario_dir": SETTINGS.scenario_dir, "agreement_path": SETTINGS.agreement_path}
WORKER = "import sys; from tests.store.test_postgis_concurrency import _job; _job(sys.argv[1])"
WAIT = 120  # seconds a step may take before the test says which worker is stuck


# ---------------------------------------------------------------------------------------------
# The worker: one app server in a process of its own.


def _say(word: str) -> None:
    print(f"@@ {word}", flush=True)


def _wait() -> None:
    """Wait for the test's word to go on (a line on stdin)."""
    sys.stdin.readline()


def _hold_in_transaction() -> None:
    """Pause each write at its last step inside its transaction (the revision moved, not committed)."""
    real = PostGISStore._moved

    def moved_then_hold(conn: Any) -> None:
        real(conn)
        _say("held")
        _wait()

    PostGISStore._moved = staticmethod(moved_then_hold)


def _hold_before_publishing() -> None:
    """Pause a scenario edit once, before it is first published (its number chosen, not yet taken)."""
    real = DatabaseEdits.publish
    held = []

    def hold_then_publish(self, seq: int, name: str, text: str) -> bool:
        if not held:
            held.append(seq)
            _say(f"publishing {seq}")
            _wait()
        return real(self, seq, name, text)

    DatabaseEdits.publish = hold_then_publish


def _edits(store: PostGISStore):  # -> ScenarioEdits
    from geo.scenario.edits import EDITS_DIR, ScenarioEdits

    return ScenarioEdits(store.path / EDITS_DIR, SCENARIO_DIR, settings=Settings(), shared=store.edits)


def _add(store: PostGISStore, result, data: bytes) -> dict:
    return dataclasses.asdict(store.add_batch(result, original=data))


def _add_then_refresh(store: PostGISStore, result, data: bytes) -> tuple[dict, str]:
    from geo.refresh import refresh_store

    receipt = _add(store, result, data)
    _say("added")
    _wait()
    return receipt, refresh_store(store, **KW)[1].mode


def _retract(store: PostGISStore, batch_id: str) -> int:
    return store.retract_batch(batch_id, reason="test: withdrawn")


def _zone(store: PostGISStore, zone_id: str, lon: float) -> int:
    half = 0.02
    ring = [
        [lon - half, 48.1 - half],
        [lon + half, 48.1 - half],
        [lon + half, 48.1 + half],
        [lon - half, 48.1 + half],
    ]
    square = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    return _edits(store).save_zone(square, zone_id=zone_id, kind="protected_site", name=f"Site {zone_id}").seq


def _line(store: PostGISStore, data: bytes, filename: str) -> int:
    return _edits(store).add_line_version(data, filename=filename).seq


def _read(store: PostGISStore, stop: str) -> list[tuple[int, dict[str, int], tuple]]:
    """Poll the store until ``stop`` exists: each count, the batches each read of the reports held
    (with their sizes) and each listing."""
    seen = []
    while not Path(stop).exists():
        count = store.count()
        sizes = store.incidents()["batch_id"].value_counts().to_dict()
        seen.append((count, dict(sorted(sizes.items())), store.listing()[1]))
        _say("read")
    return seen


ACTIONS = {
    "add": _add,
    "add_then_refresh": _add_then_refresh,
    "retract": _retract,
    "zone": _zone,
    "line": _line,
    "read": _read,
}


def _hold_around_publishing() -> None:
    """Pause a scenario edit before it is first published, and again once it is (not yet checked
    against the edits published meanwhile)."""
    _hold_before_publishing()
    real = DatabaseEdits.publish

    def publish_then_hold(self, seq: int, name: str, text: str) -> bool:
        done = real(self, seq, name, text)
        if done:
            _say(f"published {seq}")
            _wait()
        return done

    DatabaseEdits.publish = publish_then_hold


HOLDS = {
    "transaction": _hold_in_transaction,
    "publish": _hold_before_publishing,
    "around publish": _hold_around_publishing,
}


def _job(path: str) -> None:
    """Run the job pickled at ``path``: open the store, say ready, wait for go, act, keep the result."""
    job = pickle.loads(Path(path).read_bytes())
    store = PostGISStore(job["url"], work_dir=job["work"])
    if job["hold"]:
        HOLDS[job["hold"]]()
    _say("ready")
    _wait()
    try:
        out = ("ok", ACTIONS[job["action"]](store, **job["args"]))
    except GeoError as exc:
        out = ("refused", type(exc).__name__, exc.message, exc.hint)
    Path(path + ".out").write_bytes(pickle.dumps(out))


# ---------------------------------------------------------------------------------------------
# The test's side.


class Worker:
    """One app server (an OS process) doing ``action`` on the store at ``url``; ``hold`` pauses it
    at a known point (:data:`HOLDS`)."""

    def __init__(self, folder: Path, name: str, url: str, action: str, *, hold: str | None = None, **args):
        self.name = name
        self.job = folder / f"{name}.job"
        self.job.write_bytes(
            pickle.dumps(
                {"url": url, "work": str(folder / name), "action": action, "hold": hold, "args": args}
            )
        )
        self.errors = folder / f"{name}.stderr"
        with self.errors.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", WORKER, str(self.job)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        self.lines: queue.Queue[str] = queue.Queue()
        self.listener = threading.Thread(target=self._listen, daemon=True)
        self.listener.start()

    def _listen(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("@@ "):
                self.lines.put(line[3:].strip())
        self.lines.put("(ended)")

    def expect(self, word: str) -> None:
        """Wait for the worker to say ``word``."""
        try:
            said = self.lines.get(timeout=WAIT)
        except queue.Empty:
            said = "(nothing)"
        assert said == word, f"{self.name} said {said!r}, not {word!r}: {self.errors.read_text()[-3000:]}"

    def go(self) -> None:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def result(self) -> Any:
        """The worker's result: ('ok', value) or ('refused', error class, message, hint)."""
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        assert self.proc.returncode == 0, f"{self.name} failed: {self.errors.read_text()[-3000:]}"
        return pickle.loads(Path(f"{self.job}.out").read_bytes())

    def value(self) -> Any:
        out = self.result()
        assert out[0] == "ok", f"{self.name} was refused: {out}"
        return out[1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        self.listener.join(timeout=10)
        self.proc.stdout.close()


@pytest.fixture
def workers(tmp_path):
    """Start workers (``start(name, url, action, hold=..., **args)``); each is stopped at the end."""
    started: list[Worker] = []

    def start(name: str, url: str, action: str, **kw) -> Worker:
        worker = Worker(tmp_path, name, url, action, **kw)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _all_ready(*ws: Worker) -> None:
    for w in ws:
        w.expect("ready")


def _waiting_on_the_write_lock(url: str, n: int = 1) -> None:
    """Wait until ``n`` connections to the store wait on its write lock (an advisory lock)."""
    database = url.rsplit("/", 1)[1]
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            (waiting,) = conn.execute(
                "select count(*) from pg_stat_activity where datname = %s and wait_event = 'advisory'",
                (database,),
            ).fetchone()
        if waiting >= n:
            return
        time.sleep(0.05)
    pytest.fail(f"{n} writer(s) never waited on the store's write lock")


def _query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _whole(url: str) -> None:
    """Each live batch holds exactly the reports its row says it accepted, in one run of the order
    reports were stored in (no batch's rows interleaved with another's)."""
    rows = _query(
        url,
        "select b.batch_id, b.accepted, count(r.uid), min(r.fid), max(r.fid) from batches b "
        "left join reports r on r.batch_id = b.batch_id where b.retracted_at is null group by b.seq, b.batch_id "
        "order by b.seq",
    )
    assert all(accepted == n for _, accepted, n, _, _ in rows), rows
    runs = [(lo, hi) for _, _, n, lo, hi in rows if n]
    assert all(a[1] < b[0] for a, b in itertools.pairwise(runs)), rows


# ---------------------------------------------------------------------------------------------
# Uploads at once.


def test_uploads_at_once_land_whole_each_report_once(postgis_url, workers, tmp_path, kit):
    n = 4
    # Batch k: 20 reports of its own, and a report shared with batch k - 1 and one with batch k + 1.
    batches = [
        [kit.report(100 * k + i) for i in range(20)] + [kit.report(10_000 + j, source="shared") for j in (k - 1, k)]
        for k in range(n)
    ]  # fmt: skip
    ws = []
    for k, rows in enumerate(batches):
        result, data = kit.make_result(rows, filename=f"upload-{k}.geojson")
        ws.append(workers(f"server{k}", postgis_url, "add", result=result, data=data))
    _all_ready(*ws)
    for w in ws:
        w.go()
    receipts = [w.value() for w in ws]

    store = PostGISStore(postgis_url, work_dir=tmp_path / "reader")
    uids = {u for rows in batches for u in kit.incident_frame(rows)["uid"]}
    shared = set(kit.incident_frame([kit.report(10_000 + j, source="shared") for j in range(-1, n)])["uid"])
    assert not any(r["already_ingested"] for r in receipts)
    assert sum(r["accepted"] for r in receipts) == len(uids) == store.count()
    frame = store.incidents()
    assert frame["uid"].is_unique and set(frame["uid"]) == uids
    # Each report shared by two batches: stored by one, counted as a duplicate in the other's receipt only.
    dup = [u for r in receipts for u in r["duplicate_uids"]]
    assert len(dup) == len(set(dup)) == n - 1 and set(dup) <= shared
    assert sum(r["duplicates"] for r in receipts) == n - 1
    by_batch = frame.groupby("batch_id")["uid"].apply(set)
    for r, rows in zip(receipts, batches, strict=True):
        mine = set(kit.incident_frame(rows)["uid"])
        assert by_batch[r["batch_id"]] == mine - set(r["duplicate_uids"])
        assert r["accepted"] == len(mine) - len(r["duplicate_uids"])
    recorded = store.batches().set_index("batch_id")
    assert all(recorded.loc[r["batch_id"], "duplicates"] == r["duplicates"] for r in receipts)
    _whole(postgis_url)


def test_an_upload_waits_for_the_one_in_its_transaction_and_counts_its_reports_as_duplicates(
    postgis_url, workers, tmp_path, kit
):
    first, first_data = kit.make_result([kit.report(i) for i in range(10)], filename="first.geojson")
    second, second_data = kit.make_result([kit.report(i) for i in range(5, 15)], filename="second.geojson")
    a = workers("a", postgis_url, "add", hold="transaction", result=first, data=first_data)
    b = workers("b", postgis_url, "add", result=second, data=second_data)
    _all_ready(a, b)
    a.go()
    a.expect("held")  # a's reports written, not committed
    b.go()
    _waiting_on_the_write_lock(postgis_url)
    store = PostGISStore(postgis_url, work_dir=tmp_path / "reader")
    assert store.count() == 0 and store.listing() == (0, ())
    a.go()
    got_a, got_b = a.value(), b.value()
    assert (got_a["accepted"], got_a["duplicates"]) == (10, 0)
    assert (got_b["accepted"], got_b["duplicates"]) == (5, 5), "b read the store after a committed"
    assert got_a["batch_id"] < got_b["batch_id"]
    assert store.count() == 15 and store.revision() == 2
    _whole(postgis_url)


def test_the_same_file_uploaded_at_once_lands_once(postgis_url, workers, tmp_path, kit):
    result, data = kit.make_result([kit.report(i) for i in range(30)], filename="same.geojson")
    ws = [workers(f"server{k}", postgis_url, "add", result=result, data=data) for k in range(3)]
    _all_ready(*ws)
    for w in ws:
        w.go()
    receipts = [w.value() for w in ws]
    stored = [r for r in receipts if not r["already_ingested"]]
    assert len(stored) == 1 and stored[0]["accepted"] == 30
    others = [r for r in receipts if r["already_ingested"]]
    assert len(others) == 2 and all(r["batch_id"] == stored[0]["batch_id"] for r in others)
    assert all(r["message"].startswith(f"This file was already ingested as batch {stored[0]['batch_id']}") for r in others)  # fmt: skip
    store = PostGISStore(postgis_url, work_dir=tmp_path / "reader")
    assert len(store.batches()) == 1 and store.count() == 30 and store.revision() == 1
    assert _query(postgis_url, "select count(*) from files") == [(1,)]


def test_a_reader_never_sees_part_of_a_big_batch(postgis_url, workers, tmp_path, kit):
    store = PostGISStore(postgis_url, work_dir=tmp_path / "here")
    small = kit.put(store, [kit.report(i) for i in range(3)])
    big, big_data = kit.big_result(50_000)
    stop = tmp_path / "stop"
    reader = workers("reader", postgis_url, "read", stop=str(stop))
    writer = workers("writer", postgis_url, "add", hold="transaction", result=big, data=big_data)
    _all_ready(reader, writer)
    reader.go()
    writer.go()  # the reader polls while the 50,000 reports are copied in

    def reads(k: int) -> None:
        for _ in range(k):
            reader.expect("read")

    writer.expect("held")
    while not reader.lines.empty():
        reads(1)
    reads(3)  # three more reads while the batch is written, not committed
    assert (store.count(), len(store.incidents()), store.listing()[1]) == (3, 3, ((small.batch_id, 0),))
    writer.go()
    landed = writer.value()
    assert landed["accepted"] == 50_000
    while not reader.lines.empty():
        reads(1)
    reads(2)  # the second of these began after the commit
    stop.touch()
    seen = reader.value()

    before = (3, {small.batch_id: 3}, ((small.batch_id, 0),))
    after = (50_003, {small.batch_id: 3, landed["batch_id"]: 50_000}, ((small.batch_id, 0), (landed["batch_id"], 0)))  # fmt: skip
    assert {s[0] for s in seen} == {before[0], after[0]}, "a count of part of the batch"
    assert {tuple(s[1].items()) for s in seen} == {tuple(before[1].items()), tuple(after[1].items())}
    assert {s[2] for s in seen} == {before[2], after[2]}
    assert sum(s[0] == before[0] for s in seen) >= 3 and seen[-1] == after


# ---------------------------------------------------------------------------------------------
# A retraction, a line version, zones during an upload.


@pytest.mark.parametrize("first", ["upload", "retraction"])
def test_a_retraction_during_an_upload_both_stand(postgis_url, workers, tmp_path, kit, first):
    store = PostGISStore(postgis_url, work_dir=tmp_path / "here")
    old = kit.put(store, [kit.report(i) for i in range(10)], filename="old.geojson")
    new, new_data = kit.make_result([kit.report(i) for i in range(5, 15)], filename="new.geojson")
    upload = workers("upload", postgis_url, "add", hold="transaction" if first == "upload" else None, result=new, data=new_data)  # fmt: skip
    retraction = workers("retraction", postgis_url, "retract", hold="transaction" if first == "retraction" else None, batch_id=old.batch_id)  # fmt: skip
    held, waiting = (upload, retraction) if first == "upload" else (retraction, upload)
    _all_ready(held, waiting)
    held.go()
    held.expect("held")
    waiting.go()
    _waiting_on_the_write_lock(postgis_url)
    assert store.count() == 10 and [b for b, _ in store.listing()[1]] == [old.batch_id]
    held.go()
    landed, removed = upload.value(), retraction.value()
    # Either way r5..r9 stay shown: the upload carried them. Landed first, it found them stored and
    # skipped them (kept as carried), and the retraction hid only r0..r4; the retraction first hid
    # r0..r9, and the upload found them stored (hidden) and carried them back into view.
    expected = [f"r{i}" for i in range(5, 15)]
    if first == "upload":
        assert (landed["accepted"], landed["duplicates"], removed) == (5, 5, 5)
    else:
        assert (landed["accepted"], landed["duplicates"], removed) == (5, 5, 10)
    assert sorted(store.incidents()["id"], key=lambda s: int(s[1:])) == expected
    # The old batch is listed still, its carried reports being shown (a negative count: in part).
    assert store.count() == len(expected) and store.listing() == (
        3,
        ((old.batch_id, -(1 + (5 << 32))), (landed["batch_id"], 0)),
    )
    assert pd.notna(store.batches().set_index("batch_id").loc[old.batch_id, "retracted_at"])
    _whole(postgis_url)


def _line_file(version: str, valid_from: str) -> bytes:
    from tests.store.test_postgis_store import _line_file

    return _line_file(version, valid_from)


def test_a_line_version_added_while_a_batch_lands_both_stand(postgis_url, workers, tmp_path, kit):
    result, data = kit.make_result([kit.report(i) for i in range(20)], filename="batch.geojson")
    line = _line_file("v3", "2026-11-01T00:00:00+02:00")
    upload = workers("upload", postgis_url, "add", hold="transaction", result=result, data=data)
    editor = workers("editor", postgis_url, "line", data=line, filename="v3.geojson")
    _all_ready(upload, editor)
    upload.go()
    upload.expect("held")
    editor.go()
    assert editor.value() == 1, "the edit did not wait for the upload"
    upload.go()
    assert upload.value()["accepted"] == 20
    store = PostGISStore(postgis_url, work_dir=tmp_path / "reader")
    assert store.count() == 20
    edits = _edits(store)
    assert edits.history()["label"].tolist() == ["v3"]
    assert edits.scenario().version_at("2026-11-02T00:00:00Z") == "v3"


def test_two_servers_adding_a_zone_at_once_take_different_numbers(postgis_url, workers, tmp_path, kit):
    result, data = kit.make_result([kit.report(i) for i in range(5)], filename="batch.geojson")
    upload = workers("upload", postgis_url, "add", hold="transaction", result=result, data=data)
    ws = [workers(f"zone{k}", postgis_url, "zone", hold="publish", zone_id=f"PS-9{k}", lon=37.6 + 0.1 * k) for k in range(2)]  # fmt: skip
    _all_ready(upload, *ws)
    upload.go()
    upload.expect("held")  # and a batch lands meanwhile
    for w in ws:
        w.go()
    for w in ws:
        w.expect("publishing 1")  # both chose number 1: neither had seen the other's edit
    for w in ws:
        w.go()
    assert sorted(w.value() for w in ws) == [1, 2]
    upload.go()
    assert upload.value()["accepted"] == 5
    store = PostGISStore(postgis_url, work_dir=tmp_path / "reader")
    assert store.count() == 5
    rows = _query(postgis_url, "select seq, name from scenario_edits order by seq")
    assert [seq for seq, _ in rows] == [1, 2] and {n.split("-zone-")[1] for _, n in rows} == {"PS-90.geojson", "PS-91.geojson"}  # fmt: skip
    edits = _edits(store)
    assert edits.history()["seq"].tolist() == [1, 2]
    assert {"PS-90", "PS-91"} <= set(edits.zone_ids())


def test_the_same_new_zone_made_by_two_servers_at_once_is_made_once(postgis_url, workers, tmp_path):
    # Both checked that PS-95 did not exist before either published it; the later must not pass for a revision.
    ws = [workers(f"zone{k}", postgis_url, "zone", hold="publish", zone_id="PS-95", lon=37.6 + 0.1 * k) for k in range(2)]  # fmt: skip
    _all_ready(*ws)
    for w in ws:
        w.go()
    for w in ws:
        w.expect("publishing 1")
    for w in ws:
        w.go()
    results = sorted((w.result() for w in ws), key=lambda r: r[0])
    assert [r[0] for r in results] == ["ok", "refused"], results
    assert results[1][1] == "InputError" and "Zone PS-95 was made by another user meanwhile" in results[1][2]
    assert "Reload" in results[1][3]
    history = _edits(PostGISStore(postgis_url, work_dir=tmp_path / "reader")).history()
    assert history["label"].tolist() == ["PS-95"] and history["seq"].tolist() == [results[0][1]]


def _same_line_version_at_once(url: str, workers) -> list:
    """Two servers add line version v3 (other start times) at once: both check it against the
    scenario before either publishes it, both publish it (numbers 1 and 2), then both check again."""
    ws = [
        workers(
            f"line{k}",
            url,
            "line",
            hold="around publish",
            data=_line_file("v3", f"2026-11-0{k + 1}T00:00:00+02:00"),
            filename=f"v3-{k}.geojson",
        )
        for k in range(2)
    ]
    _all_ready(*ws)
    for w in ws:
        w.go()
    for w in ws:
        w.expect("publishing 1")
    ws[0].go()
    ws[0].expect("published 1")
    ws[1].go()
    ws[1].expect("published 2")
    for w in ws:
        w.go()
    return [w.result() for w in ws]


def test_the_same_line_version_added_at_once_is_never_stored_twice(postgis_url, workers, tmp_path):
    results = _same_line_version_at_once(postgis_url, workers)
    stood = [r for r in results if r[0] == "ok"]
    assert len(stood) <= 1
    assert all(r[1] == "InputError" and "'v3'" in r[2] and r[3] for r in results if r[0] != "ok"), results
    labels = _edits(PostGISStore(postgis_url, work_dir=tmp_path / "reader")).history()["label"].tolist()
    assert labels == ["v3"] * len(stood)


def test_the_first_of_two_clashing_line_versions_stands(postgis_url, workers, tmp_path):
    results = _same_line_version_at_once(postgis_url, workers)
    assert [r[0] for r in results] == ["ok", "refused"]
    labels = _edits(PostGISStore(postgis_url, work_dir=tmp_path / "reader")).history()["label"].tolist()
    assert labels == ["v3"]


# ---------------------------------------------------------------------------------------------
# The analysis.


def _demo(name: str) -> tuple[Any, bytes]:
    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch

    data = (DEMO_DIR / f"incidents_{name}.geojson").read_bytes()
    return read_batch(data, filename=f"{name}.geojson"), data


@pytest.mark.parametrize("order", ["refreshed at once", "one refreshed while the other lands"])
def test_batches_committed_at_once_give_the_from_scratch_analysis(postgis_url, workers, tmp_path, order):
    from geo.incremental import differences
    from geo.pipeline import analyse
    from geo.refresh import forget, refresh_store

    store = PostGISStore(postgis_url, work_dir=tmp_path / "first")
    for name in ("imagery_2026-10-01", "media_2026-10-01", "party_ua_2026-10-01"):
        result, data = _demo(name)
        store.add_batch(result, original=data)
    try:
        assert refresh_store(store, **KW)[1].mode == "from scratch"
    finally:
        forget(store)
    (a_batch, a_data), (b_batch, b_data) = _demo("imagery_2026-10-08"), _demo("party_ru_2026-10-08")
    a = workers("a", postgis_url, "add_then_refresh", result=a_batch, data=a_data)
    hold = "transaction" if order == "one refreshed while the other lands" else None
    b = workers("b", postgis_url, "add_then_refresh", hold=hold, result=b_batch, data=b_data)
    _all_ready(a, b)
    if order == "refreshed at once":
        a.go()
        b.go()
        a.expect("added")
        b.expect("added")
        a.go()  # both update the same stored analysis with both batches, at once
        b.go()
    else:
        a.go()
        a.expect("added")
        b.go()
        b.expect("held")  # b's batch written, not committed
        a.go()  # a updates the analysis with its batch only: none of b's reports are seen
        a_receipt, a_mode = a.value()
        b.go()
        b.expect("added")
        b.go()  # b updates a's analysis with its batch
    (a_receipt, a_mode), (b_receipt, b_mode) = a.value(), b.value()
    assert a_mode == b_mode == "incremental"
    assert a_receipt["accepted"] > 0 and b_receipt["accepted"] > 0

    server = PostGISStore(postgis_url, work_dir=tmp_path / "another")
    try:
        kept, done = refresh_store(server, **KW)
    finally:
        forget(server)
    assert done.mode == "read back", "the analysis at the store's revision was stored by a or b"
    fresh = analyse(server.incidents(), **KW)
    assert len(kept.reports) == server.count()
    assert differences(kept, fresh) == []
    pd.testing.assert_frame_equal(
        kept.stand_ins.reset_index(drop=True), fresh.stand_ins.reset_index(drop=True)
    )
