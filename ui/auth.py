"""Sign-in and roles in the app: the signed-in user and the gates on every write widget."""

from __future__ import annotations

import getpass

import streamlit as st

from geo.auth import Role, User, allowed, needed


def current_user() -> User:
    """Return the signed-in user (single-user mode for now: the local login, an admin)."""
    return User(f"local:{getpass.getuser()}", Role.admin)


def gate(action: str) -> bool:
    """Return whether the signed-in user may do ``action``; if not, say which role it needs.

    The caller hides or disables the write when this is False.
    """
    user = current_user()
    if allowed(user, action):
        return True
    st.caption(
        f"{action.replace('_', ' ').capitalize()} needs the role {needed(action)}; you are {user.role}."
    )
    return False
