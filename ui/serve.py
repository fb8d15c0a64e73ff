"""Start an app server that is ready before it listens: ``python -m ui.serve [streamlit run options]``.

``streamlit run app.py`` listens at once and does everything on its first page: it imports the
engine (geopandas, shapely, the pages' modules), reads the store's analysis back, warms up for the
first batch and places the map's names. At a million reports that first page took 22 s. This
launcher does all of it first (:func:`geo.warm.prepare`) and then runs the same ``streamlit run
app.py`` in this process, so the first page finds it done: a server behind the proxy takes pages
once it can answer them quickly, and the other servers take them meanwhile (docs/DEPLOY.md).

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"

log = logging.getLogger("ceasefire_monitor")


def page_imports(root: Path = ROOT) -> dict[str, set[str]]:
    """The project's modules (``ui``, ``geo``) that app.py and its pages import, each with the names
    imported from it, read from their code."""
    found: dict[str, set[str]] = {}
    for path in [root / "app.py", *sorted((root / "app_pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                pairs = [(node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                pairs = [(alias.name, None) for alias in node.names]
            else:
                continue
            for module, name in pairs:
                if module.split(".")[0] in ("ui", "geo"):
                    found.setdefault(module, set()).update([name] if name else [])
    return found


def _import(module: str, names: set[str]) -> None:
    loaded = importlib.import_module(module)
    for name in sorted(names):
        if not hasattr(loaded, name):  # ``from ui import data``: a module not yet imported
            importlib.import_module(f"{module}.{name}")


def prepare() -> None:
    """Import what the pages import, then :func:`geo.warm.prepare` with the settings in force."""
    t0 = time.perf_counter()
    for module, names in page_imports().items():
        _import(module, names)
    from geo.settings import load_settings
    from geo.warm import prepare as prepare_store

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    say(f"Preparing: the pages' modules imported in {time.perf_counter() - t0:.1f} s.")
    say(prepare_store(load_settings(), say=say).describe())


def main(argv: list[str] | None = None) -> None:
    """Prepare, then ``streamlit run app.py`` with ``argv`` (default: this command's arguments)."""
    prepare()
    from streamlit.web import cli

    cli.main.main(args=["run", str(APP), *(sys.argv[1:] if argv is None else argv)], prog_name="streamlit")


if __name__ == "__main__":
    main()
