"""The columnar (Parquet) copy of the stored reports: one file per batch, derived from the GeoPackage."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyarrow.parquet as pq

from geo.store import columns as cols


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
        batches: list[tuple[str, int]],
        rebuild: Callable[[str], gpd.GeoDataFrame],
        filters: list[tuple[str, str, Any]] | None,
    ) -> gpd.GeoDataFrame:
        """Read the given ``(batch_id, edits)`` files with pushed-down filters, rebuilding what is missing.

        Parameters
        ----------
        batches
            The active batches and their edit counts, from the GeoPackage.
        rebuild
            Returns a batch's reports from the GeoPackage.
        filters
            pyarrow filters on report columns and ``lon``/``lat``.
        """
        paths = []
        for batch_id, edits in batches:
            path = self.path(batch_id, edits)
            if not path.exists():
                self.write(batch_id, edits, rebuild(batch_id))
            paths.append(path)
        if not paths:
            table = cols.arrow_schema().empty_table()
        else:
            table = pq.read_table(paths, schema=cols.arrow_schema(), filters=filters or None)
        return cols.from_arrow(table)
