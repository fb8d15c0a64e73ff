"""The load test of issue 15 as a kit: bench/load.py runs it big, tests/deploy/test_load.py small.

One ``streamlit run app.py`` on a fresh store (a GeoPackage file, or a PostGIS database), seeded
with demo batches through the store API and analysed once; one session opens the map alone first
(a new server reads the analysis back: timed apart); then, for ``duration`` seconds and until the
last write is done:

- N websocket sessions speak Streamlit's own protocol to it (``/_stcore/stream``, BackMsg and
  ForwardMsg protobufs, as the browser's frontend does): each opens the Map page and explores like
  an officer (a period preset, the types filter, the colouring, the contact line version, the
  hotspot layer, a search), one rerun at a time with a pause between; each rerun is timed from the
  BackMsg sent to the ForwardMsg ``script_finished``, and an exception element, an error box, a
  script that does not compile, a page not found or a dropped socket is an error;
- a few headless Chromium pages (bench/app.py's helpers: the map's frame, markers drawn, a period
  change) open the map, wait for its markers and change the period back and forth; an exception or
  error box on the page is an error, an uncaught JavaScript error (the console's) is listed apart;
- meanwhile batches go in through ``python -m geo ingest --as ANALYST`` (demo files and real UCDP
  GED rows, one batch repeating reports of another) and one is retracted through ``python -m geo
  retract --as ADMIN``, both named users of a users file (the app itself is in single-user mode).

At the end :func:`check` compares the store's visible reports with the set computed from the files
(``read_upload``, the ingest's own reading), counts uids stored twice, runs ``python -m geo audit
verify`` and looks for each write's entry and user in the log. Nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import app as bench_app  # noqa: E402  (the Chromium helpers of the app bench)

DEMO_DIR = ROOT / "data" / "demo"
GED_CSV = ROOT.parent / "shared" / "data" / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv"
ANALYST, ADMIN = "ana.load", "boss.load"
PASSWORDS = {ANALYST: "analyst load password 1", ADMIN: "admin load password 1"}
RERUN_TIMEOUT_S = 300.0
START_TIMEOUT_S = 180.0
# Kinds of timing, in the order the table shows them.
WS_COLD, WS_FIRST, WS_RERUN, BROWSER_FIRST, BROWSER_RERUN = (
    "websocket: first map, new server (one session alone)",
    "websocket: first map",
    "websocket: rerun",
    "browser: first map",
    "browser: period change",
)
KINDS = (WS_COLD, WS_FIRST, WS_RERUN, BROWSER_FIRST, BROWSER_RERUN)
CAPTION = re.compile(r"Store revision (\d+) · ([\d,]+) reports")
SEARCHES = ("Avdiyivka", "Bakhmut", "Kramatorsk", "Pokrovsk", "")


# -- What goes in -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Upload:
    """A file ingested during the run (``mapping``: the CSV mapping it needs, as ``--mapping``)."""

    path: Path
    mapping: str | None = None


@dataclasses.dataclass(frozen=True)
class Plan:
    """The store before the run (``seed``, through the store API) and the writes during it:
    ``uploads`` in turn, spread over the run, then the batch of ``uploads[retract]`` retracted."""

    seed: tuple[Path, ...]
    uploads: tuple[Upload, ...]
    retract: int


def demo_files(*days: str) -> tuple[Path, ...]:
    """The committed demo batches of the given days (2026-10-01 ...), all sources, sorted."""
    return tuple(p for p in sorted(DEMO_DIR.glob("*.geojson")) if p.stem.rsplit("_", 1)[1] in days)


def ged_slices(folder: Path, rows: int, overlap: int) -> tuple[Upload, Upload]:
    """Two CSV files of real UCDP GED rows (the most recent ``2 * rows - overlap`` of the file, values
    as they are): the second starts with the last ``overlap`` rows of the first, so its batch repeats
    reports of the first."""
    import pandas as pd

    ged = pd.read_csv(GED_CSV, dtype=str, keep_default_na=False)
    window = ged.iloc[-(2 * rows - overlap) :]
    made = []
    for name, part in (("ged_a.csv", window.iloc[:rows]), ("ged_b.csv", window.iloc[rows - overlap :])):
        path = folder / name
        part.to_csv(path, index=False)
        made.append(Upload(path, "ucdp"))
    return made[0], made[1]


def uids_of(path: Path, mapping: str | None = None) -> set[str]:
    """The report uids ingest would accept from the file (geo's own reading, not the store's)."""
    from geo.ingest.mapping import read_upload
    from geo.settings import load_settings

    result = read_upload(
        path.read_bytes(), filename=path.name, mapping=mapping, settings=load_settings(environ={})
    )
    return set(result.accepted["uid"])


# -- The store and the processes around it ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Where:
    """The store under test: the GeoPackage in ``folder`` (``url`` empty) or the PostGIS database at
    ``url``, each process then with a work folder of its own in ``folder``."""

    folder: Path
    url: str = ""

    @property
    def label(self) -> str:
        return "PostGIS" if self.url else "GeoPackage"

    def env(self, who: str) -> dict[str, str]:
        """The environment naming the store for the process ``who`` (server, cli, ...)."""
        env = {k: v for k, v in os.environ.items() if k not in ("CM_STORE_URL", "CM_USER", "CM_PASSWORD")}
        env.pop("CM_USERS_PATH", None)
        if self.url:
            return {**env, "CM_STORE_URL": self.url, "CM_STORE_PATH": str(self.folder / who / "store.gpkg")}
        return {**env, "CM_STORE_PATH": str(self.folder / "store.gpkg")}

    def open(self, who: str):
        from geo.store import open_store

        if self.url:
            return open_store(self.url, work=self.folder / who)
        return open_store(self.folder / "store.gpkg")

    @property
    def users(self) -> Path:
        return self.folder / "users.json"


def geo_cli(
    where: Where, *argv: str, user: str | None = None, stdin: str = ""
) -> subprocess.CompletedProcess:
    """``python -m geo ARGV`` on the store, with the users file, as ``user`` (its password in CM_PASSWORD)."""
    env = {**where.env("cli"), "CM_USERS_PATH": str(where.users)}
    if user:
        env |= {"CM_USER": user, "CM_PASSWORD": PASSWORDS[user]}
    return subprocess.run(
        [sys.executable, "-m", "geo", *argv],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )


def prepare(where: Where, plan: Plan) -> None:
    """Make the users (an admin, an analyst: python -m geo users add), store the seed batches through
    the store API (single-user mode) and analyse the store once (kept with it)."""
    from geo.ingest import read_batch
    from geo.pipeline import analyse_store
    from geo.settings import load_settings

    where.folder.mkdir(parents=True, exist_ok=True)
    add = ("users", "add", "--password-stdin", "--role")
    for argv, user, name in ((("admin", ADMIN), None, ADMIN), (("analyst", ANALYST), ADMIN, ANALYST)):
        done = geo_cli(where, *add, *argv, user=user, stdin=PASSWORDS[name] + "\n")
        if done.returncode != 0:
            raise RuntimeError(f"python -m geo users add {name} failed:\n{done.stderr}")
    store = where.open("seed")
    for path in plan.seed:
        data = path.read_bytes()
        store.add_batch(read_batch(data, filename=path.name), original=data)
    s = load_settings(environ={})
    analyse_store(store, scenario_dir=s.scenario_dir, agreement_path=s.agreement_path)


@contextlib.contextmanager
def app_server(
    where: Where, log: Path, options: tuple[str, ...] = ()
) -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run app.py`` on the store, headless on a free loopback port, single-user mode (no
    users file): its base URL and process while the block runs, stopped after; its output in ``log``.
    ``options``: more of streamlit's (``--runner.postScriptGC``, ``false``)."""
    port = bench_app._free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        # As a deployed server runs: its sources do not change under it. (Here other engineers edit
        # the working tree; Streamlit's watcher then drops changed modules from sys.modules while
        # other sessions import them: KeyError 'ui' in 8 of 20 sessions on 2026-12-07.)
        "--server.fileWatcherType", "none",
        *options,
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=where.env("server"), stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit not healthy after {START_TIMEOUT_S:.0f} s")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- What happens during the run ----------------------------------------------------------------


