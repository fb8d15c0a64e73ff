"""The engine stays free of the UI: nothing under geo/ imports streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

GEO = Path(__file__).resolve().parents[1] / "geo"


def test_geo_never_imports_streamlit():
    offenders = []
    for path in GEO.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(GEO.parent)}: {n}"
                for n in names
                if n.split(".")[0].startswith("streamlit")
            ]
    assert offenders == []
