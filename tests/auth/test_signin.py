"""Signing in: failures counted per name and slowed, the CLI's acting user."""

from __future__ import annotations

import pytest

from geo.auth import Role, User
from geo.auth.signin import Attempts, SignInError, cli_user, local_user, sign_in
from geo.auth.users import hash_password, load_users, save_users
from geo.errors import GeoError
from geo.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path):
    made = load_users(tmp_path / "users.json", missing_ok=True).added(
        "boss", Role.admin, hash_password(PASSWORD)
    )
    save_users(made)
    return made


def test_failures_are_counted_per_name_and_each_waits_longer(users):
    attempts, waits = Attempts.new(), []
    for n in range(1, 8):
        with pytest.raises(SignInError, match="Wrong name or password") as caught:
            sign_in(users, "boss", "guess", attempts=attempts, sleep=waits.append)
        assert attempts.count("boss") == n
        assert (f"{n} failed attempts" in str(caught.value)) == (n > 1)
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    with pytest.raises(SignInError):
        sign_in(users, "nobody", PASSWORD, attempts=attempts, sleep=waits.append)
    assert waits[-1] == 1.0 and attempts.count("nobody") == 1  # another name has its own count
    assert sign_in(users, "boss", PASSWORD, attempts=attempts, sleep=waits.append) == User("boss", Role.admin)
    assert attempts.count("boss") == 0


def test_the_command_line_acts_as_the_local_user_without_a_users_file():
    settings = Settings()
    assert cli_user(settings, None, environ={}, prompt=None, attempts=Attempts.new()) == local_user()
    assert local_user().role is Role.admin and local_user().name.startswith("local:")
    with pytest.raises(GeoError, match="--as boss: no users file is configured"):
        cli_user(settings, "boss", environ={}, prompt=None, attempts=Attempts.new())


def test_the_command_line_checks_the_named_users_password(users):
    settings = Settings(users_path=str(users.path))
    good = {"CM_PASSWORD": PASSWORD}
    assert cli_user(settings, "boss", environ=good, prompt=None, attempts=Attempts.new()).role is Role.admin
    asked = []
    user = cli_user(
        settings, "boss", environ={}, prompt=lambda q: asked.append(q) or PASSWORD, attempts=Attempts.new()
    )
    assert user.name == "boss" and asked == ["Password for boss: "]
    with pytest.raises(SignInError, match="--as NAME"):
        cli_user(settings, None, environ=good, prompt=None, attempts=Attempts.new())
    with pytest.raises(SignInError, match="CM_PASSWORD is not set"):
        cli_user(settings, "boss", environ={}, prompt=None, attempts=Attempts.new())
