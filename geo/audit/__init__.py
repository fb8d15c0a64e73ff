"""The tamper-evident record of every change (issue 15), and who is acting.

Every write names its actor in an audit entry. The actor is held in a
ContextVar, not passed through every call, because writes happen deep in the
stores and the scenario edits while the user is known only at the edge: the
UI sets it for each script run (ui/auth.py), the CLI from ``--as NAME`` or
``CM_USER``. A ContextVar (not a module global) keeps two Streamlit sessions,
which run in separate threads of one process, from seeing each other's user.
"""

from __future__ import annotations

import contextlib
import contextvars
import getpass
from collections.abc import Iterator

__all__ = ["acting_as", "current_actor", "single_user_actor"]

_ACTOR: contextvars.ContextVar[str | None] = contextvars.ContextVar("cm_actor", default=None)


def single_user_actor() -> str:
    """The actor named when nobody signed in: the OS login, marked as single-user mode.

    ``getpass.getuser`` raises when neither the environment nor the password
    database names the user (a container run under a bare numeric uid); the
    record then still says single-user mode rather than failing the write.
    """
    try:
        login = getpass.getuser() or "unknown"
    except Exception:  # any failure to name the login must not stop a write
        login = "unknown"
    return f"local:{login} (single-user mode)"


def current_actor() -> str:
    """The name audit entries record for the write happening now."""
    name = _ACTOR.get()
    return name if name else single_user_actor()


@contextlib.contextmanager
def acting_as(name: str) -> Iterator[str]:
    """Within the block, writes are recorded as done by ``name``.

    Nested blocks restore the outer actor on leaving (the token reset), also
    when the block raises.
    """
    name = str(name).strip()
    if not name:
        raise ValueError("acting_as needs a non-empty user name")
    token = _ACTOR.set(name)
    try:
        yield name
    finally:
        _ACTOR.reset(token)
