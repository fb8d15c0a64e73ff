"""Sign-in and roles in the app: who is signed in, the gates on every write widget.

Three modes, decided by the configuration (README, "Sign-in"):

- OpenID Connect, when ``.streamlit/secrets.toml`` has an ``[auth]`` section: ``st.login``; the
  identity (a verified email, or the subject) is looked up in the users file for a role; an
  identity no entry names gets the setting ``oidc_unknown_role`` ("none": refused, the default).
- The users file (setting ``users_path``): a name and password form; the session keeps the name,
  and each run reads the role from the file again (a role changed or a user removed counts at once).
- Neither: single-user mode, marked on every page, served only on the loopback (127.0.0.1).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import streamlit as st

from geo import audit
from geo.auth import Role, User, allowed, needed
from geo.auth.signin import Attempts, local_user, sign_in
from geo.auth.users import Users, load_users, users_path
from geo.errors import GeoError
from ui import data, keys
from ui.errors import user_errors
from ui.text import md_escape

LOOPBACK_NAMES = {"localhost"}
SINGLE_USER = "single"
FILE = "file"
OIDC = "oidc"


@st.cache_resource
def _attempts() -> Attempts:
    """Failed sign-ins per name, shared by every session of this server (a new session resets nothing)."""
    return Attempts.new()


_USERS_READ: dict[Path, tuple[tuple[int, int], Users]] = {}


def _users() -> Users | None:
    """The users file's users (read again when it changed on disk), or None when none is configured."""
    path = users_path(data.settings())
    if path is None:
        return None
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = (0, 0)
    kept = _USERS_READ.get(path)
    if kept is None or kept[0] != stamp:
        kept = _USERS_READ[path] = (stamp, load_users(path))
    return kept[1]


def oidc_configured() -> bool:
    """Whether Streamlit's secrets carry an ``[auth]`` section (OpenID Connect through st.login)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than answer False
        return False


def mode() -> str:
    """How people sign in here: OIDC, FILE or SINGLE_USER."""
    if oidc_configured():
        return OIDC
    return FILE if users_path(data.settings()) is not None else SINGLE_USER


def loopback_only(address: str | None) -> bool:
    """Whether Streamlit's ``server.address`` serves this machine only (unset means every interface)."""
    if not address:
        return False
    if address.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def _oidc_user() -> User | None:
    """The signed-in OpenID Connect identity's user, by the users file or the unknown-identity setting."""
    info = st.user
    sub, email = info.get("sub"), info.get("email")
    # An email the provider has not verified could be anyone's: only the subject identifies then.
    verified = email and info.get("email_verified", True) is not False
    identities = [str(x) for x in ([sub] + ([email] if verified else [])) if x]
    users = _users()
    user = users.identify(identities) if users is not None else None
    if user is None and data.settings().oidc_unknown_role == "viewer" and identities:
        user = User(f"oidc:{email if verified else sub}", Role.viewer)
    return user


def _refused_oidc() -> None:
    info = st.user
    who = info.get("email") or info.get("sub") or "this account"
    st.error(
        f"{md_escape(str(who))} is signed in, but the users file gives that identity no role here.\n\n"
        f"**How to fix:** an admin adds it: `python -m geo users add NAME --role viewer --identity "
        f"{md_escape(str(who))} --no-password`.",
        icon=":material/block:",
    )
    if st.button("Sign out", key=keys.AUTH_SIGN_OUT):
        st.logout()


def _sign_in_form(users: Users) -> None:
    """The name and password form; a success keeps the name in the session and reruns the app."""
    st.title("Sign in")
    st.caption("Ceasefire Monitor keeps evidence: sign in with the name and password an admin gave you.")
    with st.form(key=keys.AUTH_FORM):
        name = st.text_input("Name", key=keys.AUTH_NAME)
        password = st.text_input("Password", type="password", key=keys.AUTH_PASSWORD)
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        with user_errors("signing in"):
            user = sign_in(users, name.strip(), password, attempts=_attempts())
            st.session_state[keys.AUTH_USER] = user.name
            st.rerun()


def _signed_in_by_file(users: Users) -> User | None:
    """The session's user by the users file as it is now (None if signed out or since removed)."""
    name = st.session_state.get(keys.AUTH_USER)
    entry = users.get(name) if isinstance(name, str) else None
    return entry.user if entry is not None else None


