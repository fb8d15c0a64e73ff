"""The stored analysis: Arrow IPC partitions by month, listed by a manifest per key (store revision and context)."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geo.lookup import take_rows

log = logging.getLogger("ceasefire_monitor")
# Partitions to write are converted to Arrow in groups of about this many rows: one copy per group,
# not per month (a copy of the frame per month took 20 s for 280 months at 1M), and not the whole
# table at once (a gigabyte more at the peak).
GROUP_ROWS = 200_000
# Partitions are Arrow IPC files compressed with LZ4: at a million reports they were written in 1.6 s
# against 4.7 s as Parquet, and read back (with their chunks joined) in 1.3 to 1.5 s against 2.7 to
# 5.2 s (the events' nested reason lists decode slowly from Parquet); 460 MB on disk against 265 MB.
EXTENSION = ".arrow"
IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


def _groups(write: list[tuple[str, np.ndarray]]) -> list[list[tuple[str, np.ndarray]]]:
    """Consecutive (month, rows) pairs in groups of about :data:`GROUP_ROWS` rows."""
    groups: list[list[tuple[str, np.ndarray]]] = [[]]
    size = 0
    for month, rows in write:
        if groups[-1] and size + len(rows) > GROUP_ROWS:
            groups.append([])
            size = 0
        groups[-1].append((month, rows))
        size += len(rows)
    return [g for g in groups if g]


def read_partition(source: pa.Buffer | Path, name: str) -> pa.Table:
    """One partition, from a file or from its bytes in memory, by its name's format: Arrow IPC
    (``.arrow``), or Parquet (``.parquet``, as analyses were stored before)."""
    if name.endswith(".parquet"):
        return pq.read_table(pa.BufferReader(source) if isinstance(source, pa.Buffer) else source)
    if isinstance(source, pa.Buffer):
        return pa.ipc.open_file(source).read_all()
    with pa.OSFile(str(source)) as fh:
        return pa.ipc.open_file(fh).read_all()


def _safe(text: str) -> str:
    """Text usable in a file name (and in a glob pattern: no brackets or stars)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


