"""The local users file: names, roles, Argon2id password hashes and the OpenID Connect identities of each.

One JSON document (``{"version": 1, "users": [...]}``), written whole to a temporary file in the same
folder and renamed over the old one (a reader sees the old file or the new, never half of one), mode
0600 (the hashes are slow to attack, not impossible). Argon2id through argon2-cffi with its
defaults (RFC 9106's second recommended setting: 3 passes over 64 MiB, 4 lanes): about 50 ms a
guess on this machine, and each guess needs its 64 MiB.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo.auth import Role, User
from geo.errors import GeoError, InputError
from geo.settings import PROJECT_ROOT, Settings

FORMAT_VERSION = 1
# Letters, digits and . _ @ - : a name reads the same in the audit log, a shell and a URL.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 12
_HASHER = argon2.PasswordHasher()
# Verified against when a name is unknown, so that an unknown name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class UsersFileError(GeoError):
    """The users file cannot be read, or a change to it cannot be made; nothing was changed."""


@dataclass(frozen=True)
class Entry:
    """One user of the file: ``identities`` are the OpenID Connect emails or subjects that sign in as them."""

    name: str
    role: Role
    password_hash: str = ""
    identities: tuple[str, ...] = field(default=())

    @property
    def user(self) -> User:
        """The user this entry signs in as."""
        return User(self.name, self.role)


def users_path(settings: Settings) -> Path | None:
    """The users file the settings name (``users_path``; relative to the project), or None for none."""
    given = settings.users_path.strip()
    if not given:
        return None
    path = Path(given).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def check_name(name: str) -> str:
    """Return ``name`` if a user may be called so; raise naming the rule otherwise."""
    if not NAME_PATTERN.fullmatch(name):
        msg = f"{name!r} cannot be a user name."
        raise InputError(
            msg, hint="Use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit."
        )
    return name


def parse_role(text: str) -> Role:
    """The role named ``text``; raise naming the roles otherwise."""
    try:
        return Role[text.strip().lower()]
    except KeyError:
        msg = f"{text!r} is not a role."
        raise InputError(msg, hint=f"Give one of {', '.join(r.name for r in Role)}.") from None


def check_password(password: str) -> str:
    """Return ``password`` if long enough to be kept; raise saying how long it must be otherwise."""
    if len(password) < MIN_PASSWORD:
        msg = f"The password has {len(password)} characters; at least {MIN_PASSWORD} are needed."
        raise InputError(msg, hint="Choose a longer one: a few unrelated words make a good password.")
    return password


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (salted by argon2-cffi with 16 random bytes), to store."""
    return _HASHER.hash(check_password(password))


