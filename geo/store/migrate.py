"""The PostGIS store's schema, made and changed only by numbered migration files (issue 14).

``geo/store/migrations/NNNN_name.sql``, applied in number order by :func:`migrate` (``python -m geo
migrate --store postgresql://...``), every pending file in one transaction: PostgreSQL's changes
to its schema are transactional, so a migration that fails leaves the database as it was. The
database records each file applied (``schema_migrations``: number, name, SHA-256 of its text), and
a file changed after it was applied is refused, never applied again or taken as it now reads: a
change to the schema is the next numbered file. Several servers migrating at once wait for each
other (a transaction-scoped advisory lock) and the file is applied once.

Plain SQL rather than a migration framework: the store speaks PostgreSQL's own dialect (PostGIS
types and functions, triggers), which an ORM's migrations would only wrap, and psycopg is the one
dependency.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from geo.errors import StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any number, the same in every process: pg_advisory_xact_lock's key for migrating.
LOCK_KEY = 0x43_4D_4D_49_47  # 'CMMIG'
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One migration file: its number, its name, its SQL and the SHA-256 of that text."""

    version: int
    name: str
    sql: str = field(repr=False)
    sha256: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


def migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files of ``folder`` in number order; numbered 1, 2, 3 ... without a gap."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILE.match(path.name)
        if match is None:
            msg = f"The migration file {path} is not named NNNN_name.sql."
            raise StoreError(msg, hint="Name it by its number (four digits) and a lower-case name.")
        text = path.read_text(encoding="utf-8")
        found.append(Migration(int(match[1]), match[2], text, hashlib.sha256(text.encode()).hexdigest()))
    numbers = [m.version for m in found]
    if numbers != list(range(1, len(found) + 1)):
        msg = f"The migration files of {folder} are numbered {numbers}, not 1, 2, 3 ... in turn."
        raise StoreError(msg, hint="Number each new migration one after the last.")
    return found


def shown(url: str) -> str:
    """``url`` without its password: what messages may say of it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    # The host and port as written (parts.port raises on a port that is not a number).
    netloc = f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc))


def reason(exc: Exception) -> str:
    """The first line of what the server or the driver said (its later lines repeat the query)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connect(url: str):
    """A connection to the PostGIS store at ``url`` (psycopg), or a StoreError saying why not."""
    import psycopg

    try:
        return psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as exc:
        msg = f"Cannot reach the PostGIS store at {shown(url)}: {reason(exc)}"
        raise StoreError(
            msg, hint="Check the URL and that the server runs (make postgis starts one on this machine)."
        ) from exc


def migrate(url: str, folder: Path = MIGRATIONS_DIR) -> tuple[list[Migration], list[Migration]]:
    """Apply the migrations ``url``'s database lacks; return those applied now and those it had.

    Raises
    ------
    StoreError
        The server cannot be reached; the database records a migration this version does not
        have (a newer version migrated it) or one whose file has changed since; a migration fails
        (nothing of this call is kept then).
    """
    import psycopg

    known = migrations(folder)
    with connect(url) as conn:
        try:
            with conn.transaction():
                conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                conn.execute(
                    "create table if not exists schema_migrations (version integer primary key, "
                    "name text not null, sha256 text not null, applied_at timestamptz not null default now())"
                )
                recorded = {
                    v: (name, digest)
                    for v, name, digest in conn.execute("select version, name, sha256 from schema_migrations")
                }
                _check(recorded, known, url)
                pending = [m for m in known if m.version not in recorded]
                for m in pending:
                    conn.execute(m.sql.encode())
                    conn.execute(
                        "insert into schema_migrations (version, name, sha256) values (%s, %s, %s)",
                        (m.version, m.name, m.sha256),
                    )
        except psycopg.Error as exc:
            msg = f"Migrating the PostGIS store at {shown(url)} failed, and changed nothing: {reason(exc)}"
            raise StoreError(
                msg, hint="Fix the migration or the database, then run python -m geo migrate again."
            ) from exc
    return pending, [m for m in known if m.version in recorded]


def _check(recorded: dict[int, tuple[str, str]], known: list[Migration], url: str) -> None:
    by_version = {m.version: m for m in known}
    newer = sorted(v for v in recorded if v not in by_version)
    if newer:
        labels = ", ".join(f"{v:04d}_{recorded[v][0]}" for v in newer)
        msg = f"The PostGIS store at {shown(url)} was migrated by a newer version of Ceasefire Monitor ({labels})."
        raise StoreError(msg, hint="Run this store with that version or a later one; nothing was changed.")
    for version, (_, digest) in sorted(recorded.items()):
        m = by_version[version]
        if digest != m.sha256:
            msg = (
                f"The migration {m.label}.sql differs from the one applied to the PostGIS store at "
                f"{shown(url)} (SHA-256 {digest[:12]}... applied, {m.sha256[:12]}... now)."
            )
            raise StoreError(
                msg,
                hint="Restore the file as it was applied; a change to the schema is the next numbered file.",
            )
