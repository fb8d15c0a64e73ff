"""The embedded store: one GeoPackage (SQLite) file, the original files beside it, and a columnar copy."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import shapely

from geo.audit import current_actor
from geo.errors import GeoError, StoreError
from geo.ingest.result import IngestResult
from geo.store import columns as cols
from geo.store import sql
from geo.store.base import (
    BATCH_COLUMNS,
    BATCH_TIMES,
    BatchReceipt,
    audit_write,
    checked_frame,
    refuse_strict,
    rejected_file,
    rejected_rows,
    required_reason,
    stored_digest,
    visible_entries,
)
from geo.store.columnar import ColumnarCopy, query_filters
from geo.store.derived import AnalysisFiles, KeptAnalysis

# The reports of retracted batches that an active batch also carried (:meth:`GeoPackageStore.incidents`):
# the batch storing each, and its uid.
_RESCUED = """
SELECT i.batch_id, i.uid FROM incidents i
JOIN batches s ON s.batch_id = i.batch_id AND s.retracted_at IS NOT NULL
WHERE i.uid IN (SELECT c.uid FROM batch_carried c JOIN batches a ON a.batch_id = c.batch_id AND a.retracted_at IS NULL)
"""
_VISIBLE_COUNT = f"""
SELECT (SELECT count(*) FROM incidents WHERE batch_id IN (SELECT batch_id FROM batches WHERE retracted_at IS NULL))
     + (SELECT count(*) FROM ({_RESCUED}))
