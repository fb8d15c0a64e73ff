"""The mission-wide store: one PostgreSQL/PostGIS database that every app server shares (issue 14).

The database holds everything a store holds (reports, batches, original files, quarantine, the
stored analysis, the users' scenario edits), so that every app server sees the same truth. A server
keeps local copies of what it read, each named so that a stale one is never read: the columnar copy
of each batch (by batch and outside edits, as the GeoPackage store does), the analysis's partitions
(immutable, named by a token) and the original files (by SHA-256).

Concurrency is the database's: each write is one transaction; the writes that read before they write
(a batch's duplicates, a retraction) take one transaction-scoped advisory lock, so two uploads at once
land one after the other, each seeing the other's reports; unique constraints back it (one live
batch per file, one report per uid and per (source, id)). Readers never wait and never see half a
write.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geo.audit import current_actor
from geo.cores import cores
from geo.errors import GeoError, StoreError
from geo.ingest.result import IngestResult
from geo.store import columns as cols
from geo.store.base import (
    BATCH_COLUMNS,
    BATCH_TIMES,
    QUARANTINE_COLUMNS,
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
from geo.store.derived import AnalysisFiles, KeptAnalysis, read_partition
from geo.store.migrate import connect, migrations, reason, shown

# Any number, the same in every process: pg_advisory_xact_lock's key for the store's writes.
WRITE_LOCK = 0x43_4D_57_52  # 'CMWR'
# How many analyses the database keeps (newest first): another server may still be reading or
# updating from one a little older than the newest.
KEPT_ANALYSES = 4
# The reports of retracted batches that an active batch also carried (see the GeoPackage store's):
# the batch storing each, and its uid.
_RESCUED = """
select i.batch_id, i.uid from reports i
join batches s on s.batch_id = i.batch_id and s.retracted_at is not null
where i.uid in (select c.uid from batch_carried c join batches a on a.batch_id = c.batch_id and a.retracted_at is null)
"""
_VISIBLE_COUNT = f"""
select (select count(*) from reports where batch_id in (select batch_id from batches where retracted_at is null))
     + (select count(*) from ({_RESCUED}) rescued)
"""
# The batches whose reports are shown (see the GeoPackage store's :meth:`listing`).
_LISTING = f"""
select b.batch_id, case when b.retracted_at is null then b.edits else -(1 + b.edits + (r.n << 32)) end
from batches b left join (select batch_id, count(*) as n from ({_RESCUED}) rescued group by batch_id) r
on r.batch_id = b.batch_id
where b.retracted_at is null or r.n > 0 order by b.seq
"""
LIST_HINT = "List the batch ids with `python -m geo batches` or on the Upload page."
WRITE_HINT = "Check that the database server runs and has disk space, then retry."


def _when(value: pd.Timestamp | Any) -> str:
    """A stored time as a reader writes it: '2026-11-25 08:14 UTC'."""
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


def _text_columns(frame: gpd.GeoDataFrame) -> list[list[str | None]]:
    """Each report column as text for COPY (None for missing), then the point as hex EWKB."""
    out = []
    for name in cols.REPORT_COLUMNS:
        s = frame[name]
        if name in cols.DATETIME:
            text = s.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
        elif name in cols.INTEGER:
            text = s.astype("Int64").astype("str")
        elif name in cols.NUMBER:
            text = s.astype(float).astype("str")  # numpy's shortest text that reads back as the same number
        else:
            text = s.astype("str")
        out.append(text.astype(object).where(s.notna(), None).tolist())
    points = shapely.set_srid(frame.geometry.values, 4326)
    out.append(shapely.to_wkb(points, hex=True, include_srid=True).tolist())
    return out


def _refuse_nul(frame: gpd.GeoDataFrame, filename: str) -> None:
    """Refuse reports with a NUL character in a text field, naming the first: PostgreSQL text cannot
    hold one (the GeoPackage store keeps it), and the write would fail with the database's words."""
    for name in cols.REPORT_COLUMNS:
        if name not in frame or name in cols.DATETIME or name in cols.INTEGER or name in cols.NUMBER:
            continue
        text = frame[name].astype("str")
        found = text.str.contains("\x00", regex=False).to_numpy() & frame[name].notna().to_numpy()
        if found.any():
            at = int(np.flatnonzero(found)[0])
            msg = (
                f"{int(found.sum())} report(s) of {filename} have a NUL character (\\u0000) in their "
                f"{name!r}, first the report with id {frame['id'].iloc[at]!r}: the PostGIS store cannot keep it."
            )
            hint = "Remove the NUL characters (invisible control characters) from the file, then upload it again."
            raise StoreError(msg, hint=hint)


