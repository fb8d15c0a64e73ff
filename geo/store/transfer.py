"""Copy a GeoPackage store into a new PostGIS store with nothing lost (``python -m geo migrate-store``).

Everything a GeoPackage store holds goes over in one transaction of the target database: every batch
with its id, its place in the order and its provenance (retracted ones too, with who retracted or
restored them and why, and their hidden reports; a store of layout 3 or older deleted a retracted
batch's reports, which stay gone), every report with its uid and point in its batch's order, the
reports each batch carried that an earlier one stored, the original files, each batch's quarantine,
the users' scenario edits (history documents and the line files they name), and the audit log, entry
for entry, with the store's id, so that a tree head published before the move verifies after it. Before the commit,
what the target then holds is read back on the same connection and compared with the source: counts
and SHA-256 digests of each batch's reports, quarantine and files, of the batch table, the carried
reports, the edits and the audit log. A difference raises, and the target stays as it was.

The stored analysis is not copied: it is derived from the reports and the scenario, and the first
update on the new store (an app server's start, or ``python -m geo analyse --store URL``) computes
it there.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import StoreError
from geo.scenario.edits import edits_root
from geo.store import columns as cols
from geo.store.base import pack_rejected, rejected_rows
from geo.store.gpkg import GeoPackageStore
from geo.store.postgis import PostGISStore

# The batch columns copied, in the order both stores are read back in for the comparison.
BATCH_FIELDS = (
    "batch_id", "filename", "sha256", "format", "uploaded_at", "uploader", "n_features", "accepted",
    "rejected", "duplicates", "retracted_at", "notes", "edits", "retracted_by", "retract_reason",
    "restored_at", "restored_by", "restore_reason",
)  # fmt: skip
TIMES = ("uploaded_at", "retracted_at", "restored_at")
EMPTY_HINT = (
    "migrate-store copies into a new store only: create an empty database, run "
    "python -m geo migrate --store URL on it, and give that URL to --to."
)


@dataclass(frozen=True)
class BatchCheck:
    """One batch as copied: its counts and the digests of its reports and quarantine, source and target."""

    batch_id: str
    filename: str
    retracted: bool
    reports: int
    quarantined: int
    source: str
    target: str

    @property
    def same(self) -> bool:
        return self.source == self.target


@dataclass(frozen=True)
class Transfer:
    """What :func:`migrate_store` copied and compared; :meth:`lines` says it for a reader."""

    source: str
    target: str
    batches: tuple[BatchCheck, ...]
    reports: int
    files: int
    edits: int
    digests: dict[str, tuple[str, str]]
    seconds: float
    notes: tuple[str, ...] = field(default=())

    def lines(self) -> list[str]:
        """The report printed by the command: one line per batch, then the totals and the notes."""
        out = [f"copied {self.source} into {self.target} in {self.seconds:.1f} s"]
        for b in self.batches:
            state = f"retracted, {b.reports} reports kept hidden" if b.retracted else f"{b.reports} reports"
            out.append(
                f"  {b.batch_id} {b.filename}: {state}, {b.quarantined} in quarantine; "
                f"sha256 {b.source[:16]} = {b.target[:16]}"
            )
        out.append(
            f"{len(self.batches)} batches, {self.reports} stored reports (hidden ones too), {self.files} files, "
            f"{self.edits} scenario edits: the same in both stores"
        )
        for what, (src, dst) in self.digests.items():
            out.append(f"  {what}: sha256 {src[:16]} = {dst[:16]}")
        out.extend(f"note: {n}" for n in self.notes)
        return out


def _or_none(value: Any, kind: type) -> Any:
    """``value`` as ``kind``, or None when it is missing (None, NaN, NA)."""
    return None if value is None or pd.isna(value) else kind(value)


def _digest(parts: list[Any]) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def _time_text(values: pd.Series) -> list[str | None]:
    """Times (ISO text or datetimes) as UTC ISO 8601 text to the microsecond, None for missing."""
    when = pd.to_datetime(values, utc=True, format="ISO8601")
    text = when.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return text.astype(object).where(when.notna(), None).tolist()


def reports_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a batch's reports as stored, in their order: each column (lon, lat, then
    :data:`geo.store.columns.REPORT_COLUMNS`) as canonical JSON text.

    ``frame`` holds the raw values either store returns (text or datetimes for times, numbers,
    text); numbers are written as the shortest text that reads back as the same float, so no
    rounding hides in the comparison.
    """
    parts: list[Any] = []
    for name in ("lon", "lat", *cols.REPORT_COLUMNS):
        s = frame[name]
        if name in cols.DATETIME:
            values = _time_text(s)
        elif name in cols.INTEGER:
            values = s.astype("Int64").astype(object).where(s.notna(), None).tolist()
            values = [None if v is None else int(v) for v in values]
        elif name in cols.NUMBER or name in ("lon", "lat"):
            values = [None if v is None else repr(float(v)) for v in s.astype(object).where(s.notna(), None)]
        else:
            values = [None if v is None else str(v) for v in s.astype(object).where(s.notna(), None)]
        parts.append([name, values])
    return _digest(parts)


