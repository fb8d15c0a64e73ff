"""The audit log: one entry per write, append-only, the leaves of an RFC 9162 Merkle tree.

Each entry is the canonical JSON (keys sorted, no spaces, UTF-8) of ``seq``, ``at`` (UTC, ISO 8601
with microseconds), ``who``, ``action``, ``what`` and ``hashes`` (name -> SHA-256 hex of the content
the write stored). It is kept in the store's own database (table ``audit_log``: ``seq``, ``entry``,
``leaf``), written in the same transaction as the write it records, so a write that fails leaves no
entry and an entry never describes a write that did not happen.

Nothing in the database stops its owner from rewriting the table; what stops the rewrite going
unseen is the tree head (size and root hash) published elsewhere (a briefing pack's manifest, a file
kept by the commission): :func:`verify` proves the log as it is now extends that head.
"""

from __future__ import annotations

import inspect
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from geo.audit import current_actor
from geo.audit.merkle import EMPTY_ROOT, MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from geo.errors import GeoError, StoreError

__all__ = [
    "ACTIONS",
    "AuditLog",
    "Entry",
    "TreeHead",
    "append",
    "entry_bytes",
    "record",
    "verify",
]

# The writes an entry records (docs/AUDIT.md).
ACTIONS = (
    "ingest",
    "retract",
    "restore",
    "line_version",
    "zone",
    "agreement",
    "annotation",
    "user_add",
    "user_role",
    "user_remove",
    "setting",
)
# pg_advisory_xact_lock's key for the PostGIS store's writes (geo.store.postgis.WRITE_LOCK): an entry
# is numbered under the same lock as the write it records, so two servers never take one number.
PG_WRITE_LOCK = 0x43_4D_57_52
RECORD_HINT = "Check that the store is reachable and writable, then retry; nothing was changed."

_SQLITE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS audit_log (seq INTEGER PRIMARY KEY CHECK (seq >= 0), "
    "entry TEXT NOT NULL, leaf TEXT NOT NULL)",
    # A defence, not the proof (as in migrations/0003_audit.sql): sqlite3 can drop these triggers.
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE on audit_log refused'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE on audit_log refused'); END",
)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_bytes(
    *, seq: int, at: str, who: str, action: str, what: dict[str, Any], hashes: dict[str, str]
) -> bytes:
    """The canonical bytes of an entry: what its leaf hashes and what a verifier recomputes."""
    doc = {"seq": seq, "at": at, "who": who, "action": action, "what": what, "hashes": hashes}
    return json.dumps(
        doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode()


def _checked(action: str, what: Any, hashes: Any) -> tuple[dict, dict]:
    """Refuse an entry the log should not hold: these are the program's mistakes, not a user's."""
    if action not in ACTIONS:
        msg = f"{action!r} is not an audit action (one of {', '.join(ACTIONS)})"
        raise ValueError(msg)
    if not isinstance(what, dict):
        msg = f"an audit entry's 'what' is a dict, not {type(what).__name__}"
        raise TypeError(msg)
    if not isinstance(hashes, dict):
        msg = f"an audit entry's 'hashes' is a dict, not {type(hashes).__name__}"
        raise TypeError(msg)
    for name, value in hashes.items():
        if not (isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)):
            msg = f"the audit hash {name!r} is not a SHA-256 in lower-case hex: {value!r}"
            raise ValueError(msg)
    # Through JSON once: a value JSON cannot carry (a set, a timestamp) is refused here, not half-written.
    return json.loads(json.dumps(what, allow_nan=False)), dict(hashes)


def append(
    conn: Any,
    dialect: str,
    *,
    action: str,
    what: dict[str, Any],
    hashes: dict[str, str],
    who: str | None = None,
) -> int:
    """Append an entry inside the caller's open transaction; return its number.

    The number is the next one after the last (0 for the first), taken while the store's write lock
    is held (SQLite: the caller's ``BEGIN IMMEDIATE``; PostgreSQL: the store's advisory lock, taken
    here too, a no-op when the caller holds it), so the log has no gap and no number twice. The
    caller's commit keeps it; its rollback removes it with the write.

    Parameters
    ----------
    conn
        A ``sqlite3`` connection (GeoPackage store) or a ``psycopg`` connection (PostGIS store)
        inside a transaction.
    dialect
        ``"sqlite"`` or ``"postgres"``.
    who
        Default :func:`geo.audit.current_actor`.
    """
    what, hashes = _checked(action, what, hashes)
    who = who or current_actor()
    at = _now()
    if dialect == "sqlite":
        for statement in _SQLITE_SCHEMA:
            conn.execute(statement)
        seq = conn.execute("SELECT coalesce(max(seq), -1) + 1 FROM audit_log").fetchone()[0]
        mark = "?"
    elif dialect == "postgres":
        conn.execute("select pg_advisory_xact_lock(%s)", (PG_WRITE_LOCK,))
        seq = conn.execute("select coalesce(max(seq), -1) + 1 from audit_log").fetchone()[0]
        mark = "%s"
    else:
        msg = f"unknown dialect {dialect!r} (sqlite or postgres)"
        raise ValueError(msg)
    entry = entry_bytes(seq=int(seq), at=at, who=who, action=action, what=what, hashes=hashes)
    conn.execute(
        f"INSERT INTO audit_log (seq, entry, leaf) VALUES ({mark}, {mark}, {mark})",
        (int(seq), entry.decode(), leaf_hash(entry).hex()),
    )
    return int(seq)


