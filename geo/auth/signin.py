"""Who is acting: the local user of single-user mode, a name and password checked against the users
file (the CLI's ``--as``, the app's sign-in form), and failed attempts counted and slowed."""

from __future__ import annotations

import getpass
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from geo.auth import Role, User
from geo.auth.users import Users, load_users, users_path
from geo.errors import GeoError
from geo.settings import Settings

# A failed attempt waits this long times 2 ** (failures of that name - 1), up to MAX_DELAY_S: a
# guesser gets a few tries a minute, a person who mistyped waits a second.
BASE_DELAY_S = 1.0
MAX_DELAY_S = 30.0


class SignInError(GeoError):
    """A name and password that do not sign in (which of the two is wrong is not said)."""


def local_user() -> User:
    """The one user of single-user mode: the OS login, an admin (whoever runs it owns the files)."""
    try:
        login = getpass.getuser() or "unknown"
    except Exception:  # a bare numeric uid in a container names no login; still the local user
        login = "unknown"
    return User(f"local:{login}", Role.admin)


def configured_users(settings: Settings) -> Users | None:
    """The users file's users when ``users_path`` names one (a missing or malformed file is an
    error, not single-user mode), else None."""
    path = users_path(settings)
    return None if path is None else load_users(path)


@dataclass
class Attempts:
    """Failed sign-ins per name in this process (shared by every session of an app server)."""

    failures: dict[str, int]
    lock: threading.Lock

    @classmethod
    def new(cls) -> Attempts:
        return cls({}, threading.Lock())

    def count(self, name: str) -> int:
        """Failed attempts for ``name`` since its last sign-in."""
        with self.lock:
            return self.failures.get(name, 0)

    def failed(self, name: str) -> float:
        """Count a failure for ``name``; return the seconds to wait before answering."""
        with self.lock:
            n = self.failures[name] = self.failures.get(name, 0) + 1
        return min(BASE_DELAY_S * 2 ** (n - 1), MAX_DELAY_S)

    def succeeded(self, name: str) -> None:
        with self.lock:
            self.failures.pop(name, None)


def sign_in(
    users: Users, name: str, password: str, *, attempts: Attempts, sleep: Callable[[float], None] = time.sleep
) -> User:
    """The user ``name`` if ``password`` is theirs; otherwise wait (longer after each failure for
    that name) and raise :class:`SignInError` with the count."""
    user = users.verify(name, password)
    if user is not None:
        attempts.succeeded(name)
        return user
    sleep(attempts.failed(name))
    n = attempts.count(name)
    tally = f" ({n} failed attempts for {name!r} since its last sign-in on this server)" if n > 1 else ""
    msg = f"Wrong name or password{tally}."
    raise SignInError(msg, hint="Check both; each failure makes the next answer slower.")


def cli_user(
    settings: Settings,
    name: str | None,
    *,
    environ: Mapping[str, str],
    prompt: Callable[[str], str] | None,
    attempts: Attempts,
) -> User:
    """The user a CLI write acts as.

    With no users file: the local user (``--as`` is refused: there is nobody to check it against).
    With one: ``name`` (``--as`` or CM_USER), its password from CM_PASSWORD or ``prompt`` (None when
    there is no terminal to ask at), checked against the file.
    """
    users = configured_users(settings)
    if users is None:
        if name:
            msg = f"--as {name}: no users file is configured, so the command line acts as the local user."
            raise GeoError(
                msg, hint="Leave out --as (and CM_USER), or set users_path (python -m geo users add)."
            )
        return local_user()
    if not name:
        msg = f"This command changes the record, and the users file {users.path} is configured."
        raise SignInError(
            msg, hint="Say who you are with --as NAME (or CM_USER), and your password in CM_PASSWORD."
        )
    password = environ.get("CM_PASSWORD")
    if password is None:
        if prompt is None:
            msg = f"No password for {name}: CM_PASSWORD is not set and there is no terminal to ask at."
            raise SignInError(msg, hint="Set CM_PASSWORD in the environment (never on the command line).")
        password = prompt(f"Password for {name}: ")
    return sign_in(users, name, password, attempts=attempts)
