"""``python -m geo audit``: list the audit log, publish its tree head, verify it, prove an entry."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from geo.audit.log import ACTIONS, AuditLog, TreeHead, verify
from geo.errors import InputError
from geo.settings import Settings

EXIT_OK, EXIT_PROBLEMS = 0, 1


def cmd_audit_list(args: argparse.Namespace, settings: Settings, store: Callable[[], object]) -> int:
    """Print the entries (filtered by who, action, since), oldest first; ``--json`` one per line."""
    if args.since:
        try:
            pd.Timestamp(args.since)
        except ValueError:
            msg = f"--since {args.since!r} is not a time."
            raise InputError(
                msg, hint="Give a UTC time in ISO 8601, e.g. 2026-12-01 or 2026-12-01T08:00:00Z."
            ) from None
    log = AuditLog(store())
    entries = log.entries(who=args.who, action=args.action, since=args.since)
    if args.json:
        for e in entries:
            print(e.text)
        return EXIT_OK
    if not entries:
        print("no audit entries" + (" match" if (args.who or args.action or args.since) else ""))
        return EXIT_OK
    for e in entries:
        what = json.dumps(e.what, ensure_ascii=False, sort_keys=True)
        print(f"{e.seq:>6}  {e.at}  {e.who}  {e.action}  {what}")
    return EXIT_OK


def cmd_audit_head(args: argparse.Namespace, settings: Settings, store: Callable[[], object]) -> int:
    """Print (or write to --out) the tree head now: the JSON to publish and verify against later."""
    head = AuditLog(store()).head()
    text = json.dumps(head.to_dict(), indent=2) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(
            f"tree head of {head.size} entries written to {args.out}: keep it where the store's owner cannot change it"
        )
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace, settings: Settings, store: Callable[[], object]) -> int:
    """Check the log (and with --head, that it extends a published head); exit 1 naming each problem."""
    head = TreeHead.from_file(args.head) if args.head else None
    opened = store()
    problems = verify(opened, head, entry=args.entry, data=not args.log_only)
    size = len(AuditLog(opened).all())
    if problems:
        print(
            f"The audit log of {getattr(opened, 'location', '')} does NOT verify ({len(problems)} problem(s)):"
        )
        for p in problems:
            print(f"  - {p}")
        return EXIT_PROBLEMS
    held = (
        [
            f"{size} entr{'y' if size == 1 else 'ies'}, each matching its leaf hash, numbered 0 to {size - 1} without a gap"
        ]
        if size
        else ["the log is empty"]
    )
    if head is not None:
        held.append(
            f"the log extends the published head of {head.at or 'unknown time'} ({head.size} entries)"
        )
    if args.entry is not None:
        held.append(f"entry {args.entry} is included" + (" in the published head" if head else ""))
    if not args.log_only:
        held.append("every ingested batch's stored reports are those ingested")
    print("The audit log verifies: " + "; ".join(held) + ".")
    return EXIT_OK


def cmd_audit_prove(args: argparse.Namespace, settings: Settings, store: Callable[[], object]) -> int:
    """Print the inclusion proof of entry SEQ (RFC 9162 audit path) as JSON."""
    log = AuditLog(store())
    if args.size is not None and args.size < 1:
        raise InputError(f"--size {args.size} is not a tree size.", hint="Give the size of a published head.")
    print(json.dumps(log.inclusion(args.seq, args.size), indent=2, ensure_ascii=False))
    return EXIT_OK


def add_audit_parser(
    add: Callable[[str, Callable, str], argparse.ArgumentParser],
    with_store: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
    store: Callable[[argparse.Namespace, Settings], object],
) -> None:
    """Register ``audit`` and its subcommands (reads: no role beyond reading the store)."""

    def bound(func):
        return lambda args, settings: func(args, settings, lambda: store(args, settings))

    audit = add("audit", bound(cmd_audit_list), "the tamper-evident record of every change (docs/AUDIT.md)")
    sub = audit.add_subparsers(dest="audit_command", required=True, metavar="AUDIT_COMMAND")

    def command(name: str, func, text: str) -> argparse.ArgumentParser:
        p = with_store(sub.add_parser(name, help=text, description=text))
        p.set_defaults(func=bound(func))
        return p

    p = command("list", cmd_audit_list, "list the entries, oldest first")
    p.add_argument("--who", help="only this user's entries (exact name)")
    p.add_argument("--action", choices=ACTIONS, help="only entries of this action")
    p.add_argument("--since", help="only entries at or after this UTC time (ISO 8601)")
    p.add_argument("--json", action="store_true", help="print each entry's canonical JSON, one per line")
    p = command("head", cmd_audit_head, "print the tree head (size, root hash, time) to publish")
    p.add_argument("--out", metavar="FILE", help="write it to FILE")
    p = command(
        "verify", cmd_audit_verify, "check the log and the stored reports; exit 1 naming each problem"
    )
    p.add_argument(
        "--head", metavar="FILE", help="a published tree head (or briefing manifest) the log must extend"
    )
    p.add_argument("--entry", type=int, metavar="SEQ", help="also prove this entry is included")
    p.add_argument("--log-only", action="store_true", help="check the log only, not the stored reports")
    p = command("prove", cmd_audit_prove, "print the inclusion proof of an entry (JSON)")
    p.add_argument("seq", type=int)
    p.add_argument("--size", type=int, help="in the tree of the first SIZE entries (a published head's)")
