"""``python -m ui.serve``: the launcher prepares the server (the analysis read back) and only then
listens; behind the proxy a starting server takes no page it would answer slowly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_launcher_listens_once_the_analysis_is_read_back(demo_store, demo_analysis, tmp_path):
    shutil.copytree(demo_store.path.parent, tmp_path / "store")  # the demo with its analysis kept
    port = free_port()
    env = {**os.environ, "CM_STORE_PATH": str(tmp_path / "store" / demo_store.path.name), "CM_STORE_URL": ""}
    said = tmp_path / "server.log"
    options = ["--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1"]
    with said.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ui.serve", *options, "--browser.gatherUsageStats", "false"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        before = None  # what the server had said when it first answered
        deadline = time.monotonic() + 180
        while before is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        before = said.read_text()
            except OSError:
                time.sleep(0.05)
        assert before is not None, f"the server never answered; it said: {said.read_text()}"
        # Its lines are written (flushed) before it binds the port: all there when it first answers.
        ready = [line for line in before.splitlines() if line.startswith("Ready: ")]
        assert ready, before
        assert f"({demo_store.count():,} reports) read back" in ready[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/map", timeout=10) as page:
            assert page.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