def quarantine_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a batch's rejected features with their issues, as parsed JSON (key order aside)."""
    rows = [
        [_or_none(i, int), _or_none(f, str), json.loads(feature), json.loads(issues)]
        for i, f, feature, issues in frame[["feature_index", "feature_id", "feature", "issues"]].itertuples(
            index=False, name=None
        )
    ]
    return hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _batch_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """The batch table as comparable values: times as UTC text, counts as ints, None for missing."""
    columns = []
    for name in BATCH_FIELDS:
        if name in TIMES:
            columns.append(_time_text(frame[name]))
        elif name in ("n_features", "accepted", "rejected", "duplicates", "edits"):
            columns.append([_or_none(v, int) for v in frame[name].astype(object)])
        else:
            columns.append([_or_none(v, str) for v in frame[name].astype(object)])
    return [list(row) for row in zip(*columns, strict=True)]


@dataclass
class _Source:
    """One consistent read of the GeoPackage store: its batches, files and edits."""

    store: GeoPackageStore
    con: sqlite3.Connection
    batches: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.store.path.parent

    def reports(self, batch_id: str) -> pd.DataFrame:
        names = ", ".join(f'"{c}"' for c in cols.REPORT_COLUMNS)
        return pd.read_sql_query(
            f"SELECT lon, lat, {names} FROM incidents WHERE batch_id = ? ORDER BY fid",
            self.con,
            params=(batch_id,),
        )

    def original(self, batch_id: str, sha256: str) -> bytes:
        path = self.folder / "files" / sha256
        if not path.is_file():
            msg = f"The original file of batch {batch_id} (sha256 {sha256}) is missing from {path.parent}; nothing was copied."
            raise StoreError(
                msg, hint="Restore that folder from a backup of the store, then run migrate-store again."
            )
        content = path.read_bytes()
        if hashlib.sha256(content).hexdigest() != sha256:
            msg = f"The original file of batch {batch_id} at {path} is not the file that was uploaded (its SHA-256 differs); nothing was copied."
            raise StoreError(
                msg, hint="Restore that file from a backup of the store, then run migrate-store again."
            )
        return content

    def rejected(self, batch_id: str, sha256: str, count: int) -> bytes | None:
        """The batch's quarantine as the file both stores keep (:func:`geo.store.base.rejected_file`)."""
        path = self.folder / "files" / f"{sha256}.rejected.json.gz"
        if path.is_file():
            return path.read_bytes()
        # Stores written before the file kept a row per rejected feature: the same content as a file.
        rows = self.con.execute(
            "SELECT feature_index, feature_id, feature, issues FROM quarantine WHERE batch_id = ? ORDER BY fid",
            (batch_id,),
        ).fetchall()
        if rows:
            kept = [
                {
                    "feature_index": i,
                    "feature_id": f,
                    "feature": json.loads(feature),
                    "issues": json.loads(issues),
                }
                for i, f, feature, issues in rows
            ]
            return pack_rejected(kept)
        if count:
            self.notes.append(
                f"{batch_id}: the source records {count} rejected feature(s) but keeps no quarantine for them "
                f"({path.name} is missing); the batch was copied without it."
            )
        return None

    def quarantine(self, batch_id: str) -> pd.DataFrame:
        return self.store.quarantine(batch_id)

    def carried(self) -> list[tuple[str, str, str]]:
        """Each batch's reports that an earlier batch stored: (batch, uid, the batch storing it)."""
        return [
            (str(b), str(u), str(s))
            for b, u, s in self.con.execute(
                "SELECT batch_id, uid, stored_in FROM batch_carried ORDER BY batch_id, uid"
            )
        ]

    def audit(self) -> list[tuple[int, str, str]]:
        """The audit log's entries as stored (number, entry text, leaf hash); none if it was never written."""
        known = self.con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'"
        ).fetchone()
        if known is None:
            return []
        return [
            (int(q), str(e), str(h))
            for q, e, h in self.con.execute("SELECT seq, entry, leaf FROM audit_log ORDER BY seq")
        ]

    def edits(self) -> list[tuple[int, str, str, str]]:
        """The scenario edit history: (seq, file name, document text, made at), oldest first."""
        folder = edits_root(self.store.path) / "history"
        out = []
        for path in sorted(folder.glob("*.geojson")) if folder.is_dir() else []:
            text = path.read_text(encoding="utf-8")
            meta = json.loads(text)["edit"]
            out.append((int(meta["seq"]), path.name, text, str(meta["at"])))
        return out

    def edit_files(self, edits: list[tuple[int, str, str, str]]) -> dict[str, bytes]:
        """The uploaded line files the edits name, by SHA-256."""
        folder = edits_root(self.store.path) / "files"
        out = {}
        for _, name, text, _ in edits:
            sha = json.loads(text)["edit"].get("sha256")
            if not sha:
                continue
            path = folder / sha
            if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha:
                out[sha] = path.read_bytes()
            else:
                self.notes.append(
                    f"the line file {sha[:16]}... of the edit {name} is missing in the source; not copied."
                )
        return out


