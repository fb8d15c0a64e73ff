"""Start an app server that is ready before it listens: ``python -m ui.serve [streamlit run options]``.

``streamlit run app.py`` listens at once and does everything on its first page: it imports the
engine and its libraries (geopandas, shapely, altair ...), reads the store's analysis back, warms up for the
first batch and places the map's names. At a million reports that first page took 22 s. This
launcher does all of it first (:func:`geo.warm.prepare`), rehearses the first pages an officer opens
(:func:`rehearse`: what a page makes once per process, 2 s of a server's first map at a million
reports) and then runs the same ``streamlit run app.py`` in this process, so the first page finds it
done: a server behind the proxy takes pages once it can answer them quickly, and the other servers
take them meanwhile (docs/DEPLOY.md).

Options after the module name are ``streamlit run``'s (``--server.port 8501`` ...). Nothing it
prepares can fail the start: a store that cannot be reached is said in the log and left to the
first page, which tells the user what is wrong.
"""

from __future__ import annotations

import ast
import importlib
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from geo.auth import Role, User

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"

log = logging.getLogger("ceasefire_monitor")


# Left to the rehearsal (:func:`rehearse`), which imports them in its script runs: ui's modules, the
# pages and the map's component, which app.py then registers with the server it runs in
# (ui.components). Streamlit itself is imported by ``streamlit run``.
AFTER_START = ("streamlit", "streamlit_folium", "ui", "app_pages")
# The pages rehearsed: the landing page and the map, the first two an officer opens.
REHEARSED = ("app_pages/overview.py", "app_pages/map.py")
# Who the rehearsal runs as: a viewer, the role that can change nothing.
REHEARSAL_USER = User("server warm-up", Role.viewer)
REHEARSAL_TIMEOUT_S = 600


def preloaded(root: Path = ROOT) -> dict[str, set[str]]:
    """The modules to import before the server runs, each with the names imported from it: those
    app.py, the pages and ui/ import (the engine, geopandas, altair ...), read from their code, but
    none of :data:`AFTER_START`."""
    found: dict[str, set[str]] = {}
    paths = [root / "app.py", *sorted((root / "app_pages").glob("*.py")), *sorted((root / "ui").glob("*.py"))]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                pairs = [(node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                pairs = [(alias.name, None) for alias in node.names]
            else:
                continue
            for module, name in pairs:
                top = module.split(".")[0]
                if top not in AFTER_START and top not in sys.stdlib_module_names:
                    found.setdefault(module, set()).update([name] if name else [])
    return found


def _import(module: str, names: set[str]) -> None:
    loaded = importlib.import_module(module)
    for name in sorted(names):
        if not hasattr(loaded, name):  # ``from geo import refresh``: a module not yet imported
            importlib.import_module(f"{module}.{name}")


def prepare() -> None:
    """Import what the pages use (:func:`preloaded`), then :func:`geo.warm.prepare` with the settings
    in force."""
    t0 = time.perf_counter()
    for module, names in preloaded().items():
        try:
            _import(module, names)
        except Exception:  # a head start only: the page that imports it reports the failure
            log.warning(
                "Preparing: importing %s failed; the page that needs it will say so.", module, exc_info=True
            )
    from geo.settings import load_settings
    from geo.warm import prepare as prepare_store

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    say(f"Preparing: the engine and libraries the pages use imported in {time.perf_counter() - t0:.1f} s.")
    ready = prepare_store(load_settings(), say=say)
    say(ready.describe())
    # A store left to the first page (its analysis not kept) is not analysed by a rehearsal either.
    if ready.how in ("read back", "empty"):
        rehearse(say=say)


def rehearse(pages: tuple[str, ...] = REHEARSED, *, say: Callable[[str], None] = print) -> list[str]:
    """Run each of ``pages`` once, as a viewer, with Streamlit's AppTest (a script run without a
    browser); return the pages that failed. What a page makes once per process is then made: its
    modules and streamlit-folium imported, what the pages remember of the analysis frame (hexagon
    level codes, positions, the filters' choices, the timeline's days), Streamlit's own first-run
    checks. A server's first map took 2 s longer than its second without it (docs/PERFORMANCE.md). What a rehearsal shows is thrown away; a page that fails is
    logged and left to the first officer who opens it, who is told what is wrong.
    """
    from streamlit.testing.v1 import AppTest

    from ui import keys

    failed = []
    for page in pages:
        t0 = time.perf_counter()
        try:
            at = AppTest.from_file(str(ROOT / page), default_timeout=REHEARSAL_TIMEOUT_S)
            at.session_state[keys.AUTH_CURRENT] = REHEARSAL_USER
            at.session_state[keys.MAP_SHOWN] = True  # as if a browser had drawn the map: its timeline too
            at.run()
            problems = [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]
        except Exception as exc:  # a head start only, as above
            problems = [f"{type(exc).__name__}: {exc}"]
        if problems:
            failed.append(page)
            say(f"Preparing: rehearsing {page} failed ({problems[0][:200]}); its first run will say so.")
        else:
            say(f"Preparing: {page} rehearsed in {time.perf_counter() - t0:.1f} s.")
    return failed


def main(argv: list[str] | None = None) -> None:
    """Prepare, then ``streamlit run app.py`` with ``argv`` (default: this command's arguments)."""
    prepare()
    from streamlit.web import cli

    cli.main.main(args=["run", str(APP), *(sys.argv[1:] if argv is None else argv)], prog_name="streamlit")


if __name__ == "__main__":
    main()