def _kind(store: Any) -> str:
    """Which database holds ``store``'s log: its URL names a PostGIS store, its path a GeoPackage."""
    if isinstance(getattr(store, "url", None), str):
        return "postgres"
    path = getattr(store, "path", None)
    if isinstance(path, Path) and path.suffix.lower() == ".gpkg":
        return "sqlite"
    msg = f"{type(store).__name__} keeps no audit log (neither a GeoPackage nor a PostGIS store)"
    raise TypeError(msg)


def _location(store: Any) -> str:
    return str(getattr(store, "location", None) or getattr(store, "path", store))


@contextmanager
def _transaction(store: Any, what: str) -> Iterator[tuple[Any, str]]:
    """A write transaction on ``store``'s database of its own, for an entry outside a store write."""
    kind = _kind(store)
    try:
        if kind == "sqlite":
            with closing(sqlite3.connect(store.path, timeout=30, isolation_level=None)) as con:
                con.execute("BEGIN IMMEDIATE")
                try:
                    yield con, kind
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
        else:
            from geo.store.migrate import connect

            with connect(store.url) as conn, conn.transaction():
                conn.execute("select pg_advisory_xact_lock(%s)", (PG_WRITE_LOCK,))
                yield conn, kind
    except GeoError:
        raise
    except Exception as exc:
        msg = f"{what} in the audit log of {_location(store)} failed ({type(exc).__name__}: {exc})."
        raise StoreError(msg, hint=RECORD_HINT) from exc


def record(
    store: Any, *, action: str, what: dict[str, Any], hashes: dict[str, str], who: str | None = None
) -> int:
    """Append an entry for a write made outside a store transaction (a scenario edit, a user
    change, a setting), in a transaction of its own; return its number.

    Raises
    ------
    StoreError
        When the store's database cannot be written; no entry is kept then.
    """
    _checked(action, what, hashes)
    with _transaction(store, f"Recording {action}") as (conn, kind):
        return append(conn, kind, action=action, what=what, hashes=hashes, who=who)


@dataclass(frozen=True)
class Entry:
    """One entry as stored: its number and leaf as the table holds them, and its parsed content."""

    seq: int
    text: str
    leaf: str
    doc: dict[str, Any] | None = field(repr=False, default=None)

    @property
    def at(self) -> str:
        return str((self.doc or {}).get("at", ""))

    @property
    def who(self) -> str:
        return str((self.doc or {}).get("who", ""))

    @property
    def action(self) -> str:
        return str((self.doc or {}).get("action", ""))

    @property
    def what(self) -> dict[str, Any]:
        value = (self.doc or {}).get("what")
        return value if isinstance(value, dict) else {}

    @property
    def hashes(self) -> dict[str, str]:
        value = (self.doc or {}).get("hashes")
        return value if isinstance(value, dict) else {}

    def leaf_now(self) -> str:
        """The leaf hash of the entry's content as it is now."""
        return leaf_hash(self.text.encode()).hex()