@contextmanager
def _source(path: Path) -> Iterator[_Source]:
    """The GeoPackage store at ``path`` read in one read transaction (a write meanwhile is not seen)."""
    if not path.is_file():
        msg = f"No GeoPackage store at {path}."
        raise StoreError(
            msg, hint="Give --from the store's .gpkg file (the store_path setting; default var/store.gpkg)."
        )
    store = GeoPackageStore(path)
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as con:
        con.execute("BEGIN")
        try:
            fields = ", ".join(BATCH_FIELDS)
            batches = pd.read_sql_query(f"SELECT fid, {fields} FROM batches ORDER BY fid", con)
            yield _Source(store, con, batches)
        finally:
            con.execute("COMMIT")


def _empty(conn: Any, location: str) -> None:
    counts = conn.execute(
        "select (select count(*) from batches), (select count(*) from reports), (select count(*) from files), "
        "(select count(*) from scenario_edits), (select count(*) from analysis_manifests)"
    ).fetchone()
    if any(counts):
        held = ", ".join(
            f"{n} {what}"
            for n, what in zip(
                counts, ("batches", "reports", "files", "scenario edits", "analyses"), strict=True
            )
            if n
        )
        msg = f"The PostGIS store at {location} is not empty ({held}); nothing was copied."
        raise StoreError(msg, hint=EMPTY_HINT)


def _target_reports(conn: Any, batch_id: str) -> pd.DataFrame:
    names = ", ".join(f'"{c}"' for c in cols.REPORT_COLUMNS)
    cursor = conn.execute(
        f"select st_x(geom) as lon, st_y(geom) as lat, {names} from reports where batch_id = %s order by fid",
        (batch_id,),
    )
    rows = cursor.fetchall()
    return pd.DataFrame(rows, columns=[d.name for d in cursor.description])


def _insert_files(conn: Any, files: dict[str, bytes]) -> None:
    with conn.cursor().copy("copy files (sha256, content) from stdin") as copy:
        for sha, content in files.items():
            copy.write_row((sha, content))


