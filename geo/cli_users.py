"""``python -m geo users``: add, list, change the role of and remove the users of the local users file.

Each change is one atomic rewrite of the file and one audit entry (action user_add, user_role or
user_remove) naming the user, the role and the SHA-256 of the file as written; if the entry cannot
be written the file is put back, so a failed change changes nothing. Passwords never come from the
command line (``ps`` shows it to everyone on the machine): a prompt, ``--password-stdin`` or
CM_NEW_PASSWORD.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from geo.auth import Role
from geo.auth.users import (
    Users,
    check_password,
    hash_password,
    load_users,
    parse_role,
    save_users,
    users_path,
)
from geo.errors import InputError
from geo.settings import Settings

ROLES = [r.name for r in Role]


def _path(settings: Settings) -> Path:
    path = users_path(settings)
    if path is None:
        msg = "No users file is configured (the setting users_path is empty)."
        raise InputError(
            msg,
            hint="Set users_path in ceasefire.toml (or CM_USERS_PATH), e.g. var/users.json, and run the command again.",
        )
    return path


def _new_password(args: argparse.Namespace, name: str) -> str:
    """The new user's password: standard input's first line, CM_NEW_PASSWORD, or asked twice."""
    if args.password_stdin:
        return check_password(sys.stdin.readline().rstrip("\r\n"))
    if "CM_NEW_PASSWORD" in os.environ:
        return check_password(os.environ["CM_NEW_PASSWORD"])
    if not sys.stdin.isatty():
        msg = f"No password for the new user {name}: no terminal to ask at."
        raise InputError(msg, hint="Give it on standard input with --password-stdin, or in CM_NEW_PASSWORD.")
    first = check_password(getpass.getpass(f"New password for {name}: "))
    if getpass.getpass("The same again: ") != first:
        raise InputError("The two passwords differ.", hint="Type the same password twice.")
    return first


def _changed(
    args: argparse.Namespace,
    settings: Settings,
    before: Users,
    after: Users,
    *,
    action: str,
    what: dict,
    store: Callable[[], object],
) -> None:
    """Write ``after`` and its audit entry; put ``before`` back if the entry fails."""
    existed = before.path.exists()
    save_users(after)
    try:
        _record(store(), action=action, what=what, hashes={"users_file": after.digest()})
    except BaseException:
        if existed:
            save_users(before)
        else:
            before.path.unlink(missing_ok=True)
        raise


def _record(store, *, action: str, what: dict, hashes: dict) -> None:
    """One audit entry of a user change, outside any store transaction (geo.audit.log.record)."""
    from geo.audit.log import record

    record(store, action=action, what=what, hashes=hashes)


def cmd_users_add(args: argparse.Namespace, settings: Settings, store: Callable[[], object]) -> int:
    """Add a user with a role, a password (unless --no-password) and any OpenID Connect identities."""
    path = _path(settings)
    before = load_users(path, missing_ok=True)
    role = parse_role(args.role)
    identities = tuple(args.identity or ())
    if args.no_password and not identities:
        msg = f"{args.name} would have neither a password nor an OpenID Connect identity: nobody could sign in as them."
        raise InputError(msg, hint="Give --identity EMAIL_OR_SUBJECT, or leave out --no-password.")
    before.added(args.name, role, "", identities)  # refuse a taken name before asking for a password
    hashed = "" if args.no_password else hash_password(_new_password(args, args.name))
    after = before.added(args.name, role, hashed, identities)
    what = {"name": args.name, "role": role.name, "identities": list(identities), "password": bool(hashed)}
    _changed(args, settings, before, after, action="user_add", what=what, store=store)
    print(f"added {args.name} ({role.name}) to {path}")
    return 0


def cmd_users_list(args: argparse.Namespace, settings: Settings, store: Callable[[], object]) -> int:
    """List the users: name, role, whether they have a password, their OpenID Connect identities."""
    users = load_users(_path(settings))
    if not users.entries:
        print(f"no users in {users.path}")
        return 0
    width = max(len(e.name) for e in users.entries)
    for e in users.entries:
        signs_in = ", ".join([*(["password"] if e.password_hash else []), *e.identities]) or "nothing"
        print(f"{e.name:<{width}}  {e.role.name:<7}  signs in with: {signs_in}")
    return 0


def cmd_users_set_role(args: argparse.Namespace, settings: Settings, store: Callable[[], object]) -> int:
    """Change a user's role (the last admin stays an admin)."""
    before = load_users(_path(settings))
    role = parse_role(args.role)
    was = before.get(args.name)
    after = before.with_role(args.name, role)
    what = {"name": args.name, "role": role.name, "was": was.role.name if was else None}
    _changed(args, settings, before, after, action="user_role", what=what, store=store)
    print(f"{args.name} is now {role.name}")
    return 0


def cmd_users_remove(args: argparse.Namespace, settings: Settings, store: Callable[[], object]) -> int:
    """Remove a user (not the last admin); their past entries in the audit log stay."""
    before = load_users(_path(settings))
    after = before.without(args.name)
    was = before.get(args.name)
    what = {"name": args.name, "role": was.role.name if was else None}
    _changed(args, settings, before, after, action="user_remove", what=what, store=store)
    print(f"removed {args.name} from {before.path}")
    return 0


def add_users_parser(
    add: Callable[[str, Callable, str], argparse.ArgumentParser],
    with_store: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
    store: Callable[[argparse.Namespace, Settings], object],
) -> None:
    """Register ``users`` and its subcommands; each writes an audit entry into ``store``'s log."""

    def bound(func):
        return lambda args, settings: func(args, settings, lambda: store(args, settings))

    users = add("users", bound(cmd_users_list), "manage the users of the users file (setting users_path)")
    sub = users.add_subparsers(dest="users_command", required=True, metavar="USERS_COMMAND")

    def command(name: str, func, text: str, *, first_user_ok: bool = False) -> argparse.ArgumentParser:
        p = with_store(sub.add_parser(name, help=text, description=text))
        p.set_defaults(func=bound(func), action="manage_users", first_user_ok=first_user_ok)
        p.add_argument(
            "--as", dest="as_user", default=argparse.SUPPRESS, help="act as this user (or CM_USER)"
        )
        return p

    p = command("add", cmd_users_add, "add a user (the first must be an admin)", first_user_ok=True)
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument(
        "--identity",
        action="append",
        metavar="EMAIL_OR_SUBJECT",
        help="an OpenID Connect email or subject that signs in as this user (repeatable)",
    )
    p.add_argument(
        "--password-stdin", action="store_true", help="read the new password from standard input's first line"
    )
    p.add_argument("--no-password", action="store_true", help="signs in through OpenID Connect only")
    command("list", cmd_users_list, "list the users, their roles and how each signs in")
    p = command("set-role", cmd_users_set_role, "change a user's role")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=ROLES)
    p = command("remove", cmd_users_remove, "remove a user (their past audit entries stay)")
    p.add_argument("name")
