"""Sign-in through a real OpenID Connect provider (oidc-provider-mock, an Authlib server the test
starts as a process of its own on a free loopback port) in Chromium: Streamlit's st.login, the identity mapped to a role
through the users file, and the role obeyed (a viewer sees no upload; an identity the file does not
name gets nothing)."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from geo.auth import Role
from geo.auth.users import load_users, save_users
from tests.browser.conftest import LOOPBACK, SECOND_LANE, _free_port, running_app

pytestmark = [pytest.mark.browser, SECOND_LANE]

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """The provider's base URL: oidc-provider-mock (an Authlib server) in a process of its own, as a
    real provider runs; vic (a viewer by the users file) and eve (unknown) may sign in with a click."""
    command = shutil.which("oidc-provider-mock", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip("oidc-provider-mock is not installed (make install-dev installs it)")
    users = [
        {"sub": "vic-sub", "email": "vic@mission.example", "email_verified": True, "name": "Vic"},
        {"sub": "eve-sub", "email": "eve@elsewhere.example", "email_verified": True},
    ]
    port = _free_port()
    claims = [arg for user in users for arg in ("--user-claims", json.dumps(user))]
    log = tmp_path_factory.mktemp("provider") / "provider.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [command, "--port", str(port), "--host", "127.0.0.1", *claims],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/.well-known/openid-configuration", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the OIDC provider did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def oidc_app(provider, demo_store_path, tmp_path_factory):
    """The app with an [auth] section naming the provider, and a users file naming vic's email."""
    folder = tmp_path_factory.mktemp("oidc")
    users = load_users(folder / "users.json", missing_ok=True)
    users = users.added("boss", Role.admin, "", ("boss-sub",)).added(
        "vic", Role.viewer, "", ("vic@mission.example",)
    )
    save_users(users)
    port = _free_port()
    base = f"http://localhost:{port}"
    (folder / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "{base}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(16)}"\n'
        'client_id = "ceasefire-monitor"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    options = ("--secrets.files", str(folder / "secrets.toml"))
    env = {"CM_USERS_PATH": str(users.path)}
    with running_app(demo_store_path, folder / "streamlit.log", options=options, env=env, port=port):
        yield base


def _keep_offline(context, blocked: list[tuple[str, str]]) -> None:
    """Abort every request to a host other than the loopback, listing (the page asking, the address)."""

    def route(r) -> None:
        parts = urlsplit(r.request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") not in LOOPBACK:
            try:
                asking = r.request.frame.url
            except Exception:  # a service worker's request has no frame
                asking = ""
            blocked.append((asking, r.request.url))
            r.abort()
        else:
            r.continue_()

    context.route("**/*", route)


def _signed_in_as(browser, base: str, subject: str):
    """A browser context signed in through the provider as ``subject`` (its predefined-user button)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[tuple[str, str]] = []
    _keep_offline(context, blocked)
    page = context.new_page()
    page.goto(base)
    page.get_by_role("button", name="Sign in").click(timeout=TIMEOUT_MS)
    page.get_by_role("button", name=subject).click(timeout=TIMEOUT_MS)  # the provider's own form
    page.wait_for_url(f"{base}/**", timeout=TIMEOUT_MS)
    return context, page, blocked


def _left_the_machine(blocked: list[tuple[str, str]], provider: str) -> list[str]:
    """What the app's pages asked of other hosts. The provider's own sign-in page asks a CDN for a
    stylesheet (blocked: the sign-in works without it); that page is the provider's, not ours."""
    return [url for asking, url in blocked if not asking.startswith(provider)]


def test_a_viewer_signs_in_through_the_provider_and_sees_no_upload(browser, provider, oidc_app):
    context, page, blocked = _signed_in_as(browser, oidc_app, "vic-sub")
    try:
        page.get_by_text("vic · viewer").wait_for(timeout=TIMEOUT_MS)
        page.goto(f"{oidc_app}/upload")
        page.get_by_text("Upload needs the role analyst; you are vic, viewer.").wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("Batch history").wait_for(timeout=TIMEOUT_MS)
        assert page.locator('input[type="file"]').count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()
    assert _left_the_machine(blocked, provider) == []


def test_an_identity_the_users_file_does_not_name_gets_nothing(browser, provider, oidc_app):
    context, page, blocked = _signed_in_as(browser, oidc_app, "eve-sub")
    try:
        page.get_by_text("gives that identity no role here").wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_text("Store revision").count() == 0
    finally:
        context.close()
    assert _left_the_machine(blocked, provider) == []