@dataclass(frozen=True)
class Users:
    """The users of one file, in the order they were added."""

    path: Path
    entries: tuple[Entry, ...] = ()

    def get(self, name: str) -> Entry | None:
        """The entry called ``name`` (exactly), or None."""
        return next((e for e in self.entries if e.name == name), None)

    def verify(self, name: str, password: str) -> User | None:
        """The user ``name`` if ``password`` is theirs, else None (an unknown name takes as long)."""
        entry = self.get(name)
        try:
            _HASHER.verify(entry.password_hash if entry and entry.password_hash else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return entry.user if entry and entry.password_hash else None

    def identify(self, identities: list[str]) -> User | None:
        """The user whose entry names one of ``identities`` (OpenID Connect email or subject), or None.

        Emails compare without case (a provider may change their case); subjects are opaque and exact.
        """
        wanted = {i for i in identities if i}
        wanted |= {i.lower() for i in wanted if "@" in i}
        for entry in self.entries:
            for own in entry.identities:
                if own in wanted or ("@" in own and own.lower() in wanted):
                    return entry.user
        return None

    def admins(self) -> list[str]:
        """The names of the admins."""
        return [e.name for e in self.entries if e.role is Role.admin]

    def digest(self) -> str:
        """SHA-256 of the file's content as written (what an audit entry of a change names)."""
        return hashlib.sha256(_serialise(self)).hexdigest()

    def added(self, name: str, role: Role, password_hash: str, identities: tuple[str, ...] = ()) -> Users:
        """These users and a new one; refused if the name is taken or the first user is no admin."""
        check_name(name)
        if self.get(name):
            msg = f"There is already a user {name!r} in {self.path}."
            raise UsersFileError(msg, hint="Choose another name, or change their role with users set-role.")
        if not self.entries and role is not Role.admin:
            msg = f"The first user of {self.path} must be an admin (asked: {role})."
            raise UsersFileError(msg, hint="Add an admin first (--role admin): only an admin can add others.")
        for identity in identities:
            taken = self.identify([identity])
            if taken:
                msg = f"The identity {identity!r} already signs in as {taken.name}."
                raise UsersFileError(msg, hint="Give each OpenID Connect email or subject to one user only.")
        entry = Entry(name, role, password_hash, tuple(identities))
        return replace(self, entries=(*self.entries, entry))

    def with_role(self, name: str, role: Role) -> Users:
        """These users with ``name``'s role changed; refused if that leaves no admin."""
        entry = self._existing(name)
        changed = replace(
            self, entries=tuple(replace(e, role=role) if e is entry else e for e in self.entries)
        )
        changed._keeps_an_admin(f"making {name} {role.name}")
        return changed

    def without(self, name: str) -> Users:
        """These users less ``name``; refused if that leaves no admin."""
        entry = self._existing(name)
        changed = replace(self, entries=tuple(e for e in self.entries if e is not entry))
        changed._keeps_an_admin(f"removing {name}")
        return changed

    def _existing(self, name: str) -> Entry:
        entry = self.get(name)
        if entry is None:
            known = ", ".join(e.name for e in self.entries) or "none"
            msg = f"There is no user {name!r} in {self.path} (users: {known})."
            raise UsersFileError(msg, hint="Check the name with python -m geo users list.")
        return entry

    def _keeps_an_admin(self, doing: str) -> None:
        if not self.admins():
            msg = f"After {doing}, {self.path} would have no admin, and nobody could manage users."
            raise UsersFileError(msg, hint="Make another user an admin first.")


def _serialise(users: Users) -> bytes:
    doc = {
        "version": FORMAT_VERSION,
        "users": [
            {
                "name": e.name,
                "role": e.role.name,
                "password": e.password_hash,
                "identities": list(e.identities),
            }
            for e in users.entries
        ],
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def load_users(path: Path, *, missing_ok: bool = False) -> Users:
    """Read the users file at ``path``; a malformed file is an error naming what is wrong and where.

    ``missing_ok``: a missing file is no users (for ``users add`` making the first); otherwise it is
    an error, never single-user mode (a deleted file must not open the app to everyone).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if missing_ok:
            return Users(path)
        msg = f"The users file {path} (setting users_path) does not exist."
        raise UsersFileError(
            msg,
            hint="Add the first admin with python -m geo users add NAME --role admin, or unset users_path.",
        ) from None
    except OSError as exc:
        msg = f"The users file {path} cannot be read: {exc.strerror or exc}."
        raise UsersFileError(
            msg, hint="Check its permissions: the app's account must be able to read it."
        ) from None
    bad = f"The users file {path} is malformed"
    fix = "Restore it from a backup, or fix it by hand: it is JSON of users with name, role, password, identities."
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsersFileError(f"{bad}: not JSON ({exc}).", hint=fix) from None
    if (
        not isinstance(doc, dict)
        or doc.get("version") != FORMAT_VERSION
        or not isinstance(doc.get("users"), list)
    ):
        raise UsersFileError(f'{bad}: expected {{"version": {FORMAT_VERSION}, "users": [...]}}.', hint=fix)
    entries: list[Entry] = []
    for i, item in enumerate(doc["users"]):
        where = f"{bad}: user {i + 1}"
        if not isinstance(item, dict):
            raise UsersFileError(f"{where} is not an object.", hint=fix)
        name, role, pw, ids = (item.get(k) for k in ("name", "role", "password", "identities"))
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise UsersFileError(f"{where} has no valid name ({name!r}).", hint=fix)
        if role not in Role.__members__:
            raise UsersFileError(
                f"{where} ({name}) has the role {role!r}, not one of viewer, analyst, admin.", hint=fix
            )
        if not isinstance(pw, str) or (pw and not pw.startswith("$argon2")):
            raise UsersFileError(f"{where} ({name}) has a password that is no Argon2 hash.", hint=fix)
        if not isinstance(ids, list) or not all(isinstance(x, str) and x for x in ids):
            raise UsersFileError(f"{where} ({name}) has identities that are not a list of texts.", hint=fix)
        if any(e.name == name for e in entries):
            raise UsersFileError(f"{where}: the name {name!r} appears twice.", hint=fix)
        entries.append(Entry(name, Role[role], pw, tuple(ids)))
    return Users(path, tuple(entries))


def save_users(users: Users) -> None:
    """Write ``users`` to their file atomically (temporary file, fsync, rename), mode 0600."""
    folder = users.path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".users-", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(_serialise(users))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, users.path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a crash
    finally:
        os.close(dir_fd)
