"""Roles and what each may do: the one answer to "may this user do that?" for the app and the CLI."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from geo.errors import GeoError


class Role(enum.IntEnum):
    """A user's role; each may do what the roles below it may (viewer < analyst < admin)."""

    viewer = 1
    analyst = 2
    admin = 3

    def __str__(self) -> str:
        return self.name


# The least role each action needs (docs/ARCHITECTURE.md, "Sign-in and roles").
ACTIONS: dict[str, Role] = {
    "read": Role.viewer,
    "export": Role.viewer,
    "upload": Role.analyst,
    "annotate": Role.analyst,
    "draft_zone": Role.analyst,
    "retract": Role.admin,
    "restore": Role.admin,
    "publish_line": Role.admin,
    "publish_zone": Role.admin,
    "publish_agreement": Role.admin,
    "manage_users": Role.admin,
    "settings": Role.admin,
}


@dataclass(frozen=True)
class User:
    """Who is acting: a name (as the audit log records it) and a role."""

    name: str
    role: Role


class NotAllowed(GeoError):
    """The user's role may not do the action asked for."""


def needed(action: str) -> Role:
    """Return the least role ``action`` needs; an unknown action is a programming error, named."""
    try:
        return ACTIONS[action]
    except KeyError:
        msg = f"Unknown action {action!r}; known: {', '.join(ACTIONS)}."
        raise ValueError(msg) from None


def allowed(user: User, action: str) -> bool:
    """Return whether ``user``'s role may do ``action``."""
    return user.role >= needed(action)


def require(user: User, action: str) -> None:
    """Raise :class:`NotAllowed` naming the role ``action`` needs and ``user``'s role, unless allowed."""
    role = needed(action)
    if user.role < role:
        msg = f"{user.name} is {_article(user.role)} {user.role}; {action.replace('_', ' ')} needs {_article(role)} {role}."
        raise NotAllowed(
            msg, hint="Ask an admin to give you that role (python -m geo users set-role NAME --role ROLE)."
        )


def _article(role: Role) -> str:
    return "an" if str(role)[0] in "aeiou" else "a"