def admit() -> User:
    """Decide who this run acts as, or stop the run: the sign-in form, the refusal of an unknown
    identity, or single-user mode served beyond the loopback. Sets geo.audit's actor for the run.

    Call once at the top of app.py, before any page runs.
    """
    with user_errors("checking who is signed in"):
        user = _admit()
        if user is not None:
            st.session_state[keys.AUTH_CURRENT] = user
            _act_as(user)
            return user
    st.stop()
    raise AssertionError("st.stop() returned")  # pragma: no cover


def _admit() -> User | None:
    how = mode()
    if how == OIDC:
        if not st.user.is_logged_in:
            st.title("Sign in")
            st.caption("Ceasefire Monitor keeps evidence: sign in with your organisation's account.")
            if st.button("Sign in", key=keys.AUTH_OIDC_SIGN_IN, type="primary"):
                st.login()
            return None
        user = _oidc_user()
        if user is None:
            _refused_oidc()
        return user
    if how == FILE:
        users = _users()
        if not users.entries:
            msg = f"The users file {users.path} has no users: nobody could sign in."
            raise GeoError(msg, hint="Add an admin: python -m geo users add NAME --role admin.")
        user = _signed_in_by_file(users)
        if user is None:
            _sign_in_form(users)
        return user
    address = st.get_option("server.address")
    if not loopback_only(address):
        where = address or "every network interface"
        st.error(
            f"This app server listens on {md_escape(where)}, and no sign-in is configured: anyone who "
            "reaches it could change the record.\n\n**How to fix:** serve it on this machine only "
            "(`make run`, or `streamlit run app.py --server.address 127.0.0.1`), or set up sign-in: "
            "a users file (`python -m geo users add NAME --role admin`, setting users_path) or "
            'OpenID Connect (README, "Sign-in").',
            icon=":material/lock:",
        )
        return None
    return local_user()


def _act_as(user: User) -> None:
    """Name ``user`` as the actor of this script thread's writes (geo.audit's ContextVar).

    Set, not entered as a block: a fragment's rerun runs without app.py's top, and this thread keeps
    the value until the next run sets it again. The local user leaves geo.audit's single-user actor.
    """
    if not user.name.startswith("local:"):
        # geo.audit offers acting_as, a block; a run needs the value set until the next run sets it.
        audit._ACTOR.set(user.name)


def current_user() -> User:
    """The signed-in user of this session (in single-user mode the local user, an admin)."""
    user = st.session_state.get(keys.AUTH_CURRENT)
    if isinstance(user, User):
        return user
    if mode() == SINGLE_USER:
        return local_user()
    msg = "Nobody is signed in in this session."
    raise GeoError(msg, hint="Reload the page and sign in.")


def gate(action: str) -> bool:
    """Return whether the signed-in user may do ``action``; if not, say which role it needs.

    The caller hides or disables the write when this is False. A True also names the user as the
    actor of the write that follows (a fragment's rerun included).
    """
    user = current_user()
    if allowed(user, action):
        _act_as(user)
        return True
    st.caption(
        f":material/lock: {action.replace('_', ' ').capitalize()} needs the role {needed(action)}; "
        f"you are {md_escape(user.name)}, {user.role}."
    )
    return False


def chrome(user: User) -> None:
    """The sidebar's who-is-signed-in line and sign-out button; in single-user mode, its mark in the
    sidebar of every page (in the sidebar: above the page it pushed the map and the timeline down)."""
    how = mode()
    if how == SINGLE_USER:
        st.sidebar.warning(
            f"Single-user mode: no sign-in; this app acts as {md_escape(user.name)}, an admin, and "
            'serves this machine only. README, "Sign-in", says how to share it.',
            icon=":material/person:",
        )
        return
    with st.sidebar:
        st.caption(f":material/person: {md_escape(user.name)} · {user.role}")
        if st.button("Sign out", key=keys.AUTH_SIGN_OUT):
            st.session_state.pop(keys.AUTH_USER, None)
            st.session_state.pop(keys.AUTH_CURRENT, None)
            if how == OIDC:
                st.logout()
            st.rerun()
