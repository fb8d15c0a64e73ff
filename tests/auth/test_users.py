"""The users file: Argon2id hashes, atomic 0600 writes, a malformed file named, an admin always left."""

from __future__ import annotations

import json
import stat

import pytest

from geo.auth import Role, User
from geo.auth.users import (
    UsersFileError,
    hash_password,
    load_users,
    save_users,
    users_path,
)
from geo.errors import InputError
from geo.settings import PROJECT_ROOT, Settings

PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path):
    """A file with an admin (a password) and an analyst (a password and an OpenID Connect email)."""
    empty = load_users(tmp_path / "users.json", missing_ok=True)
    made = empty.added("boss", Role.admin, hash_password(PASSWORD)).added(
        "ann", Role.analyst, hash_password("analyst password"), ("Ann@Example.org", "sub-123")
    )
    save_users(made)
    return load_users(made.path)


def test_a_password_is_kept_as_a_salted_argon2id_hash(users):
    boss = users.get("boss")
    assert boss.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in users.path.read_text()
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # a new salt each time
    assert users.verify("boss", PASSWORD) == User("boss", Role.admin)
    assert users.verify("boss", PASSWORD + " ") is None
    assert users.verify("nobody", PASSWORD) is None


def test_the_file_is_private_and_replaced_whole(users, tmp_path):
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    save_users(users.with_role("ann", Role.viewer))
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["users.json"]  # no temporary file left behind
    assert load_users(users.path).get("ann").role is Role.viewer


def test_identities_map_to_users(users):
    assert users.identify(["ann@example.org"]) == User("ann", Role.analyst)  # an email, any case
    assert users.identify(["sub-123"]) == User("ann", Role.analyst)
    assert users.identify(["SUB-123"]) is None  # a subject is exact
    assert users.identify(["someone@example.org", "sub-9"]) is None


def test_changes_that_would_lock_everyone_out_are_refused(users, tmp_path):
    with pytest.raises(UsersFileError, match="no admin"):
        users.without("boss")
    with pytest.raises(UsersFileError, match="no admin"):
        users.with_role("boss", Role.analyst)
    with pytest.raises(UsersFileError, match="already a user 'ann'"):
        users.added("ann", Role.viewer, "")
    with pytest.raises(UsersFileError, match="already signs in as ann"):
        users.added("other", Role.viewer, "", ("ANN@example.org",))
    with pytest.raises(UsersFileError, match=r"no user 'zed'.*boss, ann"):
        users.with_role("zed", Role.admin)
    first = load_users(tmp_path / "new.json", missing_ok=True)
    with pytest.raises(UsersFileError, match=r"first user .* must be an admin"):
        first.added("ann", Role.analyst, "")
    with pytest.raises(InputError, match="cannot be a user name"):
        first.added("local:me", Role.admin, "")
    with pytest.raises(InputError, match="at least 12"):
        hash_password("short")


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("{not json", "not JSON"),
        ('{"version": 2, "users": []}', '"version": 1'),
        (
            '{"version": 1, "users": [{"name": "a b", "role": "admin", "password": "", "identities": []}]}',
            "no valid name",
        ),
        (
            '{"version": 1, "users": [{"name": "a", "role": "boss", "password": "", "identities": []}]}',
            "role 'boss'",
        ),
        (
            '{"version": 1, "users": [{"name": "a", "role": "admin", "password": "secret", "identities": []}]}',
            "no Argon2 hash",
        ),
        (
            '{"version": 1, "users": [{"name": "a", "role": "admin", "password": "", "identities": "x"}]}',
            "identities",
        ),
    ],
)
def test_a_malformed_file_is_named(tmp_path, content, named):
    path = tmp_path / "users.json"
    path.write_text(content)
    with pytest.raises(UsersFileError, match="is malformed") as caught:
        load_users(path)
    assert named in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_file_is_an_error_not_single_user_mode(tmp_path):
    with pytest.raises(UsersFileError, match=r"does not exist.*users add"):
        load_users(tmp_path / "gone.json")
    assert load_users(tmp_path / "gone.json", missing_ok=True).entries == ()


def test_the_setting_names_the_file():
    assert users_path(Settings()) is None
    assert users_path(Settings(users_path="var/users.json")) == PROJECT_ROOT / "var" / "users.json"


def test_the_written_file_is_json_a_person_can_read(users):
    doc = json.loads(users.path.read_text())
    assert [(u["name"], u["role"], u["identities"]) for u in doc["users"]] == [
        ("boss", "admin", []),
        ("ann", "analyst", ["Ann@Example.org", "sub-123"]),
    ]