"""
# The batches whose reports are shown (:meth:`GeoPackageStore.listing`): the active ones with their
# outside edits; a retracted one whose reports an active batch carried with a negative number of its
# edits and of how many are shown.
_LISTING = f"""
SELECT b.batch_id, CASE WHEN b.retracted_at IS NULL THEN b.edits ELSE -(1 + b.edits + (r.n << 32)) END
FROM batches b LEFT JOIN (SELECT batch_id, count(*) AS n FROM ({_RESCUED}) GROUP BY batch_id) r
ON r.batch_id = b.batch_id
WHERE b.retracted_at IS NULL OR r.n > 0 ORDER BY b.fid
"""
LIST_HINT = "List the batch ids with `python -m geo batches` or on the Upload page."
WRITE_HINT = "Check the disk space and that no other program is writing to the store, then retry."


def _now() -> str:
    """The current time as GeoPackage writes DATETIME: ISO 8601 UTC with milliseconds."""
    return pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _when(text: str) -> str:
    """A stored DATETIME as a reader writes it: '2026-11-25 08:14 UTC'."""
    return pd.Timestamp(text).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


@contextmanager
def _own_writes(con: sqlite3.Connection) -> Iterator[None]:
    """Mark the transaction's row changes as ours, so the outside-edit triggers stay quiet.

    The marker row never outlives the transaction: it is deleted before the commit and a rollback
    removes it with everything else.
    """
    con.execute("INSERT INTO meta (key, value) VALUES ('writing', '1')")
    yield
    con.execute("DELETE FROM meta WHERE key = 'writing'")


def _live_again(batch_id: str, other: str) -> StoreError:
    """The refusal to restore a batch whose file was uploaded again as ``other``, which is active."""
    msg = (
        f"Batch {batch_id} cannot be restored: its file was uploaded again as batch {other}, which is "
        "active (a file is live as one batch at a time); nothing was changed."
    )
    return StoreError(
        msg, hint=f"Keep {other}, or retract {other} (with a reason) and then restore {batch_id}."
    )


class GeoPackageStore(KeptAnalysis):
    """A store in one GeoPackage file that QGIS and GDAL open as they are.

    Parameters
    ----------
    path
        The ``.gpkg`` file; created with its folder if absent. Original files are kept in
        ``<folder>/files/<sha256>``, the columnar copy in ``<folder>/columnar/``, derived tables
        in ``<folder>/derived/``.

    Raises
    ------
    StoreError
        When ``path`` is a file but not a store of this layout.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._files = self.path.parent / "files"
        self._id = self._open()
        self._columnar = ColumnarCopy(self.path.parent / "columnar", self._id)
        self._analysis = AnalysisFiles(self.path.parent / "derived", self._id)

    def _connect(self) -> sqlite3.Connection:
        try:
            return sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            msg = f"Cannot open the store {self.path} ({exc})."
            raise StoreError(msg, hint="Check the store_path setting and the folder's permissions.") from None

    def _open(self) -> str:
        """Create the GeoPackage if it is new; check its layout; return the store's id."""
        try:
            with closing(self._connect()) as con:
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if not tables:
                    self._create(con)
                    tables = {"meta"}
                meta = dict(con.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
        except sqlite3.Error as exc:
            msg = f"The store {self.path} is not a readable GeoPackage ({exc})."
            raise StoreError(
                msg, hint="Point store_path at a new file or at a store this program made."
            ) from None
        if "store_id" not in meta:
            msg = f"{self.path} is a SQLite or GeoPackage file but not a Ceasefire Monitor store."
            raise StoreError(msg, hint="Point store_path at a new file; the store is created there.")
        if meta.get("schema") in sql.UPGRADES:
            self._upgrade(meta["schema"])
            meta["schema"] = sql.SCHEMA_VERSION
        if meta.get("schema") != sql.SCHEMA_VERSION:
            msg = (
                f"The store {self.path} has layout {meta.get('schema')!r}; this version of the program "
                f"reads layout {sql.SCHEMA_VERSION!r}."
            )
            raise StoreError(
                msg, hint=f"Start a new store and ingest again the original files kept in {self._files}."
            )
        return meta["store_id"]

    def _upgrade(self, layout: str) -> None:
        """Bring a store of an older layout to this one in one transaction: add the report columns it
        lacks (:data:`geo.store.sql.UPGRADES`) and the record of retraction (the batch columns of
        :data:`geo.store.sql.RETRACTION_COLUMNS`, the ``batch_carried`` table).

        Nothing stored changes: the new columns are empty (their schema defaults are empty too), a
        store of layout 3 recorded no carried reports (its retractions deleted the reports), and the
        columnar copy, when report columns were added, is removed so that it is rebuilt from the
        GeoPackage on the next read.
        """
        with closing(self._connect()) as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                meta = dict(con.execute("SELECT key, value FROM meta"))
                if meta.get("schema") == layout:  # another process may have upgraded it meanwhile
                    have = {r[1] for r in con.execute("PRAGMA table_info(incidents)")}
                    for column in sql.UPGRADES[layout]:
                        if column not in have:
                            con.execute(f'ALTER TABLE incidents ADD COLUMN "{column}" TEXT')
                    have = {r[1] for r in con.execute("PRAGMA table_info(batches)")}
                    for column, kind in sql.RETRACTION_COLUMNS:
                        if column not in have:
                            con.execute(f'ALTER TABLE batches ADD COLUMN "{column}" {kind}')
                    for statement in sql.RETRACTION_DDL:
                        con.execute(statement)
                    con.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (sql.SCHEMA_VERSION,))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        if sql.UPGRADES[layout]:
            shutil.rmtree(self.path.parent / "columnar" / meta["store_id"], ignore_errors=True)

    def _create(self, con: sqlite3.Connection) -> None:
        con.execute("BEGIN IMMEDIATE")
        try:
            if con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                con.execute("ROLLBACK")  # another process created it in the meantime
                return
            # executescript would commit at once; each statement runs inside this transaction instead.
            for statement in sql.SCHEMA:
                con.execute(statement)
            con.execute(f"PRAGMA application_id = {sql.APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {sql.USER_VERSION}")
            con.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", sql.SRS_ROWS)
            con.executemany(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
                "VALUES (?, ?, ?, ?, ?)",
                sql.CONTENTS,
            )
            con.execute("INSERT INTO gpkg_geometry_columns VALUES ('incidents', 'geom', 'POINT', 4326, 0, 0)")
            con.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("revision", "0"), ("schema", sql.SCHEMA_VERSION), ("store_id", uuid.uuid4().hex[:16])],
            )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    @contextmanager
    def _write(self, what: str) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back on any failure.

        A failure that is not already a :class:`GeoError` becomes a StoreError naming ``what``.
        """
        try:
            with closing(self._connect()) as con:
                # Index pages of 100k random (lon, lat) keys thrash SQLite's default 2 MB cache.
                con.execute("PRAGMA cache_size = -131072")
                con.execute("BEGIN IMMEDIATE")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
        except GeoError:
            raise
        except Exception as exc:
            msg = f"{what} failed ({type(exc).__name__}: {exc}); nothing was changed."
            raise StoreError(msg, hint=WRITE_HINT) from exc

    def _read(self, query: str, params: tuple = ()) -> pd.DataFrame:
        with closing(self._connect()) as con:
            return pd.read_sql_query(query, con, params=params)

    def _scalar(self, query: str, params: tuple = ()) -> Any:
        with closing(self._connect()) as con:
            row = con.execute(query, params).fetchone()
        return None if row is None else row[0]

    @property
    def store_id(self) -> str:
        """This store's identity: a new store made at the same path has another."""
        return self._id

    def revision(self) -> int:
        """Return a number that changes on every write, ours or another program's."""
        return int(self._scalar("SELECT value FROM meta WHERE key = 'revision'"))

    def listing(self) -> tuple[int, tuple[tuple[str, int], ...]]:
        """Return the revision and the batches whose reports are shown, oldest first, read together
        (one read transaction): what the store shows at that revision.

        An active batch comes with its count of outside edits; a retracted batch some of whose
        reports an active batch carried (they are still shown) with a negative number that changes
        with its outside edits and with how many of its reports are shown.
        """
        with closing(self._connect()) as con:
            con.execute("BEGIN")
            try:
                revision = int(con.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])
                rows = con.execute(_LISTING).fetchall()
            finally:
                con.execute("COMMIT")
        return revision, tuple((str(b), int(e)) for b, e in rows)

    def count(self) -> int:
        """Return the number of visible reports: active batches' and those an active batch carried."""
        return int(self._scalar(_VISIBLE_COUNT))

    @staticmethod
    def _visible(con: sqlite3.Connection) -> int:
        return int(con.execute(_VISIBLE_COUNT).fetchone()[0])

    def _keep_file(self, sha256: str, original: bytes, *, name: str | None = None) -> bool:
        """Write ``original`` under its hash (or ``name``), atomically; return whether it was new."""
        target = self._files / (name or sha256)
        if target.exists():
            return False
        self._files.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._files, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(original)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        return True

    @staticmethod
    def _report_name(sha256: str) -> str:
        """The file of a batch's rejected features and their issues, beside its original."""
        return f"{sha256}.rejected.json.gz"

    def _keep_report(self, result: IngestResult) -> bool:
        """Write the rejected features with their issues (:func:`geo.store.base.rejected_file`) beside
        the original; return whether new. That file is what :meth:`quarantine` reads."""
        content = rejected_file(result)
        if content is None:
            return False
        return self._keep_file(result.sha256, content, name=self._report_name(result.sha256))

    def add_batch(
        self, result: IngestResult, *, original: bytes, uploader: str = "", strict: bool = False
    ) -> BatchReceipt:
        """Store a validated batch: the batch row, its new reports and its quarantine in one transaction.

        The original file is written (atomically, under its SHA-256) inside the transaction and
        before the commit, so a committed batch always has its file; a failed one leaves none.

        Parameters
        ----------
        result
            What :func:`geo.ingest.read_batch` returned for ``original``.
        original
            The uploaded file's bytes, kept as they came.
        uploader
            Who uploaded it, for the batch record.
        strict
            Refuse the whole batch when any feature was rejected.

        Raises
        ------
        StoreError
            With ``strict`` when any feature was rejected, or when the write fails; nothing is
            changed then.
        """
        refuse_strict(result, strict)
        frame = checked_frame(result)
        created = reported = False
        try:
            with self._write(f"Storing {result.filename}") as con:
                previous = con.execute(
                    "SELECT batch_id, uploaded_at FROM batches WHERE sha256 = ? AND retracted_at IS NULL "
                    "ORDER BY fid LIMIT 1",
                    (result.sha256,),
                ).fetchone()
                if previous is not None:
                    return BatchReceipt.already(result, previous[0], _when(previous[1]))
                fid = con.execute("SELECT coalesce(max(fid), 0) + 1 FROM batches").fetchone()[0]
                batch_id = f"b{fid:06d}"
                # A report already stored, or repeated within this file, is a duplicate: the first stays.
                existing = self._existing(con, frame)
                dup = frame["uid"].duplicated().to_numpy() | frame["uid"].isin(existing)
                new = cols.at_store_precision(frame.loc[~dup]).assign(batch_id=batch_id)
                dup_uids = tuple(sorted(set(frame.loc[dup, "uid"])))
                created = self._keep_file(result.sha256, original)
                reported = self._keep_report(result)
                with _own_writes(con):
                    con.execute(
                        "INSERT INTO batches (fid, batch_id, filename, sha256, format, uploaded_at, uploader, "
                        "n_features, accepted, rejected, duplicates, notes) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (fid, batch_id, result.filename, result.sha256, result.format, _now(), uploader,
                         result.n_features, len(new), len(result.rejected), int(dup.sum()),
                         json.dumps(result.notes, ensure_ascii=False)),
                    )  # fmt: skip
                    self._insert_reports(con, new)
                    # The reports it carried that were stored before stay shown while it is active.
                    con.executemany(
                        "INSERT INTO batch_carried (batch_id, uid, stored_in) VALUES (?, ?, ?)",
                        ((batch_id, uid, stored_in) for uid, stored_in in sorted(existing.items())),
                    )
                    self._touch(con, new)
                audit_write(
                    con, "sqlite", action="ingest",
                    what={"batch_id": batch_id, "filename": result.filename, "format": result.format,
                          "uploader": uploader, "n_features": result.n_features, "accepted": len(new),
                          "rejected": len(result.rejected), "duplicates": int(dup.sum()),
                          "carried": len(existing)},
                    hashes={"file": result.sha256, "reports": stored_digest(new)},
                )  # fmt: skip
        except StoreError:
            if created:
                (self._files / result.sha256).unlink(missing_ok=True)
            if reported:
                (self._files / self._report_name(result.sha256)).unlink(missing_ok=True)
            raise
        # The copy is derived: when it cannot be written now, the next read rebuilds it from the GeoPackage.
        with suppress(OSError):
            self._columnar.write(batch_id, 0, new)
        return BatchReceipt.stored(
            result, batch_id, accepted=len(new), duplicates=int(dup.sum()), duplicate_uids=dup_uids
        )

    @staticmethod
    def _existing(con: sqlite3.Connection, frame: pd.DataFrame) -> dict[str, str]:
        """The uids of ``frame`` already stored, shown or hidden, with the batch storing each (one join
        instead of a query per report)."""
        con.execute("CREATE TEMP TABLE IF NOT EXISTS new_uids (uid TEXT PRIMARY KEY)")
        con.execute("DELETE FROM new_uids")
        con.executemany("INSERT OR IGNORE INTO new_uids VALUES (?)", ((u,) for u in frame["uid"].tolist()))
        rows = con.execute(
            "SELECT n.uid, i.batch_id FROM new_uids n JOIN incidents i ON i.uid = n.uid"
        ).fetchall()
        return {str(u): str(b) for u, b in rows}

    @staticmethod
    def _insert_reports(con: sqlite3.Connection, frame: gpd.GeoDataFrame) -> None:
        if frame.empty:
            return
        geoms = frame.geometry.values
        values = cols.sql_values(frame)
        names = ", ".join(f'"{c}"' for c in cols.REPORT_COLUMNS)
        marks = ", ".join("?" * (len(cols.REPORT_COLUMNS) + 3))
        con.executemany(
            f"INSERT INTO incidents (geom, lon, lat, {names}) VALUES ({marks})",
            zip(sql.geometry_blobs(geoms), shapely.get_x(geoms).tolist(), shapely.get_y(geoms).tolist(),
                *values, strict=True),
        )  # fmt: skip

    @staticmethod
    def _touch(con: sqlite3.Connection, added: gpd.GeoDataFrame) -> None:
        """Bump the revision; keep gpkg_contents' change time and extent current (grown by the points
        ``added``; nothing stored is ever deleted, so it never shrinks)."""
        con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'")
        if added.empty:
            extent, assign = (), "min_x = min_x"
        else:
            extent = tuple(float(v) for v in added.total_bounds)
            assign = (
                "min_x = min(coalesce(min_x, ?1), ?1), min_y = min(coalesce(min_y, ?2), ?2), "
                "max_x = max(coalesce(max_x, ?3), ?3), max_y = max(coalesce(max_y, ?4), ?4)"
            )
        con.execute(
            f"UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), {assign} "
            "WHERE table_name = 'incidents'",
            extent,
        )

    def incidents(
        self,
        *,
        start: Any = None,
        end: Any = None,
        bbox: tuple[float, float, float, float] | None = None,
        where: dict[str, list] | None = None,
        batches: list[str] | None = None,
        hidden: bool = False,
    ) -> gpd.GeoDataFrame:
        """Return the visible reports as the normalised incident frame with ``batch_id``.

        A report is visible while the batch storing it is active, or while any active batch also
        carried it (it came again in a later file; it is stored once, under the first batch, and
        ``batch_id`` names that one). The reports come in the order stored, whatever is retracted.

        Parameters
        ----------
        batches
            Only these batches' reports (ids from :meth:`listing`; a retracted one gives those an
            active batch carried, with ``hidden`` all of them).
        hidden
            Every stored report, retracted batches' too (for the audit's checks and the Upload page).
        start, end
            Inclusive bounds on ``occurred_at`` (ISO 8601 text or timestamps; naive means UTC).
        bbox
            ``(lon_min, lat_min, lon_max, lat_max)``, inclusive.
        where
            Column -> accepted values, e.g. ``{"type": ["impact"], "source": ["OP-7"]}``.

        Raises
        ------
        StoreError
            For an unknown column in ``where``, a value of the wrong type or a malformed box.
        """
        filters = query_filters(start=start, end=end, bbox=bbox, where=where)
        try:
            chosen = None if batches is None else set(batches)
            try:
                return self._columnar.read(self._entries(chosen, hidden), self._batch_from_sql, filters)
            except FileNotFoundError:
                # Another process rewrote a batch's copy between the listing and the read: list again.
                return self._columnar.read(self._entries(chosen, hidden), self._batch_from_sql, filters)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            msg = f"Cannot filter the reports with {where!r} ({exc})."
            raise StoreError(
                msg, hint="Give each column values of its own type (text, whole numbers)."
            ) from None

    def _entries(self, chosen: set[str] | None, hidden: bool) -> list[tuple[str, int, frozenset[str] | None]]:
        """The batches' copies to read (:func:`geo.store.base.visible_entries`), read together."""
        with closing(self._connect()) as con:
            con.execute("BEGIN")
            try:
                rows = con.execute(
                    "SELECT batch_id, edits, retracted_at IS NULL FROM batches ORDER BY fid"
                ).fetchall()
                rescued: dict[str, set[str]] = {}
                for b, uid in [] if hidden else con.execute(_RESCUED).fetchall():
                    rescued.setdefault(b, set()).add(uid)
            finally:
                con.execute("COMMIT")
        return visible_entries([(b, int(e), hidden or bool(a)) for b, e, a in rows], rescued, chosen)

    def _batch_from_sql(self, batch_id: str, con: sqlite3.Connection | None = None) -> gpd.GeoDataFrame:
        """A batch's stored reports, read on ``con`` (a write's own transaction) or a new connection."""
        names = ", ".join(f'"{c}"' for c in cols.REPORT_COLUMNS)
        query = f"SELECT lon, lat, {names} FROM incidents WHERE batch_id = ? ORDER BY fid"
        rows = (
            self._read(query, (batch_id,))
            if con is None
            else pd.read_sql_query(query, con, params=(batch_id,))
        )
        return cols.from_sql(rows)

    def batches(self) -> pd.DataFrame:
        """Return one row per batch, oldest first (columns :data:`BATCH_COLUMNS`)."""
        frame = self._read(f"SELECT {', '.join(BATCH_COLUMNS)} FROM batches ORDER BY fid")
        for c in BATCH_TIMES:
            frame[c] = pd.to_datetime(frame[c], utc=True, format="ISO8601").dt.as_unit("ns")
        return frame

    def _unknown_batch(self, batch_id: str) -> StoreError:
        recent = self._read("SELECT batch_id FROM batches ORDER BY fid DESC LIMIT 5")["batch_id"].tolist()
        known = f" The latest are {', '.join(reversed(recent))}." if recent else " It holds no batch yet."
        msg = f"There is no batch {batch_id!r} in the store {self.path}.{known}"
        return StoreError(msg, hint=LIST_HINT)

    def retract_batch(self, batch_id: str, *, reason: str) -> int:
        """Hide a batch's reports in one transaction, recording who (:func:`geo.audit.current_actor`),
        when and why; its reports, row, quarantine and file stay. The reports another active batch
        also carried stay visible.

        Returns
        -------
        int
            The number of reports that left view.

        Raises
        ------
        StoreError
            For a missing reason, an unknown batch id or a batch already retracted; nothing changes.
        """
        why = required_reason(reason, "retract", batch_id)
        with self._write(f"Retracting batch {batch_id}") as con:
            row = con.execute(
                "SELECT retracted_at, retracted_by, filename, sha256 FROM batches WHERE batch_id = ?",
                (batch_id,),
            ).fetchone()
            if row is None:
                raise self._unknown_batch(batch_id)
            if row[0] is not None:
                msg = f"Batch {batch_id} was already retracted on {_when(row[0])} by {row[1] or 'an unnamed user'}; nothing was changed."
                raise StoreError(
                    msg, hint=f"To show its reports again: python -m geo restore {batch_id} --reason TEXT."
                )
            before = self._visible(con)
            with _own_writes(con):
                con.execute(
                    "UPDATE batches SET retracted_at = ?, retracted_by = ?, retract_reason = ? WHERE batch_id = ?",
                    (_now(), current_actor(), why, batch_id),
                )
                self._moved(con)
            hidden = before - self._visible(con)
            self._audit_batch(con, "retract", batch_id, row[2], row[3], why, hidden)
        return hidden

    def restore_batch(self, batch_id: str, *, reason: str) -> int:
        """Show a retracted batch's reports again, in one transaction, recording who, when and why.

        Returns
        -------
        int
            The number of reports that came back into view (those another active batch carried
            never left).

        Raises
        ------
        StoreError
            For a missing reason, an unknown batch id, a batch not retracted, or one whose file was
            uploaded again since as another active batch; nothing changes.
        """
        why = required_reason(reason, "restore", batch_id)
        with self._write(f"Restoring batch {batch_id}") as con:
            row = con.execute(
                "SELECT retracted_at, filename, sha256 FROM batches WHERE batch_id = ?", (batch_id,)
            ).fetchone()
            if row is None:
                raise self._unknown_batch(batch_id)
            if row[0] is None:
                msg = f"Batch {batch_id} is not retracted; nothing was changed."
                raise StoreError(msg, hint=LIST_HINT)
            again = con.execute(
                "SELECT batch_id FROM batches WHERE sha256 = ? AND retracted_at IS NULL", (row[2],)
            ).fetchone()
            if again is not None:
                raise _live_again(batch_id, again[0])
            before = self._visible(con)
            with _own_writes(con):
                con.execute(
                    "UPDATE batches SET retracted_at = NULL, restored_at = ?, restored_by = ?, restore_reason = ? "
                    "WHERE batch_id = ?",
                    (_now(), current_actor(), why, batch_id),
                )
                self._moved(con)
            shown = self._visible(con) - before
            self._audit_batch(con, "restore", batch_id, row[1], row[2], why, shown)
        return shown

    @staticmethod
    def _moved(con: sqlite3.Connection) -> None:
        """Move the revision and the table's change time: the stored rows (and the extent) are as they were."""
        con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'")
        con.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
            "WHERE table_name = 'incidents'"
        )

    def _audit_batch(
        self,
        con: sqlite3.Connection,
        action: str,
        batch_id: str,
        filename: str,
        sha256: str,
        reason: str,
        n: int,
    ) -> None:
        """The audit entry of a retraction or restoration: the batch, its file and its stored reports."""
        stored = self._batch_from_sql(batch_id, con)
        audit_write(
            con, "sqlite", action=action,
            what={"batch_id": batch_id, "filename": filename, "reason": reason,
                  ("hidden" if action == "retract" else "shown"): n, "stored": len(stored)},
            hashes={"file": sha256, "reports": stored_digest(stored)},
        )  # fmt: skip

    def quarantine(self, batch_id: str | None = None) -> pd.DataFrame:
        """Return the rejected features: batch_id, feature_index, feature_id, feature (JSON), issues (JSON).

        A batch's rejected features are kept in one compressed file beside its original
        (``<sha256>.rejected.json.gz``); stores written before that kept them as rows of the
        ``quarantine`` table, which are read too.
        """
        where, params = "", ()
        if batch_id is not None:
            if self._scalar("SELECT 1 FROM batches WHERE batch_id = ?", (batch_id,)) is None:
                raise self._unknown_batch(batch_id)
            where, params = " WHERE batch_id = ?", (batch_id,)
        rows = self._read(
            "SELECT batch_id, feature_index, feature_id, feature, issues FROM quarantine"
            + where
            + " ORDER BY fid",
            params,
        )
        batches = self._read("SELECT batch_id, sha256 FROM batches" + where + " AND rejected > 0 ORDER BY fid"
                             if where else "SELECT batch_id, sha256 FROM batches WHERE rejected > 0 ORDER BY fid",
                             params)  # fmt: skip
        parts = [rows]
        for bid, sha256 in batches.itertuples(index=False):
            path = self._files / self._report_name(sha256)
            if path.is_file():
                parts.append(rejected_rows(bid, path.read_bytes()))
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else rows

    def original_file(self, batch_id: str) -> Path:
        """Return the path of the file the batch came from (``<store dir>/files/<sha256>``)."""
        sha256 = self._scalar("SELECT sha256 FROM batches WHERE batch_id = ?", (batch_id,))
        if sha256 is None:
            raise self._unknown_batch(batch_id)
        path = self._files / sha256
        if not path.is_file():
            msg = f"The original file of batch {batch_id} (sha256 {sha256}) is missing from {self._files}."
            raise StoreError(msg, hint="Restore the folder from a backup; the reports themselves are intact.")
        return path