class PostGISStore(KeptAnalysis):
    """A store in a PostgreSQL database with PostGIS, its schema made by ``python -m geo migrate``.

    Parameters
    ----------
    url
        ``postgresql://user[:password]@host[:port]/database``.
    work_dir
        A local folder for this server's copies of what it read from the database (in
        ``postgis-<store id>/`` under it); losing it loses nothing.

    Raises
    ------
    StoreError
        When the server cannot be reached, or the database is not migrated to this version.
    """

    def __init__(self, url: str, *, work_dir: Path | str) -> None:
        self.url = url
        self.location = shown(url)
        self._id = self._open()
        self.path = Path(work_dir) / f"postgis-{self._id}"
        self.path.mkdir(parents=True, exist_ok=True)
        self._files = self.path / "files"
        self._columnar = ColumnarCopy(self.path / "columnar", self._id)
        self._analysis = DatabaseAnalysis(self, self.path / "derived", self._id)
        self.edits = DatabaseEdits(self)

    def _open(self) -> str:
        """Check the schema is this version's; return the store's id."""
        import psycopg

        want = {m.version for m in migrations()}
        with connect(self.url) as conn:
            try:
                have = {r[0] for r in conn.execute("select version from schema_migrations")}
                store_id = conn.execute("select value from meta where key = 'store_id'").fetchone()[0]
            except psycopg.errors.InsufficientPrivilege as exc:
                # Not an unmigrated database: migrating it as this role would be refused too.
                msg = (
                    f"The PostGIS store at {self.location} refuses the role {conn.info.user!r}: {reason(exc)}"
                )
                raise StoreError(
                    msg,
                    hint="Connect as the role that ran python -m geo migrate, or have the database's owner "
                    "grant this role use of the store's tables.",
                ) from None
            except psycopg.Error:
                have, store_id = set(), None
        if have != want or store_id is None:
            newer = sorted(have - want)
            if newer:
                msg = f"The PostGIS store at {self.location} was migrated by a newer version of Ceasefire Monitor."
                raise StoreError(msg, hint="Run this store with that version or a later one.")
            msg = f"The database at {self.location} is not a Ceasefire Monitor store of this version (its schema is not migrated)."
            raise StoreError(msg, hint=f"Run: python -m geo migrate --store {self.location}")
        return str(store_id)

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        """A connection for one operation; errors of the database become StoreErrors."""
        import psycopg

        try:
            with connect(self.url) as conn:
                yield conn
        except GeoError:
            raise
        except psycopg.Error as exc:
            msg = f"The PostGIS store at {self.location} failed: {reason(exc)}"
            raise StoreError(msg, hint=WRITE_HINT) from exc

    @contextmanager
    def _write(self, what: str) -> Iterator[Any]:
        """One write transaction, in turn with every other write of the store; nothing kept on failure.

        The transaction says the changes are this program's (``cm.writing``), so the outside-edit
        triggers stay quiet; a write that changes something moves the revision (:meth:`_moved`).
        """
        import psycopg

        try:
            with connect(self.url) as conn, conn.transaction():
                conn.execute("select pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                conn.execute("select set_config('cm.writing', 'on', true)")
                yield conn
        except GeoError:
            raise
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            msg = f"{what} failed: the PostGIS store at {self.location} is a read-only server (a standby); nothing was changed."
            raise StoreError(
                msg, hint="Point store_url at the primary server: app servers write (docs/DEPLOY.md)."
            ) from exc
        except psycopg.Error as exc:
            msg = f"{what} failed ({reason(exc)}); nothing was changed."
            raise StoreError(msg, hint=WRITE_HINT) from exc
        except Exception as exc:  # rolled back all the same; said as the GeoPackage store says it
            msg = f"{what} failed ({type(exc).__name__}: {exc}); nothing was changed."
            raise StoreError(msg, hint=WRITE_HINT) from exc

    @staticmethod
    def _moved(conn: Any) -> None:
        """Move the revision, once per write that changed something."""
        conn.execute("update meta set value = (value::bigint + 1)::text where key = 'revision'")

    def _rows(self, query: str, params: tuple = ()) -> list[tuple]:
        with self._conn() as conn:
            return conn.execute(query, params).fetchall()

    @property
    def store_id(self) -> str:
        """This store's identity: another database, or this one made again, has another."""
        return self._id

    def revision(self) -> int:
        """Return a number that changes on every write, ours or another program's."""
        return int(self._rows("select value from meta where key = 'revision'")[0][0])

    def listing(self) -> tuple[int, tuple[tuple[str, int], ...]]:
        """Return the revision and the batches whose reports are shown, oldest first (see
        :meth:`geo.store.gpkg.GeoPackageStore.listing`), as of one snapshot of the database."""
        with self._conn() as conn, conn.transaction():
            conn.execute("set transaction isolation level repeatable read")
            revision = int(conn.execute("select value from meta where key = 'revision'").fetchone()[0])
            rows = conn.execute(_LISTING).fetchall()
        return revision, tuple((str(b), int(e)) for b, e in rows)

    def count(self) -> int:
        """Return the number of visible reports: active batches' and those an active batch carried."""
        return int(self._rows(_VISIBLE_COUNT)[0][0])

    @staticmethod
    def _visible(conn: Any) -> int:
        return int(conn.execute(_VISIBLE_COUNT).fetchone()[0])

    def add_batch(
        self, result: IngestResult, *, original: bytes, uploader: str = "", strict: bool = False
    ) -> BatchReceipt:
        """Store a validated batch: its file, its row, its new reports and its quarantine, in one
        transaction (see :meth:`geo.store.gpkg.GeoPackageStore.add_batch`)."""
        refuse_strict(result, strict)
        frame = checked_frame(result)
        _refuse_nul(frame, result.filename)
        if hashlib.sha256(original).hexdigest() != result.sha256:
            msg = f"The bytes given for {result.filename} are not the file that was validated (SHA-256 differs)."
            raise StoreError(msg, hint="Store the file exactly as it was read by geo.ingest.read_batch.")
        rejected = rejected_file(result)
        rejected_sha = None if rejected is None else hashlib.sha256(rejected).hexdigest()
        with self._write(f"Storing {result.filename}") as conn:
            previous = conn.execute(
                "select batch_id, uploaded_at from batches where sha256 = %s and retracted_at is null",
                (result.sha256,),
            ).fetchone()
            if previous is not None:
                return BatchReceipt.already(result, previous[0], _when(previous[1]))
            uids = frame["uid"].astype(str)
            # Shown or hidden: a report is stored once, under the batch that brought it first.
            existing = dict(
                conn.execute(
                    "select uid, batch_id from reports where uid = any(%s)", (uids.unique().tolist(),)
                ).fetchall()
            )
            dup = uids.duplicated().to_numpy() | uids.isin(existing).to_numpy()
            new = cols.at_store_precision(frame.loc[~dup])
            for sha, content in ((result.sha256, original), (rejected_sha, rejected)):
                if content is not None:
                    conn.execute(
                        "insert into files (sha256, content) values (%s, %s) on conflict do nothing",
                        (sha, content),
                    )
            seq = conn.execute("select nextval(pg_get_serial_sequence('batches', 'seq'))").fetchone()[0]
            batch_id = f"b{seq:06d}"
            (stamp,) = conn.execute(
                "insert into batches (seq, batch_id, filename, sha256, format, uploaded_at, uploader, "
                "n_features, accepted, rejected, duplicates, notes, rejected_sha256) overriding system value "
                "values (%s, %s, %s, %s, %s, clock_timestamp(), %s, %s, %s, %s, %s, %s, %s) "
                "returning (extract(epoch from uploaded_at) * 1000000)::bigint",
                (seq, batch_id, result.filename, result.sha256, result.format, uploader, result.n_features,
                 len(new), len(result.rejected), int(dup.sum()), json.dumps(result.notes, ensure_ascii=False),
                 rejected_sha),
            ).fetchone()  # fmt: skip
            self._insert_reports(conn, new.assign(batch_id=batch_id))
            if existing:
                # The reports it carried that were stored before stay shown while it is active.
                with conn.cursor().copy("copy batch_carried (batch_id, uid, stored_in) from stdin") as copy:
                    for uid, stored_in in sorted(existing.items()):
                        copy.write_row((batch_id, uid, stored_in))
            self._moved(conn)
            audit_write(
                conn, "postgres", action="ingest",
                what={"batch_id": batch_id, "filename": result.filename, "format": result.format,
                      "uploader": uploader, "n_features": result.n_features, "accepted": len(new),
                      "rejected": len(result.rejected), "duplicates": int(dup.sum()), "carried": len(existing)},
                hashes={"file": result.sha256, "reports": stored_digest(new.assign(batch_id=batch_id))},
            )  # fmt: skip
        # The copy is derived: when it cannot be written now, the next read rebuilds it from the database.
        with suppress(OSError):
            self._columnar.write(_copy_key(batch_id, stamp), 0, new.assign(batch_id=batch_id))
        dup_uids = tuple(sorted(set(uids[dup])))
        return BatchReceipt.stored(
            result, batch_id, accepted=len(new), duplicates=int(dup.sum()), duplicate_uids=dup_uids
        )

    @staticmethod
    def _insert_reports(conn: Any, frame: gpd.GeoDataFrame) -> None:
        if frame.empty:
            return
        names = ", ".join(f'"{c}"' for c in (*cols.REPORT_COLUMNS, "geom"))
        with conn.cursor().copy(f"copy reports ({names}) from stdin") as copy:
            for row in zip(*_text_columns(frame), strict=True):
                copy.write_row(row)

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
        """Return the visible reports (with ``hidden``, every stored report) as the normalised incident
        frame with ``batch_id`` (the options of :meth:`geo.store.gpkg.GeoPackageStore.incidents`),
        read from this server's columnar copy of each batch, which is made from the database when
        missing or stale."""
        filters = query_filters(start=start, end=end, bbox=bbox, where=where)
        chosen = None if batches is None else set(batches)
        try:
            listed = self._entries(chosen, hidden)
            if filters and not all(self._columnar.path(k, e).is_file() for k, e, _ in listed):
                # This server lacks copies (it is new, or another server added batches): a box or a
                # time window is answered by the database's indexes, not by copying every batch first.
                return self._selected(filters, listed)
            try:
                return self._columnar.read(listed, self._batch_from_sql, filters)
            except FileNotFoundError:
                # Another process of this server rewrote a batch's copy between the listing and the read.
                return self._columnar.read(self._entries(chosen, hidden), self._batch_from_sql, filters)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            msg = f"Cannot filter the reports with {where!r} ({exc})."
            raise StoreError(
                msg, hint="Give each column values of its own type (text, whole numbers)."
            ) from None

    def _entries(self, chosen: set[str] | None, hidden: bool) -> list[tuple[str, int, frozenset[str] | None]]:
        """The batches' copies to read (:func:`geo.store.base.visible_entries`), as of one snapshot.

        A copy is named by its batch's id and the moment it landed: a store restored from a backup
        and then given other batches under the same ids (keeping its store id) never has a server
        read a copy of the batch the id named before.
        """
        landed = "(extract(epoch from uploaded_at) * 1000000)::bigint"
        with self._conn() as conn, conn.transaction():
            conn.execute("set transaction isolation level repeatable read")
            rows = conn.execute(
                f"select batch_id, edits, retracted_at is null, {landed} from batches order by seq"
            ).fetchall()
            found = [] if hidden else conn.execute(_RESCUED).fetchall()
        keys = {b: _copy_key(b, t) for b, _, _, t in rows}
        rescued: dict[str, set[str]] = {}
        for b, uid in found:
            rescued.setdefault(keys[b], set()).add(uid)
        listed = [(keys[b], int(e), hidden or bool(a)) for b, e, a, _ in rows]
        return visible_entries(listed, rescued, chosen, _batch_of)

    def _batch_from_sql(self, key: str) -> gpd.GeoDataFrame:
        return self._select("batch_id = %s", (_batch_of(key),))

    def _selected(
        self, filters: list[tuple[str, str, Any]], entries: list[tuple[str, int, frozenset[str] | None]]
    ) -> gpd.GeoDataFrame:
        """The reports of ``entries`` (:meth:`_entries`) that pass ``filters``
        (:func:`geo.store.columnar.query_filters`), selected by the database: a box through the
        points' GiST index, a window through the time index."""
        whole = [_batch_of(k) for k, _, uids in entries if uids is None]
        some = sorted({u for _, _, uids in entries if uids is not None for u in uids})
        clauses, params = ["(batch_id = any(%s) or uid = any(%s))"], [whole, some]
        box = {(name, op): value for name, op, value in filters if name in ("lon", "lat")}
        if box:
            clauses.append("geom && st_makeenvelope(%s, %s, %s, %s, 4326)")
            params += [box["lon", ">="], box["lat", ">="], box["lon", "<="], box["lat", "<="]]
        for name, op, value in filters:
            if name in ("lon", "lat"):
                continue
            if op == "in":
                clauses.append(f'"{name}" = any(%s)')
                params.append(list(value))
            else:
                clauses.append(f'"{name}" {op} %s')
                params.append(value.to_pydatetime() if isinstance(value, pd.Timestamp) else value)
        return self._select(" and ".join(clauses), tuple(params))

    def _select(self, condition: str, params: tuple) -> gpd.GeoDataFrame:
        """The reports that meet the SQL ``condition``, in the order they were stored."""
        import psycopg

        names = ", ".join(f'"{c}"' for c in cols.REPORT_COLUMNS)
        try:
            with self._conn() as conn:
                # Binary: numbers and times arrive as they are stored, not as text to parse.
                cursor = conn.cursor(binary=True)
                cursor.execute(
                    f"select st_x(geom) as lon, st_y(geom) as lat, {names} from reports "
                    f"where {condition} order by fid",
                    params,
                )
                rows = cursor.fetchall()
                columns = [d.name for d in cursor.description]
        except StoreError as exc:
            if isinstance(exc.__cause__, psycopg.errors.DataError | psycopg.errors.UndefinedFunction):
                msg = f"Cannot filter the reports with {params[1:]!r} ({reason(exc.__cause__)})."
                raise StoreError(
                    msg, hint="Give each column values of its own type (text, whole numbers)."
                ) from None
            raise
        return _frame(rows, columns)

    def batches(self) -> pd.DataFrame:
        """Return one row per batch, oldest first (columns :data:`BATCH_COLUMNS`)."""
        with self._conn() as conn:
            rows = conn.execute(f"select {', '.join(BATCH_COLUMNS)} from batches order by seq").fetchall()
        frame = pd.DataFrame(rows, columns=list(BATCH_COLUMNS))
        for c in BATCH_TIMES:
            frame[c] = pd.to_datetime(frame[c], utc=True).dt.as_unit("ns")
        for c in ("n_features", "accepted", "rejected", "duplicates"):
            frame[c] = frame[c].astype("int64")
        return frame

    def _unknown_batch(self, batch_id: str) -> StoreError:
        recent = [r[0] for r in self._rows("select batch_id from batches order by seq desc limit 5")]
        known = f" The latest are {', '.join(reversed(recent))}." if recent else " It holds no batch yet."
        msg = f"There is no batch {batch_id!r} in the store {self.location}.{known}"
        return StoreError(msg, hint=LIST_HINT)

    def retract_batch(self, batch_id: str, *, reason: str) -> int:
        """Hide a batch's reports in one transaction, recording who, when and why; the reports another
        active batch carried stay visible (see :meth:`geo.store.gpkg.GeoPackageStore.retract_batch`).
        Return the number of reports that left view."""
        why = required_reason(reason, "retract", batch_id)
        with self._write(f"Retracting batch {batch_id}") as conn:
            row = conn.execute(
                "select retracted_at, retracted_by, filename, sha256 from batches where batch_id = %s for update",
                (batch_id,),
            ).fetchone()
            if row is None:
                raise self._unknown_batch(batch_id)
            if row[0] is not None:
                msg = f"Batch {batch_id} was already retracted on {_when(row[0])} by {row[1] or 'an unnamed user'}; nothing was changed."
                raise StoreError(
                    msg, hint=f"To show its reports again: python -m geo restore {batch_id} --reason TEXT."
                )
            before = self._visible(conn)
            conn.execute(
                "update batches set retracted_at = clock_timestamp(), retracted_by = %s, retract_reason = %s "
                "where batch_id = %s",
                (current_actor(), why, batch_id),
            )
            self._moved(conn)
            hidden = before - self._visible(conn)
            self._audit_batch(conn, "retract", batch_id, row[2], row[3], why, hidden)
        return hidden

    def restore_batch(self, batch_id: str, *, reason: str) -> int:
        """Show a retracted batch's reports again, in one transaction, recording who, when and why
        (see :meth:`geo.store.gpkg.GeoPackageStore.restore_batch`). Return how many came back into view."""
        from geo.store.gpkg import _live_again

        why = required_reason(reason, "restore", batch_id)
        with self._write(f"Restoring batch {batch_id}") as conn:
            row = conn.execute(
                "select retracted_at, filename, sha256 from batches where batch_id = %s for update",
                (batch_id,),
            ).fetchone()
            if row is None:
                raise self._unknown_batch(batch_id)
            if row[0] is None:
                msg = f"Batch {batch_id} is not retracted; nothing was changed."
                raise StoreError(msg, hint=LIST_HINT)
            again = conn.execute(
                "select batch_id from batches where sha256 = %s and retracted_at is null", (row[2],)
            ).fetchone()
            if again is not None:
                raise _live_again(batch_id, again[0])
            before = self._visible(conn)
            conn.execute(
                "update batches set retracted_at = null, restored_at = clock_timestamp(), restored_by = %s, "
                "restore_reason = %s where batch_id = %s",
                (current_actor(), why, batch_id),
            )
            self._moved(conn)
            shown = self._visible(conn) - before
            self._audit_batch(conn, "restore", batch_id, row[1], row[2], why, shown)
        return shown

    def _audit_batch(
        self, conn: Any, action: str, batch_id: str, filename: str, sha256: str, reason: str, n: int
    ) -> None:
        """The audit entry of a retraction or restoration: the batch, its file and its stored reports."""
        names = ", ".join(f'"{c}"' for c in cols.REPORT_COLUMNS)
        cursor = conn.cursor(binary=True)
        cursor.execute(
            f"select st_x(geom) as lon, st_y(geom) as lat, {names} from reports where batch_id = %s order by fid",
            (batch_id,),
        )
        stored = _frame(cursor.fetchall(), [d.name for d in cursor.description])
        audit_write(
            conn, "postgres", action=action,
            what={"batch_id": batch_id, "filename": filename, "reason": reason,
                  ("hidden" if action == "retract" else "shown"): n, "stored": len(stored)},
            hashes={"file": sha256, "reports": stored_digest(stored)},
        )  # fmt: skip

    def quarantine(self, batch_id: str | None = None) -> pd.DataFrame:
        """Return the rejected features: batch_id, feature_index, feature_id, feature (JSON), issues (JSON)."""
        with self._conn() as conn:
            if (
                batch_id is not None
                and conn.execute("select 1 from batches where batch_id = %s", (batch_id,)).fetchone() is None
            ):
                raise self._unknown_batch(batch_id)
            rows = conn.execute(
                "select b.batch_id, f.content from batches b join files f on f.sha256 = b.rejected_sha256 "
                "where %s::text is null or b.batch_id = %s order by b.seq",
                (batch_id, batch_id),
            ).fetchall()
        parts = [rejected_rows(bid, bytes(content)) for bid, content in rows]
        return (
            pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
        )

    def original_file(self, batch_id: str) -> Path:
        """Return a local copy of the file the batch came from (``<work folder>/files/<sha256>``),
        fetched from the database once and checked against its SHA-256."""
        found = self._rows("select sha256 from batches where batch_id = %s", (batch_id,))
        if not found:
            raise self._unknown_batch(batch_id)
        sha256 = found[0][0]
        path = self._files / sha256
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
            return path
        content = bytes(self._rows("select content from files where sha256 = %s", (sha256,))[0][0])
        self._files.mkdir(parents=True, exist_ok=True)
        _write_atomic(self._files, path, content)
        return path


def _frame(rows: list[tuple], columns: list[str]) -> gpd.GeoDataFrame:
    """Reports as the database gave them (lon, lat, the report columns) as the incident frame."""
    frame = pd.DataFrame(rows, columns=columns)
    for name in cols.DATETIME:
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return cols.from_sql(frame)


def _copy_key(batch_id: str, landed_us: int) -> str:
    """The name of a batch's copies on a server: its id and when it landed (microseconds since 1970)."""
    return f"{batch_id}-{landed_us}"


def _batch_of(key: str) -> str:
    """The batch id of a :func:`_copy_key`."""
    return key.split("-", 1)[0]


def _write_atomic(folder: Path, target: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


class DatabaseAnalysis(AnalysisFiles):
    """The stored analysis of a PostGIS store: partitions and manifests in the database.

    The partitions are written to this server's folder first (as the GeoPackage store keeps them),
    then copied into ``analysis_parts`` with the manifest in one transaction; another server reads the
    manifest from the database and copies in the partitions it lacks (they never change: a new
    analysis writes new ones). The newest :data:`KEPT_ANALYSES` manifests are kept, and the
    partitions they list.
    """

    def __init__(self, store: PostGISStore, folder: Path, store_id: str) -> None:
        super().__init__(folder, store_id)
        self._store = store

    def keys(self) -> list[str]:
        """The keys of the analyses kept, newest first."""
        return [r[0] for r in self._store._rows("select key from analysis_manifests order by made_at desc")]

    def _read_manifest(self, key: str) -> dict | None:
        try:
            rows = self._store._rows("select manifest from analysis_manifests where key = %s", (key,))
        except StoreError:
            return None
        manifest = rows[0][0] if rows else None
        return manifest if isinstance(manifest, dict) and isinstance(manifest.get("tables"), dict) else None

    def _fetch(self, files: list[str]) -> dict[str, pa.Table]:
        missing = [f for f in files if not (self.folder / f).is_file()]
        if not missing:
            return {}
        self.folder.mkdir(parents=True, exist_ok=True)

        def fetch(names: list[str]) -> dict[str, pa.Table]:
            found = {}
            with self._store._conn() as conn:
                # Binary: a bytea as text is hex, twice the bytes and three times the time.
                cursor = conn.cursor(binary=True)
                cursor.execute("select name, content from analysis_parts where name = any(%s)", (names,))
                for name, content in cursor:
                    # Kept for this server's next start, and read from memory now.
                    _write_atomic(self.folder, self.folder / name, content)
                    found[name] = read_partition(pa.py_buffer(content), name)
            return found

        # One connection per core: the driver waits for the network and Arrow decompresses without
        # the interpreter's lock.
        workers = max(1, min(cores(), len(missing)))
        fetched: dict[str, pa.Table] = {}
        with ThreadPoolExecutor(workers) as pool:
            for found in pool.map(fetch, [missing[k::workers] for k in range(workers)]):
                fetched.update(found)
        if len(fetched) != len(missing):
            msg = f"{len(missing) - len(fetched)} partition(s) of the analysis are gone from the database"
            raise OSError(msg)
        return fetched

    def _publish(self, key: str, manifest: dict, written: list[str]) -> None:
        from psycopg.types.json import Jsonb

        with self._store._conn() as conn, conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", (WRITE_LOCK + 1,))
            with conn.cursor().copy("copy analysis_parts (name, content) from stdin (format binary)") as copy:
                copy.set_types(["text", "bytea"])
                for name in written:
                    copy.write_row((name, (self.folder / name).read_bytes()))
            conn.execute(
                "insert into analysis_manifests (key, manifest) values (%s, %s) "
                "on conflict (key) do update set manifest = excluded.manifest, made_at = clock_timestamp()",
                (key, Jsonb(manifest)),
            )
            conn.execute(
                "delete from analysis_manifests where key not in "
                "(select key from analysis_manifests order by made_at desc limit %s)",
                (KEPT_ANALYSES,),
            )
            conn.execute(
                "delete from analysis_parts p where not exists (select 1 from analysis_manifests m, "
                "jsonb_each(m.manifest -> 'tables') t, jsonb_each_text(t.value) f where f.value = p.name)"
            )
            kept = {r[0] for r in conn.execute("select name from analysis_parts")}
        for path in self.folder.iterdir():
            if path.name not in kept and not path.name.startswith(".incoming-"):
                path.unlink(missing_ok=True)


class DatabaseEdits:
    """The users' scenario edits in the database (:class:`geo.scenario.edits.SharedEdits`): every
    server's history folder is a copy of ``scenario_edits``, brought up to date before each read."""

    def __init__(self, store: PostGISStore) -> None:
        self._store = store

    def pull(self, folder: Path) -> None:
        # By name and content: a store restored from a backup may name another edit as this copy did.
        stored = dict(
            self._store._rows(
                "select name, encode(sha256(convert_to(document, 'UTF8')), 'hex') from scenario_edits"
            )
        )
        have = {p.name for p in folder.glob("*.geojson")}
        missing = sorted(
            name
            for name, digest in stored.items()
            if name not in have or hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest
        )
        names = set(stored)
        if missing:
            rows = self._store._rows(
                "select name, document from scenario_edits where name = any(%s)", (missing,)
            )
            for name, document in rows:
                _write_atomic(folder, folder / name, document.encode("utf-8"))
        for gone in have - names:
            (folder / gone).unlink(missing_ok=True)

    def publish(self, seq: int, name: str, text: str) -> bool:
        with self._store._conn() as conn:
            row = conn.execute(
                "insert into scenario_edits (seq, name, document) values (%s, %s, %s) "
                "on conflict do nothing returning seq",
                (seq, name, text),
            ).fetchone()
        return row is not None

    def withdraw(self, name: str) -> None:
        with self._store._conn() as conn:
            conn.execute("delete from scenario_edits where name = %s", (name,))

    def keep_file(self, sha256: str, data: bytes) -> None:
        with self._store._conn() as conn:
            conn.execute(
                "insert into files (sha256, content) values (%s, %s) on conflict do nothing", (sha256, data)
            )


@lru_cache(maxsize=8)
def open_postgis(url: str, work_dir: str) -> PostGISStore:
    """The PostGIS store at ``url`` (one handle per URL and work folder in a process)."""
    return PostGISStore(url, work_dir=work_dir)