class AnalysisFiles:
    """The stored analysis: its tables in monthly partitions (Arrow IPC files), listed by one manifest per key.

    A new analysis that changed only some months writes only those months' partitions and a new
    manifest that also lists the previous files of the months it left alone; the manifest is
    replaced atomically, then files no manifest lists are removed. A reader that finds a file gone
    (replaced by a newer analysis while it read) gets None and asks again.

    Parameters
    ----------
    folder
        ``<store dir>/derived``; the files go in ``analysis-<store_id>/`` under it.
    store_id
        The store's identity: a new store in the same folder never reads an old store's analysis.
    """

    def __init__(self, folder: Path, store_id: str) -> None:
        self.folder = folder / f"analysis-{store_id}"

    def _manifest(self, key: str) -> Path:
        return self.folder / f"manifest--{_safe(key)}.json"

    def keys(self) -> list[str]:
        """The keys of the analyses kept, newest first."""
        found = sorted(self.folder.glob("manifest--*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        out = []
        for path in found:
            try:
                out.append(json.loads(path.read_text())["key"])
            except (OSError, ValueError, KeyError):
                continue
        return out

    def _read_manifest(self, key: str) -> dict | None:
        """The manifest of ``key`` as one read (its tables' files and schemas agree), or None."""
        try:
            manifest = json.loads(self._manifest(key).read_text())
        except (OSError, ValueError):
            return None
        return manifest if isinstance(manifest, dict) and isinstance(manifest.get("tables"), dict) else None

    @staticmethod
    def _schemas(manifest: dict) -> dict[str, pa.Schema]:
        """The common schema of each table's partitions, as the manifest keeps it (none when it does not)."""
        try:
            return {
                name: pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text)))
                for name, text in manifest.get("schemas", {}).items()
            }
        except (ValueError, TypeError, AttributeError, pa.ArrowException):
            return {}

    def batches(self, key: str) -> tuple[tuple[str, int], ...] | None:
        """The store's batches (id, outside edits) the analysis under ``key`` was made of, or None."""
        try:
            listed = self._read_manifest(key)["batches"]
            return tuple((str(b), int(e)) for b, e in listed)
        except (ValueError, KeyError, TypeError):
            return None

    def _fetch(self, files: list[str]) -> dict[str, pa.Table]:
        """Make sure the partitions ``files`` are at hand; return those read in doing so, by name.

        Here they are always in the folder: nothing to do, nothing read. A store that keeps them
        elsewhere (the PostGIS store's database) copies the missing ones in and returns them as it
        read them (reading its copies back from the folder took as long again), or raises OSError
        when one is gone.
        """
        return {}

    def load(self, key: str) -> dict[str, pa.Table] | None:
        """Every table of the analysis kept under ``key``, or None when there is none (or a file is gone)."""
        manifest = self._read_manifest(key)
        if manifest is None:
            return None
        files, schemas = manifest["tables"], self._schemas(manifest)
        try:
            fetched = self._fetch([f for parts in files.values() if parts for f in parts.values()])
            return {
                name: self._read(list(parts.values()), schemas.get(name), fetched) if parts else None
                for name, parts in files.items()
            }
        except (OSError, pa.ArrowException) as exc:
            # Not silent: the caller analyses again (from scratch, at worst minutes), and says so.
            log.warning("the stored analysis %s could not be read (%s); it will be made again", key, exc)
            return None

    def _read(
        self, files: list[str], schema: pa.Schema | None = None, fetched: dict[str, pa.Table] | None = None
    ) -> pa.Table:
        """One table from its partitions, in the manifest's order: those in ``fetched`` as they are,
        the others read from the folder.

        A month may hold a column of missing values only (Arrow's null type): the partitions are
        joined in their common widened schema, then given ``schema`` when the manifest keeps it.
        Partitions are Arrow IPC files (``.arrow``); Parquet ones (``.parquet``, as analyses were
        stored before) are read as well. The table keeps a chunk per partition: its conversion to
        pandas joins them (:func:`geo.refresh.from_arrow`); joining them here first took a second
        more at a million reports.
        """
        fetched = fetched or {}
        parts = [fetched[f] if f in fetched else read_partition(self.folder / f, f) for f in files]
        table = pa.concat_tables(parts, promote_options="permissive")
        if schema is not None and table.schema != schema:
            for field in schema:  # a column no partition holds reads as missing values
                if field.name not in table.column_names:
                    table = table.append_column(field, pa.nulls(len(table), field.type))
            table = table.select(schema.names).cast(schema)
        return table

    def save(
        self,
        key: str,
        tables: dict[str, pd.DataFrame],
        months: dict[str, np.ndarray],
        to_arrow: Callable[[str, pd.DataFrame], pa.Table],
        *,
        since: str | None = None,
        changed: dict[str, set[str]] | None = None,
        batches: tuple[tuple[str, int], ...] | None = None,
    ) -> None:
        """Keep ``tables`` under ``key``, partitioned by ``months`` (one label per row).

        ``batches`` (the store's listing the analysis was made of) is kept in the manifest: a later
        update reads only the batches added since (:func:`geo.refresh.refresh_store`).

        With ``since`` (a key kept) and ``changed`` (per table, the months that differ from it),
        the other months reuse ``since``'s files; a row labelled None is in one of those (its month
        need not be known). ``to_arrow`` converts rows: several months' at once
        (:data:`GROUP_ROWS`), each month's alone when their columns do not convert together.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        kept = self._read_manifest(since) if since is not None and changed is not None else None
        before = kept["tables"] if kept is not None else None
        unlabelled = [name for name in tables if len(tables[name]) and pd.isna(months[name]).any()]
        if unlabelled and (before is None or any(before.get(name) is None for name in unlabelled)):
            msg = f"Rows of {', '.join(unlabelled)} have no month and no kept analysis holds them."
            raise ValueError(msg)
        token = uuid.uuid4().hex[:12]
        listed: dict[str, dict[str, str]] = {}
        written: list[str] = []
        kept_schemas = self._schemas(kept) if kept is not None else {}
        schemas: dict[str, pa.Schema] = {}
        for name, frame in tables.items():
            # The common schema of the table's files: those written now, and the one kept for the files reused.
            found: list[pa.Schema] = []
            # An empty table keeps its columns in one empty partition.
            label = (
                np.asarray(months[name], dtype=object) if len(frame) else np.array(["empty"], dtype=object)
            )
            # Months numbered by hashing, in their sorted order: sorting a million texts cost a second.
            codes, values = pd.factorize(label, sort=True)
            order = np.argsort(codes, kind="stable")
            starts = np.searchsorted(codes[order], np.arange(len(values)))
            ends = np.r_[starts[1:], len(order)]
            parts: dict[str, str] = {}
            old = (before or {}).get(name)
            write = []
            for month, a, b in zip(values.tolist(), starts, ends, strict=True):
                if old is not None and month in old and month not in changed.get(name, set()):
                    parts[month] = old[month]
                else:
                    write.append((month, order[a:b] if len(frame) else np.empty(0, dtype=np.int64)))
            if old is not None and (codes < 0).any():  # rows of months left alone, not labelled
                parts.update(
                    {m: f for m, f in old.items() if m not in parts and m not in changed.get(name, set())}
                )
            for group in _groups(write):
                # The group's rows in partition order, converted once; each month a slice of them.
                rows = np.concatenate([r for _, r in group])
                table = self._converted(name, take_rows(frame, rows), to_arrow) if len(group) > 1 else None
                at = 0
                for month, part_rows in group:
                    file = f"{_safe(name)}--{_safe(month)}--{token}{EXTENSION}"
                    if table is not None:
                        part = table.slice(at, len(part_rows))
                    else:
                        part = to_arrow(name, take_rows(frame, part_rows))
                    at += len(part_rows)
                    self._write(self.folder / file, part)
                    written.append(file)
                    found.append(part.schema)
                    parts[month] = file
            listed[name] = parts
            reused = len(parts) > len(found)
            if not reused or name in kept_schemas:
                # No common schema (a column of two types): none kept, the reader finds out as before.
                with contextlib.suppress(pa.ArrowException, TypeError):
                    schemas[name] = self._unified([*found, *([kept_schemas[name]] if reused else [])])
        manifest = {
            "key": key,
            "tables": listed,
            "schemas": {
                name: base64.b64encode(schema.serialize().to_pybytes()).decode()
                for name, schema in schemas.items()
            },
        }
        if batches is not None:
            manifest["batches"] = [[b, e] for b, e in batches]
        self._publish(key, manifest, written)

    def _publish(self, key: str, manifest: dict, written: list[str]) -> None:
        """Make the analysis ``manifest`` (whose new partitions, ``written``, are in the folder) the one
        kept under ``key``: replace its manifest atomically, then remove every file it does not list."""
        self._write_text(self._manifest(key), json.dumps(manifest))
        keep = {f for parts in manifest["tables"].values() for f in parts.values()} | {
            self._manifest(key).name
        }
        for path in self.folder.iterdir():
            if path.name not in keep and not path.name.startswith(".incoming-"):
                path.unlink(missing_ok=True)

    @staticmethod
    def _unified(schemas: list[pa.Schema]) -> pa.Schema:
        """The schema every one of ``schemas`` reads in: a column of missing values only (Arrow's
        null type) widened to the type another partition gives it."""
        return pa.unify_schemas(schemas, promote_options="permissive")

    @staticmethod
    def _converted(
        name: str, rows: pd.DataFrame, to_arrow: Callable[[str, pd.DataFrame], pa.Table]
    ) -> pa.Table | None:
        """Several partitions' rows as Arrow at once, or None when their columns do not convert as
        one (each partition is then converted alone)."""
        try:
            return to_arrow(name, rows)
        except (pa.ArrowException, TypeError, ValueError):
            return None

    def _write(self, target: Path, table: pa.Table) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".incoming-", suffix=EXTENSION)
        os.close(fd)
        try:
            with pa.ipc.new_file(tmp, table.schema, options=IPC_OPTIONS) as writer:
                writer.write_table(table)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def _write_text(self, target: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".incoming-", suffix=".json")
        os.close(fd)
        try:
            Path(tmp).write_text(text)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)


class KeptAnalysis:
    """The stored-analysis methods of :class:`Store`, for a store whose ``_analysis`` is an
    :class:`geo.store.derived.AnalysisFiles` (the GeoPackage store's files, the PostGIS store's rows)."""

    _analysis: AnalysisFiles

    def save_analysis(
        self,
        key: str,
        tables: dict[str, pd.DataFrame],
        months: dict[str, np.ndarray],
        to_arrow: Callable[[str, pd.DataFrame], pa.Table],
        *,
        since: str | None = None,
        changed: dict[str, set[str]] | None = None,
        batches: tuple[tuple[str, int], ...] | None = None,
    ) -> None:
        """Keep an analysis under ``key`` in monthly partitions, rewriting only the ``changed`` months
        of the one kept under ``since`` (see :class:`geo.store.derived.AnalysisFiles`)."""
        self._analysis.save(key, tables, months, to_arrow, since=since, changed=changed, batches=batches)

    def load_analysis(self, key: str) -> dict[str, pa.Table] | None:
        """Return the tables of the analysis kept under ``key``, or None (also when it cannot be read)."""
        return self._analysis.load(key)

    def analysis_keys(self) -> list[str]:
        """Return the keys of the analyses kept, newest first."""
        return self._analysis.keys()

    def analysis_batches(self, key: str) -> tuple[tuple[str, int], ...] | None:
        """Return the :meth:`listing` batches the analysis kept under ``key`` was made of, or None."""
        return self._analysis.batches(key)
