"""The embedded store: one GeoPackage (SQLite) file, the original files beside it, and a columnar copy."""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import shapely

from geo.errors import StoreError
from geo.ingest.result import IngestResult
from geo.store import columns as cols
from geo.store.base import BATCH_COLUMNS, BatchReceipt
from geo.utc import to_utc

# GeoPackage geometry blob header: magic 'GP', version 0, flags (little-endian, no envelope), srs_id.
GP_HEADER = b"GP\x00\x01" + struct.pack("<i", 4326)
APPLICATION_ID = 0x47504B47  # 'GPKG'
USER_VERSION = 10400  # GeoPackage 1.4

SCHEMA_SQL = f"""
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
CREATE TABLE IF NOT EXISTS incidents (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT, lon REAL NOT NULL, lat REAL NOT NULL,
  {", ".join(f'"{c}" {cols.sql_type(c)}' for c in cols.REPORT_COLUMNS)},
  UNIQUE (uid), UNIQUE (source, id));
CREATE INDEX IF NOT EXISTS incidents_time ON incidents (occurred_at);
CREATE INDEX IF NOT EXISTS incidents_batch ON incidents (batch_id);
CREATE TABLE IF NOT EXISTS batches (
  batch_id TEXT PRIMARY KEY, filename TEXT NOT NULL, sha256 TEXT NOT NULL, format TEXT,
  uploaded_at DATETIME NOT NULL, uploader TEXT, n_features INTEGER, accepted INTEGER, rejected INTEGER,
  duplicates INTEGER, retracted_at DATETIME, notes TEXT);
CREATE TABLE IF NOT EXISTS quarantine (
  qid INTEGER PRIMARY KEY AUTOINCREMENT, batch_id TEXT NOT NULL, feature_index INTEGER,
  feature_id TEXT, feature TEXT, issues TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""

SRS_ROWS = [
    ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", None),
    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", None),
    (
        "WGS 84 geodetic",
        4326,
        "EPSG",
        4326,
        'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
        'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]',
        "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
    ),
]


def _now() -> str:
    """The current time as GeoPackage writes DATETIME: ISO 8601 UTC with milliseconds."""
    return pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class GeoPackageStore:
    """A store in one GeoPackage file that QGIS and GDAL open as they are.

    Parameters
    ----------
    path
        The ``.gpkg`` file; created with its folder if absent. Original files are kept in
        ``<folder>/files/<sha256>``, the columnar copy in ``<folder>/columnar/``, derived tables
        in ``<folder>/derived/``.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._files = self.path.parent / "files"
        self._columnar = self.path.parent / "columnar"
        self._derived = self.path.parent / "derived"
        with self._transaction() as con:
            # executescript would commit first; run the statements inside this transaction instead.
            for statement in filter(str.strip, SCHEMA_SQL.split(";")):
                con.execute(statement)
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {USER_VERSION}")
            con.executemany("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", SRS_ROWS)
            con.execute(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
                "VALUES ('incidents', 'features', 'incidents', 'Incident reports', 4326), "
                "('batches', 'attributes', 'batches', 'Uploaded batches', NULL), "
                "('quarantine', 'attributes', 'quarantine', 'Rejected features', NULL)"
            )
            con.execute(
                "INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('incidents', 'geom', 'POINT', 4326, 0, 0)"
            )
            con.execute("INSERT OR IGNORE INTO meta VALUES ('revision', '0')")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One connection and one transaction: committed on success, rolled back on any failure."""
        try:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            msg = f"Cannot open the store {self.path} ({exc})."
            raise StoreError(msg, hint="Check the store_path setting and the folder's permissions.") from None
        with closing(con):
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _read(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        with closing(sqlite3.connect(self.path, timeout=30)) as con:
            return pd.read_sql_query(sql, con, params=params)

    def revision(self) -> int:
        """Return a number that changes on every write."""
        return int(self._read("SELECT value FROM meta WHERE key = 'revision'")["value"].iloc[0])

    def count(self) -> int:
        """Return the number of stored reports."""
        return int(self._read("SELECT count(*) AS n FROM incidents")["n"].iloc[0])

    def _keep_file(self, sha256: str, original: bytes) -> None:
        """Write the original file under its hash, atomically; content-addressed, so a rewrite is harmless."""
        target = self._files / sha256
        if target.exists():
            return
        self._files.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._files, prefix=".incoming-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(original)
        os.replace(tmp, target)

    def add_batch(
        self, result: IngestResult, *, original: bytes, uploader: str = "", strict: bool = False
    ) -> BatchReceipt:
        """Store a validated batch: the batch row, its new reports and its quarantine in one transaction.

        Raises
        ------
        StoreError
            With ``strict`` when any feature was rejected, or when the write fails; nothing is
            changed then.
        """
        if strict and result.rejected:
            msg = f"{result.filename}: {len(result.rejected)} of {result.n_features} features are invalid; strict mode stores nothing."
            raise StoreError(
                msg, hint="Fix the features the validation report names, or upload without --strict."
            )
        previous = self._read(
            "SELECT batch_id, uploaded_at FROM batches WHERE sha256 = ? AND retracted_at IS NULL",
            (result.sha256,),
        )
        if len(previous):
            row = previous.iloc[0]
            return BatchReceipt(
                batch_id=row["batch_id"], sha256=result.sha256, filename=result.filename, accepted=0, rejected=0,
                duplicates=0, already_ingested=True,
                message=f"This file was already ingested as batch {row['batch_id']} on {row['uploaded_at']}; nothing was added.",
            )  # fmt: skip
        self._keep_file(result.sha256, original)
        frame = result.accepted
        try:
            with self._transaction() as con:
                batch_id = self._next_batch_id(con)
                dup = self._existing(con, frame["uid"].tolist())
                new = frame.loc[~frame["uid"].isin(dup)].assign(batch_id=batch_id)
                con.execute(
                    "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                    (batch_id, result.filename, result.sha256, result.format, _now(), uploader, result.n_features,
                     len(new), len(result.rejected), len(dup), json.dumps(result.notes, ensure_ascii=False)),
                )  # fmt: skip
                self._insert_reports(con, new)
                con.executemany(
                    "INSERT INTO quarantine (batch_id, feature_index, feature_id, feature, issues) VALUES (?, ?, ?, ?, ?)",
                    [
                        (batch_id, r.index, r.feature_id, json.dumps(r.feature, ensure_ascii=False, default=str),
                         json.dumps([i.__dict__ for i in r.issues], ensure_ascii=False))
                        for r in result.rejected
                    ],
                )  # fmt: skip
                self._touch(con, new)
        except sqlite3.Error as exc:
            msg = f"Storing {result.filename} failed ({exc}); nothing was changed."
            raise StoreError(
                msg, hint="Check the disk space and that no other program locks the store, then retry."
            ) from None
        self._write_columnar(batch_id, new)
        parts = [f"Stored batch {batch_id}: {len(new)} new reports"]
        if dup:
            parts.append(f"{len(dup)} already stored (same source and id) and skipped")
        if result.rejected:
            parts.append(f"{len(result.rejected)} rejected and kept in quarantine")
        return BatchReceipt(
            batch_id=batch_id, sha256=result.sha256, filename=result.filename, accepted=len(new),
            rejected=len(result.rejected), duplicates=len(dup), already_ingested=False,
            message=", ".join(parts) + ".", duplicate_uids=tuple(sorted(dup)),
        )  # fmt: skip

    @staticmethod
    def _next_batch_id(con: sqlite3.Connection) -> str:
        n = con.execute("SELECT count(*) FROM batches").fetchone()[0]
        return f"b{n + 1:06d}"

    @staticmethod
    def _existing(con: sqlite3.Connection, uids: list[str]) -> set[str]:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS new_uids (uid TEXT PRIMARY KEY)")
        con.execute("DELETE FROM new_uids")
        con.executemany("INSERT OR IGNORE INTO new_uids VALUES (?)", ((u,) for u in uids))
        rows = con.execute("SELECT n.uid FROM new_uids n JOIN incidents i ON i.uid = n.uid").fetchall()
        return {r[0] for r in rows}

    @staticmethod
    def _insert_reports(con: sqlite3.Connection, frame: gpd.GeoDataFrame) -> None:
        if frame.empty:
            return
        geoms = frame.geometry.values
        # The WKB is built for all points at once; prefixing the constant header is a cheap bytes join.
        blobs = [GP_HEADER + w for w in shapely.to_wkb(geoms, byte_order=1, output_dimension=2)]
        values = cols.sql_values(frame)
        names = ", ".join(f'"{c}"' for c in cols.REPORT_COLUMNS)
        marks = ", ".join("?" * (len(cols.REPORT_COLUMNS) + 3))
        con.executemany(
            f"INSERT INTO incidents (geom, lon, lat, {names}) VALUES ({marks})",
            zip(blobs, shapely.get_x(geoms).tolist(), shapely.get_y(geoms).tolist(), *values, strict=True),
        )

    @staticmethod
    def _touch(con: sqlite3.Connection, frame: gpd.GeoDataFrame | None = None) -> None:
        """Bump the revision and keep gpkg_contents' extent and change time current."""
        con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'")
        con.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
            "min_x = (SELECT min(lon) FROM incidents), min_y = (SELECT min(lat) FROM incidents), "
            "max_x = (SELECT max(lon) FROM incidents), max_y = (SELECT max(lat) FROM incidents) "
            "WHERE table_name = 'incidents'"
        )

    def _columnar_path(self, batch_id: str) -> Path:
        return self._columnar / f"{batch_id}.parquet"

    def _write_columnar(self, batch_id: str, frame: gpd.GeoDataFrame) -> None:
        """Keep the columnar copy of a batch (derived; rebuilt from the GeoPackage when missing)."""
        self._columnar.mkdir(parents=True, exist_ok=True)
        tmp = self._columnar / f".{batch_id}.tmp"
        pq.write_table(cols.to_arrow(frame), tmp)
        os.replace(tmp, self._columnar_path(batch_id))

    def _active_batches(self) -> list[str]:
        return self._read("SELECT batch_id FROM batches WHERE retracted_at IS NULL ORDER BY batch_id")[
            "batch_id"
        ].tolist()

    def incidents(
        self,
        *,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        where: dict[str, list] | None = None,
    ) -> gpd.GeoDataFrame:
        """Return the stored reports, optionally filtered by time (inclusive), lon/lat box and values.

        Reads the columnar copy (one Parquet file per batch), rebuilding any file that is missing
        from the GeoPackage, which stays the source of truth.
        """
        unknown = sorted(set(where or {}) - set(cols.REPORT_COLUMNS))
        if unknown:
            msg = f"Cannot filter on unknown column(s) {', '.join(unknown)}."
            raise StoreError(
                msg, hint=f"Filter on report columns such as {', '.join(cols.REPORT_COLUMNS[:8])}."
            )
        paths = []
        for batch_id in self._active_batches():
            path = self._columnar_path(batch_id)
            if not path.exists():
                self._write_columnar(batch_id, self._batch_from_sql(batch_id))
            paths.append(path)
        filters: list[tuple[str, str, Any]] = []
        if start is not None:
            filters.append(("occurred_at", ">=", to_utc(start, what="The start")))
        if end is not None:
            filters.append(("occurred_at", "<=", to_utc(end, what="The end")))
        if bbox is not None:
            x0, y0, x1, y1 = bbox
            filters += [("lon", ">=", x0), ("lon", "<=", x1), ("lat", ">=", y0), ("lat", "<=", y1)]
        for name, values in (where or {}).items():
            filters.append((name, "in", list(values)))
        if not paths:
            return cols.from_arrow(cols.arrow_schema().empty_table())
        table = pq.read_table(paths, schema=cols.arrow_schema(), filters=filters or None)
        return cols.from_arrow(table)

    def _batch_from_sql(self, batch_id: str) -> gpd.GeoDataFrame:
        names = ", ".join(f'"{c}"' for c in cols.REPORT_COLUMNS)
        rows = self._read(
            f"SELECT lon, lat, {names} FROM incidents WHERE batch_id = ? ORDER BY fid", (batch_id,)
        )
        return cols.from_sql(rows)

    def batches(self) -> pd.DataFrame:
        """Return one row per batch, oldest first."""
        frame = self._read(f"SELECT {', '.join(BATCH_COLUMNS)} FROM batches ORDER BY batch_id")
        for c in ("uploaded_at", "retracted_at"):
            frame[c] = pd.to_datetime(frame[c], utc=True, format="ISO8601")
        return frame

    def retract_batch(self, batch_id: str) -> int:
        """Remove a batch's reports; the batch row (marked retracted), its quarantine and file stay."""
        row = self._read("SELECT retracted_at FROM batches WHERE batch_id = ?", (batch_id,))
        if row.empty:
            msg = f"There is no batch {batch_id!r}."
            raise StoreError(
                msg, hint="List the batch ids with `python -m geo batches` or on the Upload page."
            )
        if row["retracted_at"].notna().iloc[0]:
            msg = f"Batch {batch_id} was already retracted on {row['retracted_at'].iloc[0]}."
            raise StoreError(msg, hint="Nothing to do; re-upload its file to restore it.")
        with self._transaction() as con:
            removed = con.execute("DELETE FROM incidents WHERE batch_id = ?", (batch_id,)).rowcount
            con.execute("UPDATE batches SET retracted_at = ? WHERE batch_id = ?", (_now(), batch_id))
            self._touch(con)
        self._columnar_path(batch_id).unlink(missing_ok=True)
        return removed

    def quarantine(self, batch_id: str | None = None) -> pd.DataFrame:
        """Return the rejected features: batch, index, id, the feature (JSON) and its issues (JSON)."""
        sql = "SELECT batch_id, feature_index, feature_id, feature, issues FROM quarantine"
        if batch_id is None:
            return self._read(sql + " ORDER BY qid")
        return self._read(sql + " WHERE batch_id = ? ORDER BY qid", (batch_id,))

    def original_file(self, batch_id: str) -> Path:
        """Return the path of the file the batch came from."""
        row = self._read("SELECT sha256 FROM batches WHERE batch_id = ?", (batch_id,))
        if row.empty:
            msg = f"There is no batch {batch_id!r}."
            raise StoreError(msg, hint="List the batch ids with `python -m geo batches`.")
        return self._files / row["sha256"].iloc[0]

    def _derived_path(self, name: str, key: str) -> Path:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in f"{name}--{key}")
        return self._derived / f"{safe}.parquet"

    def save_derived(self, name: str, key: str, frame: pd.DataFrame) -> None:
        """Keep a derived table for ``(name, key)``; older keys of the same name are removed."""
        self._derived.mkdir(parents=True, exist_ok=True)
        target = self._derived_path(name, key)
        for old in self._derived.glob(f"{self._derived_path(name, '').stem}*.parquet"):
            if old != target:
                old.unlink(missing_ok=True)
        tmp = target.with_suffix(".tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)

    def load_derived(self, name: str, key: str) -> pd.DataFrame | None:
        """Return the derived table kept for ``(name, key)``, or None."""
        path = self._derived_path(name, key)
        return pd.read_parquet(path) if path.exists() else None