@dataclass(frozen=True)
class TreeHead:
    """A tree head: how many entries, the root hash over them, when it was taken, of which store.

    Published (``python -m geo audit head --out FILE``, a briefing pack's manifest), it commits the
    log's first ``size`` entries: a later log that does not extend it is found out by :func:`verify`.
    """

    size: int
    root_hex: str
    at: str
    store_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"size": self.size, "root": self.root_hex, "at": self.at}
        if self.store_id:
            out["store_id"] = self.store_id
        return out

    @classmethod
    def from_dict(cls, doc: Any, *, where: str = "the tree head") -> TreeHead:
        """A head read from JSON (``size``, ``root``, ``at``; a briefing manifest's ``audit`` too).

        Raises
        ------
        GeoError
            When ``doc`` is not a tree head, naming what is missing or wrong.
        """
        if isinstance(doc, dict) and isinstance(doc.get("audit"), dict):
            doc = doc["audit"]  # a briefing pack's manifest carries its head under "audit"
        hint = (
            'Give the JSON that python -m geo audit head wrote: {"size": N, "root": "<64 hex>", "at": "..."}.'
        )
        if not isinstance(doc, dict):
            msg = f"{where} is not a JSON object with size, root and at."
            raise GeoError(msg, hint=hint)
        size, root = doc.get("size"), doc.get("root")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            msg = f"{where} has no entry count (size: {size!r})."
            raise GeoError(msg, hint=hint)
        if not (isinstance(root, str) and len(root) == 64 and all(c in "0123456789abcdef" for c in root)):
            msg = f"{where} has no root hash of 64 lower-case hex digits (root: {root!r})."
            raise GeoError(msg, hint=hint)
        store_id = doc.get("store_id")
        return cls(size, root, str(doc.get("at", "")), str(store_id) if store_id else None)

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str) -> TreeHead:
        """A head from a file's bytes (a head written by ``audit head``, or a briefing manifest)."""
        try:
            doc = json.loads(data.decode("utf-8"))
        except ValueError as exc:
            msg = f"The tree head {name} is not JSON ({exc})."
            raise GeoError(
                msg, hint="Give the file python -m geo audit head wrote, or a pack's manifest, unchanged."
            ) from None
        return cls.from_dict(doc, where=f"The tree head {name}")

    @classmethod
    def from_file(cls, path: Path | str) -> TreeHead:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            msg = f"Cannot read the tree head {path} ({exc.strerror or exc})."
            raise GeoError(msg, hint="Give the path of a head that python -m geo audit head wrote.") from None
        return cls.from_bytes(data, name=str(path))