class Record:
    """Timings by kind and errors, from the sessions (one event loop) and browser threads."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {k: [] for k in KINDS}
        self.errors: list[str] = []
        self.page_errors: list[str] = []  # uncaught JavaScript errors in the browsers' pages
        self._lock = threading.Lock()

    def time(self, kind: str, seconds: float) -> None:
        with self._lock:
            self.times[kind].append(seconds)

    def error(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)

    def page_error(self, text: str) -> None:
        with self._lock:
            self.page_errors.append(text)


class Session:
    """One websocket client of the app, speaking Streamlit's protocol like a browser tab on /map."""

    def __init__(self, base: str, name: str, record: Record, rng: random.Random) -> None:
        self.url = base.replace("http://", "ws://") + "/_stcore/stream"
        self.origin = base
        self.name = name
        self.record = record
        self.rng = rng
        self.ws = None
        self.page_hash = ""
        self.query = ""
        self.widgets: dict[str, tuple[str, object]] = {}  # user key -> (element type, its proto)
        self.values: dict[str, tuple[str, object]] = {}  # user key -> (state field, value) sent each run
        self.reruns = 0
        self.count: int | None = None  # the report count the last run's sidebar caption gave

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        # No protocol-level pings (a browser sends none); no size limit (the map's HTML is large).
        self.ws = await connect(
            self.url,
            subprotocols=["streamlit"],
            additional_headers={"Origin": self.origin},
            max_size=None,
            ping_interval=None,
            open_timeout=60,
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    def _states(self, trigger: str | None):
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        states = WidgetStates()
        for key, (field, value) in [
            *self.values.items(),
            *([(trigger, ("trigger_value", True))] if trigger else []),
        ]:
            if key not in self.widgets:
                continue
            state = states.widgets.add()
            state.id = self.widgets[key][1].id
            if field == "string_array_value":
                state.string_array_value.data.extend(value)
            else:
                setattr(state, field, value)
        return states

    async def rerun(self, kind: str, trigger: str | None = None) -> bool:
        """Send a rerun of the Map page (``trigger``: a button clicked); wait for the run's end.
        Record its time, or an error; return whether the session is still usable."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState

        state = ClientState(
            query_string=self.query,
            widget_states=self._states(trigger),
            page_script_hash=self.page_hash,
            page_name="map",
        )
        t0 = time.perf_counter()
        try:
            await self.ws.send(BackMsg(rerun_script=state).SerializeToString())
            ended = await asyncio.wait_for(self._until_finished(), RERUN_TIMEOUT_S)
        except TimeoutError:
            self.record.error(f"{self.name}: no end of the run within {RERUN_TIMEOUT_S:.0f} s ({kind})")
            return False
        except Exception as exc:  # a dropped socket, a refused connection
            self.record.error(f"{self.name}: {type(exc).__name__}: {exc} ({kind})")
            return False
        self.reruns += 1
        if ended:
            self.record.time(kind, time.perf_counter() - t0)
        return ended

    async def _until_finished(self) -> bool:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        started = False
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                started = True
                self.widgets = {}  # every run sends all its elements again
            elif kind == "navigation":
                # st.navigation's page run: it must be the Map page (its hash goes with the next run).
                self.page_hash = msg.navigation.page_script_hash
                page = [
                    p.url_pathname for p in msg.navigation.app_pages if p.page_script_hash == self.page_hash
                ]
                if page != ["map"]:
                    self.record.error(f"{self.name}: the run showed the page {page}, not the map")
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element)
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "page_not_found":
                self.record.error(f"{self.name}: page not found ({msg.page_not_found.page_name})")
            elif (
                kind == "session_event"
                and msg.session_event.WhichOneof("type") == "script_compilation_exception"
            ):
                self.record.error(f"{self.name}: {msg.session_event.script_compilation_exception.message}")
            elif kind == "script_finished" and started:
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    self.record.error(f"{self.name}: the script did not compile")
                    return False
                if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    return True
                # FINISHED_EARLY_FOR_RERUN (st.rerun): the run goes on as another; a fragment's run ends
                # inside the app's: wait for the whole run.

    def _element(self, element) -> None:
        from streamlit.proto.Alert_pb2 import Alert

        kind = element.WhichOneof("type")
        if kind is None:
            return
        body = getattr(element, kind)
        if kind == "exception":
            self.record.error(f"{self.name}: exception {body.type}: {body.message[:300]}")
        elif kind == "alert" and body.format == Alert.ERROR:
            self.record.error(f"{self.name}: error shown: {body.body[:300]}")
        elif kind == "markdown":
            found = CAPTION.search(body.body)
            if found:
                self.count = int(found[2].replace(",", ""))
        elif "id" in body.DESCRIPTOR.fields_by_name and body.id.startswith("$$ID-"):
            parts = body.id.split("-", 2)
            if len(parts) == 3 and parts[2]:
                self.widgets[parts[2]] = (kind, body)

    def next_change(self) -> str | None:
        """Change one thing an officer would (in ``values``); return the button clicked, if any."""
        from ui import keys

        rng = self.rng
        choices = []
        presets = [k for k in self.widgets if k.startswith(f"{keys.FILTER_PRESET}_")]
        if presets:
            choices += ["preset"] * 3
        for key, weight in (
            (keys.FILTER_TYPES, 2),
            (keys.MAP_COLOUR, 2),
            (keys.MAP_SEARCH, 2),
            (keys.MAP_LINE_VERSION, 1),
            (keys.MAP_PATTERNS, 1),
        ):
            if key in self.widgets:
                choices += [key] * weight
        if not choices:
            return None
        choice = rng.choice(choices)
        if choice == "preset":
            return rng.choice(presets)
        proto = self.widgets[choice][1]
        if choice == keys.FILTER_TYPES:
            options = list(proto.options)
            picked = rng.sample(options, k=min(len(options), rng.choice((0, 1, 2))))
            self.values[choice] = ("string_array_value", picked)
        elif choice in (keys.MAP_COLOUR, keys.MAP_LINE_VERSION):
            self.values[choice] = ("string_value", rng.choice(list(proto.options)))
        elif choice == keys.MAP_SEARCH:
            self.values[choice] = ("string_value", rng.choice(SEARCHES))
        else:  # the hotspot layer: on or off
            on = self.values.get(choice, ("bool_value", False))[1]
            self.values[choice] = ("bool_value", not on)
        return None


async def explore(session: Session, until: asyncio.Event, think: tuple[float, float]) -> None:
    """Open the Map page, then change one thing at a time (once at least) until ``until`` is set; a
    last rerun after (the count every session sees once the writes are done)."""
    try:
        await session.open()
    except Exception as exc:
        session.record.error(f"{session.name}: could not connect: {type(exc).__name__}: {exc}")
        return
    try:
        if not await session.rerun(WS_FIRST):
            return
        changes = 0
        while not until.is_set() or changes == 0:  # one change at least, however long the first map took
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(until.wait(), session.rng.uniform(*think))
            if until.is_set() and changes:
                break
            if not await session.rerun(WS_RERUN, session.next_change()):
                return
            changes += 1
        await session.rerun(WS_RERUN)
    finally:
        await session.close()


def browse(base: str, record: Record, stop: threading.Event, name: str, think: tuple[float, float]) -> None:
    """One headless Chromium page (its own browser): the first map, then the period changed back and
    forth (bench/app.py's helpers) until ``stop``; exceptions and error boxes on the page are errors."""
    from playwright.sync_api import sync_playwright

    rng = random.Random(name)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=bench_app.CHROMIUM, args=bench_app.CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.on("pageerror", lambda exc: record.page_error(f"{name}: {exc}"))
                # As bench/app.py's first_map, but the page's own load may wait as long as the map
                # (Playwright's 30 s ran out under 20 sessions).
                page.set_default_navigation_timeout(bench_app.TIMEOUT_MS)
                t0 = time.perf_counter()
                page.goto(f"{base}/map")
                bench_app._map_frame(page).wait_for_function(bench_app.DRAWN, timeout=bench_app.TIMEOUT_MS)
                record.time(BROWSER_FIRST, time.perf_counter() - t0)
                legend = bench_app._legend_text(page)
                presets = ("Last 7 days", "Whole record")
                turn = 0
                # At least one change, however long the first map took.
                while not stop.wait(rng.uniform(*think)) or turn == 0:
                    record.time(BROWSER_RERUN, bench_app.filter_change(page, legend, presets[turn % 2]))
                    turn += 1
                    legend = bench_app._legend_text(page)
                    shown = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
                    if shown.count():
                        record.error(f"{name}: error shown: {shown.first.inner_text()[:300]}")
                        break
                context.close()
            finally:
                browser.close()
    except BaseException as exc:  # bench/app.py's helpers raise SystemExit when a wait runs out
        record.error(f"{name}: {type(exc).__name__}: {exc}")


@dataclasses.dataclass
class Write:
    """One write of the run through the command line: what, as whom, its outcome."""

    what: str
    user: str
    code: int
    seconds: float
    batch_id: str = ""
    new: bool = False
    message: str = ""


async def write(where: Where, plan: Plan, start: float, duration: float, writes: list[Write]) -> None:
    """The uploads, evenly spread over the run, then the retraction (each after the one before)."""
    slots = len(plan.uploads) + 2

    async def cli(what: str, user: str, *argv: str) -> tuple[Write, str]:
        t0 = time.perf_counter()
        done = await asyncio.to_thread(geo_cli, where, *argv, user=user)
        w = Write(what, user, done.returncode, time.perf_counter() - t0, message=done.stderr.strip()[-500:])
        writes.append(w)
        return w, done.stdout

    for i, up in enumerate(plan.uploads):
        await asyncio.sleep(max(0.0, start + duration * (i + 1) / slots - time.monotonic()))
        argv = ["ingest", str(up.path), "--json", *(["--mapping", up.mapping] if up.mapping else [])]
        w, out = await cli(f"ingest {up.path.name}", ANALYST, *argv)
        if w.code == 0:
            receipt = json.loads(out[out.index("{") :])  # the receipt, as --json prints it
            w.batch_id, w.new = receipt["batch_id"], not receipt.get("already_ingested", False)
    await asyncio.sleep(max(0.0, start + duration * (slots - 1) / slots - time.monotonic()))
    target = writes[plan.retract].batch_id
    await cli(f"retract {target}", ADMIN, "retract", target, "--reason", "load test: a batch withdrawn")


async def _sample_load(samples: list[float], until: asyncio.Event) -> None:
    while not until.is_set():
        samples.append(os.getloadavg()[0])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(until.wait(), 2.0)


@dataclasses.dataclass
class Result:
    """What a run measured and found (:func:`check` fills in the store's side)."""

    store: str
    sessions: int
    browsers: int
    duration: float
    times: dict[str, list[float]]
    errors: list[str]  # what a user would see go wrong (or never see at all): no page error
    page_errors: list[str]  # uncaught JavaScript errors in the browsers' pages (the console's)
    reruns: list[int]  # per websocket session, the first page included
    counts_seen: list[int | None]  # per websocket session, the report count of its last run
    writes: list[Write]
    load: tuple[float, float, float]  # 1-minute load average: at the start, the highest, at the end
    server_cpu_s: float
    wall_s: float = 0.0
    options: tuple[str, ...] = ()  # the app server's extra Streamlit options
    expected: int = 0
    visible: int = 0
    missing: int = 0
    unexpected: int = 0
    duplicates: int = 0
    audit: str = ""
    audit_ok: bool = False
    audit_named: list[str] = dataclasses.field(default_factory=list)  # writes the log does not name rightly


async def _run(base: str, where: Where, plan: Plan, sessions: int, browsers: int, duration: float,
               think: tuple[float, float], server: subprocess.Popen) -> Result:  # fmt: skip
    record, writes = Record(), []
    # A new server's first page reads the analysis back from the store and builds its indexes: timed
    # alone, before the clock starts, so that the run's figures are of the load, not of that.
    first = Session(base, "warm-up", record, random.Random(-1))
    try:
        await first.open()
        await first.rerun(WS_COLD)
    finally:
        await first.close()
    samples = [os.getloadavg()[0]]
    done, stop = asyncio.Event(), threading.Event()
    cpu0, start = cpu_seconds(server.pid), time.monotonic()
    sampler = asyncio.create_task(_sample_load(samples, done))
    people = [Session(base, f"session {i + 1}", record, random.Random(i)) for i in range(sessions)]
    browsing = [
        asyncio.create_task(asyncio.to_thread(browse, base, record, stop, f"browser {i + 1}", think))
        for i in range(browsers)
    ]

    async def staggered(i: int, s: Session) -> None:
        await asyncio.sleep(i * min(0.5, duration / 20 / max(1, sessions)))
        await explore(s, done, think)

    exploring = [asyncio.create_task(staggered(i, s)) for i, s in enumerate(people)]
    writing = asyncio.create_task(write(where, plan, start, duration, writes))
    await asyncio.sleep(duration)
    try:
        await writing  # the writes are part of the run: the sessions go on until the last is done
    except Exception as exc:
        record.error(f"writes: {type(exc).__name__}: {exc}")
    done.set()
    stop.set()
    await asyncio.gather(*exploring, *browsing)
    await sampler
    samples.append(os.getloadavg()[0])
    for w in writes:
        if w.code != 0:
            record.error(f"{w.what} as {w.user} exited with {w.code}: {w.message}")
    return Result(
        store=where.label,
        sessions=sessions,
        browsers=browsers,
        duration=duration,
        times=record.times,
        errors=record.errors,
        page_errors=record.page_errors,
        reruns=[s.reruns for s in people],
        counts_seen=[s.count for s in people],
        writes=writes,
        load=(samples[0], max(samples), samples[-1]),
        server_cpu_s=cpu_seconds(server.pid) - cpu0,
        wall_s=time.monotonic() - start,
    )


def _in_own_loop(make: Callable[[], Coroutine[Any, Any, Result]]) -> Result:
    """``asyncio.run`` of the coroutine ``make`` gives, in a thread of its own: the calling thread may
    run an event loop already (Playwright's sync API does, in a test session that drove a browser
    before), and asyncio.run refuses to start a second one there."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(make())
        except BaseException as exc:  # handed to the caller, raised there
            box["error"] = exc

    thread = threading.Thread(target=target, name="load-sessions")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


def run(where: Where, plan: Plan, *, sessions: int, browsers: int, duration: float,
        think: tuple[float, float] = (2.0, 8.0), log: Path | None = None,
        options: tuple[str, ...] = ()) -> Result:  # fmt: skip
    """Prepare the store, serve it, run the sessions, browsers and writes, then :func:`check`."""
    prepare(where, plan)
    with app_server(where, log or where.folder / "streamlit.log", options) as (base, server):
        result = _in_own_loop(lambda: _run(base, where, plan, sessions, browsers, duration, think, server))
    result.options = options
    check(where, plan, result)
    return result


# -- What must hold after -----------------------------------------------------------------------


def expected_uids(plan: Plan) -> set[str]:
    """The uids the store must show: those of the seed and every upload, less those only the
    retracted batch's file carried (computed from the files, not from the store)."""
    files = [(p, None) for p in plan.seed] + [(u.path, u.mapping) for u in plan.uploads]
    gone = plan.uploads[plan.retract]
    kept = [f for f in files if f != (gone.path, gone.mapping)]
    return set().union(*(uids_of(p, m) for p, m in kept))


def check(where: Where, plan: Plan, result: Result) -> None:
    """Fill in the store's side of ``result``: expected against visible reports, uids stored twice,
    ``python -m geo audit verify``, and whether the log names each write's batch and user."""
    from geo.audit.log import AuditLog

    store = where.open("check")
    uids = store.incidents()["uid"]
    want = expected_uids(plan)
    have = set(uids)
    result.expected, result.visible = len(want), len(uids)
    result.missing, result.unexpected = len(want - have), len(have - want)
    result.duplicates = int(uids.duplicated().sum())
    verified = geo_cli(where, "audit", "verify")
    result.audit_ok = verified.returncode == 0
    result.audit = (verified.stdout + verified.stderr).strip()
    entries = AuditLog(store).all()
    by_batch = {(e.action, e.what.get("batch_id")): e.who for e in entries}
    for w in result.writes:
        if not w.batch_id or (w.what.startswith("ingest") and not w.new):
            continue
        action = "ingest" if w.what.startswith("ingest") else "retract"
        if by_batch.get((action, w.batch_id)) != w.user:
            result.audit_named.append(
                f"{action} of {w.batch_id}: the log names {by_batch.get((action, w.batch_id))!r}"
            )
    retracted = plan.retract < len(result.writes) and result.writes[plan.retract].batch_id
    if retracted and by_batch.get(("retract", retracted)) != ADMIN:
        result.audit_named.append(
            f"retract of {retracted}: the log names {by_batch.get(('retract', retracted))!r}"
        )


# -- The table ----------------------------------------------------------------------------------


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def table(result: Result) -> str:
    """The run as two Markdown tables: response times by kind, then what was found."""
    lines = [
        f"Store: {result.store}; {result.sessions} websocket sessions, {result.browsers} browsers, "
        f"{result.duration:.0f} s of writes (the run took {result.wall_s:.0f} s)"
        + (f"; app server options {' '.join(result.options)}" if result.options else ""),
        "",
        "| response | count | p50 (s) | p95 (s) | max (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kind in KINDS:
        got = result.times[kind]
        lines.append(
            f"| {kind} | {len(got)} | {_quantile(got, 0.5):.2f} | {_quantile(got, 0.95):.2f} "
            f"| {max(got) if got else float('nan'):.2f} |"
        )
    new = [w for w in result.writes if w.what.startswith("ingest") and w.new]
    again = [w for w in result.writes if w.what.startswith("ingest") and w.code == 0 and not w.new]
    retract = [w for w in result.writes if w.what.startswith("retract")]
    seen = [c for c in result.counts_seen if c is not None]
    rows = [
        ("sessions answered (first map and more)", f"{sum(r > 0 for r in result.reruns)} of {result.sessions}"),
        ("websocket reruns", f"{sum(result.reruns)}"),
        ("errors", f"{len(result.errors)}"),
        ("uncaught JavaScript errors in the browsers' pages", f"{len(result.page_errors)}"),
        ("batches uploaded (new; a file again)", f"{len(new)}; {len(again)}"),
        (
            "upload seconds (min-max)",
            f"{min(w.seconds for w in new):.1f}-{max(w.seconds for w in new):.1f}" if new else "-",
        ),
        ("retraction", ", ".join(f"{w.what} ({'ok' if w.code == 0 else 'failed'}, {w.seconds:.1f} s)" for w in retract) or "-"),
        ("reports expected / visible", f"{result.expected:,} / {result.visible:,}"),
        ("missing / unexpected / uids twice", f"{result.missing} / {result.unexpected} / {result.duplicates}"),
        ("sessions whose last run showed the expected count", f"{sum(c == result.expected for c in seen)} of {len(result.counts_seen)}"),
        ("audit verify", ("passes" if result.audit_ok else "FAILS") + ("" if not result.audit_named else "; " + "; ".join(result.audit_named))),
        ("writes named in the log", "each by its user" if not result.audit_named else "NOT all"),
        ("machine", f"{os.cpu_count()} cores; 1-min load {result.load[0]:.1f} at the start, {result.load[1]:.1f} at most, {result.load[2]:.1f} at the end"),
        ("app server CPU", f"{result.server_cpu_s:.0f} s in {result.wall_s:.0f} s"),
    ]  # fmt: skip
    lines += ["", "| what | found |", "| --- | --- |", *(f"| {a} | {b} |" for a, b in rows)]
    if result.errors:
        lines += ["", "Errors:", *(f"- {e}" for e in result.errors[:30])]
    if result.page_errors:
        lines += ["", "JavaScript errors in the pages:", *(f"- {e}" for e in result.page_errors[:10])]
    return "\n".join(lines)