def migrate_store(source: Path | str, url: str) -> Transfer:
    """Copy the GeoPackage store at ``source`` into the empty, migrated PostGIS store at ``url``.

    Returns
    -------
    Transfer
        The counts and digests compared (all equal: a difference raises).

    Raises
    ------
    StoreError
        The source is missing or unreadable, or lacks an original file; the target cannot be
        reached, is not migrated or not empty; the copy differs from the source. The target is
        left as it was.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cm-migrate-store-") as work, _source(Path(source)) as src:
        target = PostGISStore(url, work_dir=work)
        with target._write(f"Copying {src.store.location} into {target.location}") as conn:
            _empty(conn, target.location)
            result = _copy(src, conn, target.location)
            # Sequences are not transactional: moved last, once everything compared equal.
            conn.execute(
                "select setval(pg_get_serial_sequence('batches', 'seq'), greatest(coalesce(max(seq), 0), 1), "
                "max(seq) is not null) from batches"
            )
    return Transfer(
        source=src.store.location, target=target.location, seconds=time.monotonic() - started, **result
    )


def _copy(src: _Source, conn: Any, location: str) -> dict[str, Any]:
    """Write everything of ``src`` on ``conn``, read it back and compare; the Transfer's fields."""
    files: dict[str, bytes] = {}
    checks: list[tuple[str, str, bool, int, str]] = []
    expected_quarantine: dict[str, str] = {}
    rejected_sha: dict[str, str | None] = {}
    for row in src.batches.itertuples(index=False):
        files[row.sha256] = src.original(row.batch_id, row.sha256)
        rejected = src.rejected(row.batch_id, row.sha256, int(row.rejected or 0))
        rejected_sha[row.batch_id] = None
        if rejected is not None:
            rejected_sha[row.batch_id] = hashlib.sha256(rejected).hexdigest()
            files[rejected_sha[row.batch_id]] = rejected
        expected_quarantine[row.batch_id] = quarantine_digest(src.quarantine(row.batch_id))
    edits = src.edits()
    files.update(src.edit_files(edits))
    _insert_files(conn, files)

    for row in src.batches.itertuples(index=False):
        conn.execute(
            "insert into batches (seq, batch_id, filename, sha256, format, uploaded_at, uploader, n_features, "
            "accepted, rejected, duplicates, retracted_at, notes, edits, rejected_sha256, retracted_by, "
            "retract_reason, restored_at, restored_by, restore_reason) overriding system value "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (int(row.fid), row.batch_id, row.filename, row.sha256, row.format, row.uploaded_at, row.uploader,
             *(None if pd.isna(v) else int(v) for v in (row.n_features, row.accepted, row.rejected, row.duplicates)),
             _or_none(row.retracted_at, str), _or_none(row.notes, str), int(row.edits), rejected_sha[row.batch_id],
             _or_none(row.retracted_by, str), _or_none(row.retract_reason, str), _or_none(row.restored_at, str),
             _or_none(row.restored_by, str), _or_none(row.restore_reason, str)),
        )  # fmt: skip
        raw = src.reports(row.batch_id)
        PostGISStore._insert_reports(conn, cols.from_sql(raw))
        checks.append(
            (
                row.batch_id,
                row.filename,
                _or_none(row.retracted_at, str) is not None,
                len(raw),
                reports_digest(raw),
            )
        )

    carried = src.carried()
    with conn.cursor().copy("copy batch_carried (batch_id, uid, stored_in) from stdin") as copy:
        for row in carried:
            copy.write_row(row)
    for seq, name, text, at in edits:
        conn.execute(
            "insert into scenario_edits (seq, name, document, made_at) values (%s, %s, %s, %s)",
            (seq, name, text, at),
        )
    # The log as it stands, entry for entry (not new entries), and the store's id: the store has moved,
    # so the tree heads published of it (they name the id) verify on the target.
    conn.execute("update meta set value = %s where key = 'store_id'", (src.store.store_id,))
    audit = src.audit()
    with conn.cursor().copy("copy audit_log (seq, entry, leaf) from stdin") as copy:
        for row in audit:
            copy.write_row(row)
    PostGISStore._moved(conn)
    return _compare(src, conn, location, checks, expected_quarantine, files, edits, carried, audit)


