"""The columnar (Parquet) copy of the stored reports: one file per batch, derived from the GeoPackage."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyarrow as pa
import pyarrow.parquet as pq

from geo.errors import StoreError
from geo.store import columns as cols
from geo.utc import to_utc


class ColumnarCopy:
    """Parquet files named by store, batch and edit count, so a stale file is never read.

    The GeoPackage is the source of truth. A batch's file is written after its transaction commits;
    a file that is missing (a crash between the two, a deleted folder) or stale (the batch's rows
    were edited in another program, or the store file was replaced) is rebuilt from the GeoPackage.

    Parameters
    ----------
    folder
        ``<store dir>/columnar``.
    store_id
        The store's identity (meta ``store_id``): a new store beside old files never reads them.
    """

    def __init__(self, folder: Path, store_id: str) -> None:
        self.folder = folder / store_id

    def path(self, batch_id: str, edits: int) -> Path:
        """The file of ``batch_id`` as of its ``edits``-th outside edit."""
        return self.folder / f"{batch_id}.e{edits}.parquet"

    def write(self, batch_id: str, edits: int, frame: gpd.GeoDataFrame) -> Path:
        """Write a batch's file atomically and remove its older versions."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(batch_id, edits)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{batch_id}-", suffix=".tmp")
        os.close(fd)
        try:
            pq.write_table(cols.to_arrow(frame), tmp)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        self.remove(batch_id, keep=target)
        return target

    def remove(self, batch_id: str, *, keep: Path | None = None) -> None:
        """Remove every file of ``batch_id`` except ``keep``."""
        for old in self.folder.glob(f"{batch_id}.e*.parquet"):
            if old != keep:
                old.unlink(missing_ok=True)

    def read(
        self,
        batches: list[tuple[str, int]] | list[tuple[str, int, frozenset[str] | None]],
        rebuild: Callable[[str], gpd.GeoDataFrame],
        filters: list[tuple[str, str, Any]] | None,
    ) -> gpd.GeoDataFrame:
        """Read the given ``(batch_id, edits)`` files with pushed-down filters, rebuilding what is missing.

        Parameters
        ----------
        batches
            The batches to read, in order, with their edit counts, from the GeoPackage; an entry
            ``(batch_id, edits, uids)`` reads only those reports of the batch (a retracted batch's
            reports that an active batch also carried, :meth:`geo.store.gpkg.GeoPackageStore.incidents`).
        rebuild
            Returns a batch's reports from the GeoPackage.
        filters
            pyarrow filters on report columns and ``lon``/``lat``.
        """
        # Runs of whole batches are read at once; a batch read in part is read on its own.
        runs: list[tuple[list[Path], frozenset[str] | None]] = []
        for entry in batches:
            batch_id, edits = entry[0], entry[1]
            uids = entry[2] if len(entry) > 2 else None
            path = self.path(batch_id, edits)
            if not path.exists():
                self.write(batch_id, edits, rebuild(batch_id))
            if uids is None and runs and runs[-1][1] is None:
                runs[-1][0].append(path)
            else:
                runs.append(([path], uids))
        schema = cols.arrow_schema()
        tables = []
        for paths, uids in runs:
            wanted = list(filters or []) + ([("uid", "in", sorted(uids))] if uids is not None else [])
            tables.append(pq.read_table(paths, schema=schema, filters=wanted or None))
        if not tables:
            table = schema.empty_table()
        else:
            table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        return cols.from_arrow(table)


def query_filters(
    *, start: Any = None, end: Any = None, bbox: Any = None, where: dict[str, list] | None = None
) -> list[tuple[str, str, Any]]:
    """Return pyarrow filters for the options of ``Store.incidents``.

    Raises
    ------
    StoreError
        For an unknown column in ``where`` or a malformed box.
    """
    unknown = sorted(set(where or {}) - set(cols.REPORT_COLUMNS))
    if unknown:
        msg = f"Cannot filter on unknown column(s) {', '.join(unknown)}."
        raise StoreError(msg, hint=f"Filter on report columns: {', '.join(cols.REPORT_COLUMNS)}.")
    filters: list[tuple[str, str, Any]] = []
    if start is not None:
        filters.append(("occurred_at", ">=", to_utc(start, what="The start")))
    if end is not None:
        filters.append(("occurred_at", "<=", to_utc(end, what="The end")))
    if bbox is not None:
        try:
            x0, y0, x1, y1 = (float(v) for v in bbox)
        except (TypeError, ValueError):
            x0 = y0 = x1 = y1 = float("nan")
        if not (x0 <= x1 and y0 <= y1):
            msg = f"The box {bbox!r} is not (lon_min, lat_min, lon_max, lat_max)."
            raise StoreError(
                msg, hint="Give four numbers, west south east north, e.g. (37.0, 47.5, 38.5, 48.5)."
            )
        filters += [("lon", ">=", x0), ("lon", "<=", x1), ("lat", ">=", y0), ("lat", "<=", y1)]
    for name, values in (where or {}).items():
        filters.append((name, "in", list(values)))
    return filters