def _parse(text: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


class AuditLog:
    """The audit log of a store, read: its entries, its tree head, proofs.

    Parameters
    ----------
    store
        A GeoPackage or PostGIS store.
    """

    def __init__(self, store: Any) -> None:
        self.store = store
        self._kind = _kind(store)

    def _rows(self) -> list[tuple[int, str, str]]:
        """Every row of ``audit_log`` in number order, as stored."""
        try:
            if self._kind == "sqlite":
                with closing(sqlite3.connect(self.store.path, timeout=30)) as con:
                    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_log'").fetchone() is None:
                        return []
                    rows = con.execute("SELECT seq, entry, leaf FROM audit_log ORDER BY seq").fetchall()
            else:
                from geo.store.migrate import connect

                with connect(self.store.url) as conn:
                    rows = conn.execute("select seq, entry, leaf from audit_log order by seq").fetchall()
        except GeoError:
            raise
        except Exception as exc:
            msg = f"Cannot read the audit log of {_location(self.store)} ({type(exc).__name__}: {exc})."
            raise StoreError(msg, hint="Check that the store is reachable, then retry.") from exc
        return [(int(s), str(e), str(leaf)) for s, e, leaf in rows]

    def all(self) -> list[Entry]:
        """Every entry, in number order."""
        return [Entry(s, e, leaf, _parse(e)) for s, e, leaf in self._rows()]

    def entries(
        self,
        *,
        who: str | None = None,
        action: str | None = None,
        since: Any = None,
        until: Any = None,
    ) -> list[Entry]:
        """The entries by ``who`` (exact), of ``action``, at or after ``since`` and before ``until``
        (times or ISO text; naive means UTC), in number order."""
        start = None if since is None else pd.Timestamp(since)
        stop = None if until is None else pd.Timestamp(until)
        start = None if start is None else (start.tz_localize("UTC") if start.tzinfo is None else start)
        stop = None if stop is None else (stop.tz_localize("UTC") if stop.tzinfo is None else stop)
        out = []
        for e in self.all():
            if who is not None and e.who != who:
                continue
            if action is not None and e.action != action:
                continue
            if start is not None or stop is not None:
                try:
                    at = pd.Timestamp(e.at)
                except ValueError:
                    continue
                if (start is not None and at < start) or (stop is not None and at >= stop):
                    continue
            out.append(e)
        return out

    def frame(self, entries: list[Entry] | None = None) -> pd.DataFrame:
        """The entries as a table: seq, at, who, action, what (JSON text), hashes (JSON text)."""
        entries = self.all() if entries is None else entries
        return pd.DataFrame(
            {
                "seq": pd.array([e.seq for e in entries], dtype="int64"),
                "at": pd.to_datetime([e.at or None for e in entries], utc=True, format="ISO8601"),
                "who": pd.array([e.who for e in entries], dtype="str"),
                "action": pd.array([e.action for e in entries], dtype="str"),
                "what": pd.array([json.dumps(e.what, ensure_ascii=False) for e in entries], dtype="str"),
                "hashes": pd.array([json.dumps(e.hashes) for e in entries], dtype="str"),
            }
        )

    def _tree(self, size: int | None = None) -> tuple[MerkleTree, list[Entry]]:
        """The tree of the entries' content as it is now (leaves recomputed, not read)."""
        entries = self.all()
        if size is not None:
            entries = entries[:size]
        return MerkleTree([leaf_hash(e.text.encode()) for e in entries]), entries

    def head(self, entries: list[Entry] | None = None) -> TreeHead:
        """The tree head of the log now (or of ``entries``, all of the log as just read)."""
        if entries is None:
            tree, _ = self._tree()
        else:
            tree = MerkleTree([leaf_hash(e.text.encode()) for e in entries])
        return TreeHead(tree.size, tree.root().hex(), _now(), getattr(self.store, "store_id", None))

    def inclusion(self, seq: int, size: int | None = None) -> dict[str, Any]:
        """The proof that entry ``seq`` is in the tree of the first ``size`` entries (default all).

        Raises
        ------
        GeoError
            For an entry the log (or the tree of ``size``) does not hold.
        """
        tree, entries = self._tree(size)
        if not 0 <= seq < tree.size:
            msg = f"The audit log of {_location(self.store)} has no entry {seq} (it has {tree.size}, numbered from 0)."
            raise GeoError(msg, hint="List the entries with python -m geo audit list.")
        return {
            "seq": seq,
            "entry": entries[seq].text,
            "leaf": leaf_hash(entries[seq].text.encode()).hex(),
            "tree_size": tree.size,
            "root": tree.root().hex(),
            "path": [p.hex() for p in tree.inclusion(seq)],
        }

    def consistency(self, old_size: int) -> dict[str, Any]:
        """The proof that the log's first ``old_size`` entries are unchanged in the log now."""
        tree, _ = self._tree()
        if not 0 <= old_size <= tree.size:
            msg = f"The audit log of {_location(self.store)} has {tree.size} entries, fewer than {old_size}."
            raise GeoError(msg, hint="Entries were removed: run python -m geo audit verify.")
        return {
            "old_size": old_size,
            "new_size": tree.size,
            "new_root": tree.root().hex(),
            "proof": [p.hex() for p in tree.consistency(old_size)],
        }


def _order_problems(entries: list[Entry]) -> list[str]:
    """Entries whose content does not match their leaf, says another number, or is missing."""
    problems = []
    own: dict[int, int] = {}  # stored as -> says it is
    for e in entries:
        if e.doc is None:
            problems.append(f"Entry {e.seq} was altered: it is no longer a JSON entry.")
            continue
        if e.leaf != e.leaf_now():
            problems.append(
                f"Entry {e.seq} was altered: its content no longer matches the leaf hash recorded with it."
            )
        said = e.doc.get("seq")
        if said != e.seq:
            own[e.seq] = said
    for stored, said in sorted(own.items()):
        if isinstance(said, int) and own.get(said) == stored:
            if stored < said:
                problems.append(
                    f"Entries {stored} and {said} were swapped: the entry stored as {stored} is entry "
                    f"{said} and the one stored as {said} is entry {stored} (reordered)."
                )
        else:
            problems.append(
                f"The entry stored as {stored} says it is entry {said!r}: entries were reordered or renumbered."
            )
    seqs = [e.seq for e in entries]
    expected = 0
    for s in seqs:
        if s > expected:
            gone = f"Entry {expected} is" if s == expected + 1 else f"Entries {expected} to {s - 1} are"
            problems.append(f"{gone} missing: the log goes from {expected - 1} to {s} (deleted).")
        expected = s + 1
    return problems


def _head_problems(tree: MerkleTree, entries: list[Entry], head: TreeHead, store_id: str | None) -> list[str]:
    """Whether the log now extends the published ``head`` (RFC 9162 consistency proof)."""
    when = f"the published head of {head.at}" if head.at else "the published head"
    if head.store_id and store_id and head.store_id != store_id:
        return [
            f"{when[0].upper()}{when[1:]} is of another store ({head.store_id}), not this one ({store_id})."
        ]
    if head.size > tree.size:
        return [
            f"The log has {tree.size} entries but {when} covers {head.size}: "
            f"{head.size - tree.size} entr{'y was' if head.size - tree.size == 1 else 'ies were'} removed since."
        ]
    root = bytes.fromhex(head.root_hex)
    if head.size == 0:
        return (
            []
            if root == EMPTY_ROOT
            else [f"{when[0].upper()}{when[1:]} has 0 entries but a root that is not the empty tree's."]
        )
    proof = tree.consistency(head.size)
    if verify_consistency(head.size, tree.size, root, tree.root(), proof):
        return []
    return [
        f"The log is not an extension of {when} ({head.size} entries, root {head.root_hex[:16]}...): "
        f"an entry among 0 to {head.size - 1} was changed, removed or reordered since it was published."
    ]


def _data_problems(store: Any, entries: list[Entry]) -> list[str]:
    """The stored reports of each ingested batch against the digest its ingest entry recorded."""
    from geo.audit.digest import reports_digest

    problems = []
    try:
        batches = store.batches().set_index("batch_id")
    except GeoError as exc:
        return [f"The batches could not be read to check them ({exc.message})."]
    # A store that hides retracted batches gives their reports with hidden=True; one that deleted
    # them (before issue 15) has nothing to compare.
    hidden_ok = "hidden" in inspect.signature(store.incidents).parameters
    ingested: set[str] = set()
    for e in entries:
        if e.doc is None or e.action != "ingest":
            continue
        batch_id = e.what.get("batch_id")
        digest = e.hashes.get("reports")
        if not isinstance(batch_id, str):
            continue
        ingested.add(batch_id)
        if digest is None:
            continue
        if batch_id not in batches.index:
            problems.append(
                f"Batch {batch_id} (ingested in entry {e.seq}) is gone from the store: it was deleted outside the app."
            )
            continue
        retracted = pd.notna(batches.at[batch_id, "retracted_at"])
        if retracted and not hidden_ok:
            continue
        frame = (
            store.incidents(batches=[batch_id], hidden=True)
            if hidden_ok
            else store.incidents(batches=[batch_id])
        )
        if reports_digest(frame) != digest:
            problems.append(
                f"Batch {batch_id}'s stored reports are not those ingested in entry {e.seq}: a report was "
                f"edited, added or removed outside the app ({len(frame)} stored now)."
            )
    first = next((pd.Timestamp(e.at) for e in entries if e.doc is not None and e.at), None)
    if first is not None:
        for batch_id, row in batches.iterrows():
            if batch_id not in ingested and pd.Timestamp(row["uploaded_at"]) >= first:
                problems.append(
                    f"Batch {batch_id} has no ingest entry in the audit log: it was added outside the app."
                )
    return problems


def verify(
    store: Any, head: TreeHead | None = None, *, entry: int | None = None, data: bool = True
) -> list[str]:
    """Check the log and the stored data; return the problems found, each in words (none: all holds).

    Checks that each entry's content matches its leaf hash, that the entries are numbered 0, 1, 2 ...
    in order (a gap is a deleted entry, two numbers exchanged a reorder), that the log extends the
    published ``head`` (its first ``head.size`` entries unchanged: RFC 9162 consistency), that
    ``entry`` is included in the tree (and in ``head``'s, when it covers it), and with ``data`` that
    each ingested batch's stored reports still have the digest its ingest entry recorded.
    """
    log = AuditLog(store)
    entries = log.all()
    tree = MerkleTree([leaf_hash(e.text.encode()) for e in entries])
    problems = _order_problems(entries)
    store_id = getattr(store, "store_id", None)
    if head is not None:
        problems += _head_problems(tree, entries, head, store_id)
    if entry is not None:
        if not 0 <= entry < tree.size:
            problems.append(f"The log has no entry {entry} (it has {tree.size}, numbered from 0).")
        elif head is not None and entry >= head.size:
            problems.append(
                f"Entry {entry} came after the published head ({head.size} entries): it cannot prove it."
            )
        elif head is not None and head.size <= tree.size:
            # The audit path from the entry as it is now up to the published root.
            old = MerkleTree([leaf_hash(e.text.encode()) for e in entries[: head.size]])
            leaf = leaf_hash(entries[entry].text.encode())
            if not verify_inclusion(
                leaf, entry, head.size, old.inclusion(entry), bytes.fromhex(head.root_hex)
            ):
                problems.append(
                    f"Entry {entry} as it is now is not the entry the published head includes: it was changed."
                )
    if data:
        problems += _data_problems(store, entries)
    return problems
