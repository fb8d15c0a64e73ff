"""deploy/nginx/ceasefire.conf, tried as docs/DEPLOY.md deploys it: Debian's nginx, run as an
unprivileged process, in front of two ``streamlit run app.py`` servers on one PostGIS store."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.browser.conftest import SECOND_LANE, running_app
from tests.conftest import free_port

pytestmark = SECOND_LANE

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx" / "ceasefire.conf"
NGINX = Path("/usr/sbin/nginx")
# The main configuration around the example, as Debian's nginx.conf includes conf.d/*.conf in its
# http block; every path nginx writes is in the run's own folder.
MAIN = """worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/ceasefire.conf;
}}
"""


@pytest.fixture(scope="module")
def nginx() -> Path:
    """Debian's nginx, installed through scripts/apt-install.sh when missing."""
    if not NGINX.is_file():
        script = f"source {ROOT / 'scripts' / 'apt-install.sh'} && apt_install nginx"
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"installing Debian's nginx failed:\n{done.stderr}"
    return NGINX


def _unprivileged(command: list[str]) -> list[str]:
    """``command`` as the user nobody when the tests run as root (nginx then never holds root)."""
    return ["runuser", "-u", "nobody", "--", *command] if os.geteuid() == 0 else command


def _site(upstreams: list[int], port: int) -> str:
    """The example configuration with the test's ports in place of 80, 8501 and 8502."""
    text = CONF.read_text(encoding="utf-8")
    text, n = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", text)
    assert n == 1, "the example listens on one port"
    for default, mine in zip((8501, 8502), upstreams, strict=True):
        text, n = re.subn(rf"server 127\.0\.0\.1:{default} ", f"server 127.0.0.1:{mine} ", text)
        assert n == 1, f"the example lists the app server 127.0.0.1:{default}"
    return text


def _get(url: str, cookie: str | None = None) -> tuple[int, Mapping[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.headers, answer.read()


def _served_by(headers: Mapping[str, str]) -> str:
    """The app server that answered (the last one nginx tried)."""
    return headers["X-CM-Upstream"].split(",")[-1].strip()


def _route(headers: Mapping[str, str]) -> str:
    found = re.match(r"cm_route=([^;]+);", headers["Set-Cookie"])
    assert found, headers["Set-Cookie"]
    return f"cm_route={found[1]}"


@pytest.fixture
def proxied(nginx, postgis_url, tmp_path, monkeypatch) -> Iterator[tuple[str, list[ExitStack], list[int]]]:
    """Two app servers on one PostGIS store and nginx in front: nginx's URL, a stack per app server
    (closing one stops it) and the app servers' ports."""
    monkeypatch.setenv("CM_STORE_URL", postgis_url)
    apps, ports = [], []
    with ExitStack() as outer:
        for name in ("a", "b"):
            stack = outer.enter_context(ExitStack())
            base = stack.enter_context(running_app(tmp_path / name / "store.gpkg", tmp_path / f"{name}.log"))
            apps.append(stack)
            ports.append(int(base.rsplit(":", 1)[1]))
        folder = Path(tempfile.mkdtemp(prefix="cm-nginx-"))  # not under /root: nobody must reach it
        outer.callback(shutil.rmtree, folder, ignore_errors=True)
        port = free_port()
        (folder / "ceasefire.conf").write_text(_site(ports, port), encoding="utf-8")
        (folder / "nginx.conf").write_text(MAIN.format(dir=folder), encoding="utf-8")
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(folder, nobody.pw_uid, nobody.pw_gid)
        command = _unprivileged(
            [str(nginx), "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", "stderr"]
        )
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, f"nginx -t refused the example:\n{checked.stderr}"
        log = outer.enter_context((folder / "stderr.log").open("wb"))
        proc = subprocess.Popen([*command, "-g", "daemon off;"], stderr=log)
        outer.callback(proc.wait, 10)
        outer.callback(proc.terminate)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                _get(f"{url}/_stcore/health")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, f"nginx stopped:\n{(folder / 'stderr.log').read_text()}"
                assert time.monotonic() < deadline, "nginx did not answer within 10 s"
                time.sleep(0.1)
        yield url, apps, ports


def test_the_example_serves_the_app_its_websocket_and_keeps_each_browser_on_one_server(proxied):
    url, apps, ports = proxied
    upstreams = {f"127.0.0.1:{p}" for p in ports}

    status, headers, body = _get(f"{url}/")
    assert status == 200 and b"<noscript>" in body and b"streamlit" in body.lower()
    cookie, first = _route(headers), _served_by(headers)
    assert first in upstreams

    status, headers, body = _get(f"{url}/_stcore/health", cookie)
    assert (status, body, _served_by(headers)) == (200, b"ok", first)
    origin = url.replace("http", "ws")
    with connect(
        f"{origin}/_stcore/stream",
        subprotocols=["streamlit"],
        additional_headers={"Cookie": cookie, "Origin": url},
        open_timeout=10,
    ) as ws:
        assert ws.response.status_code == 101
        assert ws.subprotocol == "streamlit"
        assert _served_by(ws.response.headers) == first
    for _ in range(10):
        assert _served_by(_get(f"{url}/_stcore/health", cookie)[1]) == first

    # New browsers are spread over both servers (each routed by its own first request's id).
    seen = {_served_by(_get(f"{url}/_stcore/health")[1]) for _ in range(30)}
    assert seen == upstreams

    # Its server stopped, the browser goes on at the other one.
    apps[[f"127.0.0.1:{p}" for p in ports].index(first)].close()
    status, headers, _ = _get(f"{url}/_stcore/health", cookie)
    assert status == 200 and _served_by(headers) == (upstreams - {first}).pop()
