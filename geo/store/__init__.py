"""The store: reports, batches, quarantine and original files behind one interface (docs/ARCHITECTURE.md)."""

from __future__ import annotations

from pathlib import Path

from geo.store.base import BATCH_COLUMNS, BatchReceipt, Store
from geo.store.gpkg import GeoPackageStore

__all__ = ["BATCH_COLUMNS", "BatchReceipt", "GeoPackageStore", "Store", "open_store"]


def open_store(path: Path | str) -> Store:
    """Open (or create) the store at ``path``; a ``.gpkg`` path gives the embedded GeoPackage store."""
    return GeoPackageStore(path)