def _compare(
    src: _Source,
    conn: Any,
    location: str,
    checks: list[tuple[str, str, bool, int, str]],
    expected_quarantine: dict[str, str],
    files: dict[str, bytes],
    edits: list[tuple[int, str, str, str]],
    carried: list[tuple[str, str, str]],
    audit: list[tuple[int, str, str]],
) -> dict[str, Any]:
    """Read back what ``conn`` now holds and compare it with the source; raise on any difference."""
    differences = []
    out = []
    for batch_id, filename, retracted, n, digest in checks:
        back = _target_reports(conn, batch_id)
        got = reports_digest(back)
        if len(back) != n or got != digest:
            differences.append(
                f"{batch_id}: {n} reports in the source, {len(back)} copied (sha256 {digest[:16]} against {got[:16]})"
            )
        content = conn.execute(
            "select f.content from batches b join files f on f.sha256 = b.rejected_sha256 where b.batch_id = %s",
            (batch_id,),
        ).fetchone()
        kept = rejected_rows(batch_id, bytes(content[0])) if content else src.quarantine(batch_id).iloc[:0]
        if quarantine_digest(kept) != expected_quarantine[batch_id]:
            differences.append(f"{batch_id}: its quarantine differs ({len(kept)} rejected features copied)")
        out.append(BatchCheck(batch_id, filename, retracted, len(back), len(kept), digest, got))

    cursor = conn.execute(f"select seq, {', '.join(BATCH_FIELDS)} from batches order by seq")
    back_batches = pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])
    source_rows, target_rows = _batch_rows(src.batches), _batch_rows(back_batches)
    if source_rows != target_rows or src.batches["fid"].tolist() != back_batches["seq"].tolist():
        differences.append("the batch table differs (ids, order or provenance)")

    stored = dict(conn.execute("select sha256, encode(sha256(content), 'hex') from files").fetchall())
    source_files = sorted((sha, hashlib.sha256(c).hexdigest()) for sha, c in files.items())
    if sorted(stored.items()) != source_files:
        differences.append(f"the files differ ({len(files)} in the source, {len(stored)} copied)")

    back_edits = conn.execute("select seq, name, document from scenario_edits order by seq").fetchall()
    source_edits = [[s, n, hashlib.sha256(t.encode()).hexdigest()] for s, n, t, _ in edits]
    target_edits = [[s, n, hashlib.sha256(t.encode()).hexdigest()] for s, n, t in back_edits]
    if source_edits != target_edits:
        differences.append(
            f"the scenario edits differ ({len(edits)} in the source, {len(back_edits)} copied)"
        )

    back_carried = [
        (str(b), str(u), str(s))
        for b, u, s in conn.execute(
            "select batch_id, uid, stored_in from batch_carried order by batch_id, uid"
        )
    ]
    # Compared in one order (the databases' text collations may differ): the content is what counts.
    if sorted(back_carried) != sorted(carried):
        differences.append(
            f"the carried reports differ ({len(carried)} in the source, {len(back_carried)} copied)"
        )
    back_audit = [
        (int(q), str(e), str(h))
        for q, e, h in conn.execute("select seq, entry, leaf from audit_log order by seq")
    ]
    if conn.execute("select value from meta where key = 'store_id'").fetchone()[0] != src.store.store_id:
        differences.append("the store's id was not carried over")
    if back_audit != audit:
        differences.append(
            f"the audit log differs ({len(audit)} entries in the source, {len(back_audit)} copied)"
        )

    total = int(conn.execute("select count(*) from reports").fetchone()[0])
    in_source = int(src.con.execute("SELECT count(*) FROM incidents").fetchone()[0])
    if total != in_source:
        differences.append(f"{in_source} reports in the source, {total} copied (reports outside any batch?)")
    if differences:
        msg = f"The copy into {location} differs from the source, so nothing was kept: {'; '.join(differences)}."
        raise StoreError(msg, hint="Report this with the source store; the target store is as it was.")
    notes = list(src.notes)
    notes.append(
        "the stored analysis was not copied: it is derived, and the first update on the new store "
        "(an app server's start, or python -m geo analyse --store URL) computes it"
    )
    return {
        "batches": tuple(out),
        "reports": total,
        "files": len(stored),
        "edits": len(back_edits),
        "digests": {
            "batch table": (_digest(source_rows), _digest(target_rows)),
            "files": (_digest(source_files), _digest(sorted(stored.items()))),
            "scenario edits": (_digest(source_edits), _digest(target_edits)),
            "carried reports": (_digest(sorted(carried)), _digest(sorted(back_carried))),
            "audit log": (_digest(audit), _digest(back_audit)),
        },
        "notes": tuple(notes),
    }


__all__ = ["BatchCheck", "Transfer", "migrate_store", "quarantine_digest", "reports_digest"]
