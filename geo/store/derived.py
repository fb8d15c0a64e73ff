"""The derived-data cache: analysis results kept as Parquet files under keys that include the store revision."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa


def _safe(text: str) -> str:
    """Text usable in a file name (and in a glob pattern: no brackets or stars)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


class DerivedCache:
    """Tables saved under ``(name, key)``; a new key for a name replaces the older ones.

    Parameters
    ----------
    folder
        ``<store dir>/derived``.
    store_id
        The store's identity, in every file name: a new store in the same folder (whose revision
        starts again at 0) never reads an old store's results.
    """

    def __init__(self, folder: Path, store_id: str) -> None:
        self.folder = folder
        self.store_id = store_id

    def path(self, name: str, key: str) -> Path:
        """The file of ``(name, key)``."""
        return self.folder / f"{_safe(name)}--{_safe(key)}--{self.store_id}.parquet"

    def save(self, name: str, key: str, frame: pd.DataFrame) -> None:
        """Write the table atomically, then remove this store's other keys of ``name``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(name, key)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".incoming-", suffix=".parquet")
        os.close(fd)
        try:
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        for old in self.folder.glob(f"{_safe(name)}--*--{self.store_id}.parquet"):
            if old != target:
                old.unlink(missing_ok=True)

    def load(self, name: str, key: str) -> pd.DataFrame | None:
        """Return the table of ``(name, key)``, or None when there is none or it cannot be read."""
        try:
            return pd.read_parquet(self.path(name, key))
        except (OSError, pa.ArrowException):
            return None
