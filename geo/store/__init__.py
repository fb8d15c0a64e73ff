"""The store: reports, batches, quarantine and original files behind one interface (docs/ARCHITECTURE.md)."""

from __future__ import annotations

from pathlib import Path

from geo.store.base import BATCH_COLUMNS, BatchReceipt, Store
from geo.store.gpkg import GeoPackageStore

__all__ = ["BATCH_COLUMNS", "BatchReceipt", "GeoPackageStore", "Store", "configured", "is_url", "open_store"]

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: Path | str) -> bool:
    """Whether ``location`` names a PostGIS store (a ``postgresql://`` URL) rather than a GeoPackage file."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def configured(settings, given: Path | str | None = None) -> Path | str:  # settings: geo.settings.Settings
    """The store the settings name: ``given`` (the CLI's ``--store``) first, then ``store_url``, then
    ``store_path``; a URL as it is, a path relative to the project root."""
    from geo.settings import PROJECT_ROOT

    raw = str(given) if given else settings.store_url
    if not raw:
        return Path(settings.store_path)
    if is_url(raw):
        return raw
    path = Path(raw).expanduser()
    return path if path.is_absolute() or given else PROJECT_ROOT / path


def work_dir(settings) -> Path:
    """The local folder of a PostGIS store's copies on this server: the store_path setting's folder."""
    return Path(settings.store_path).parent


def open_store(location: Path | str, *, work: Path | str | None = None) -> Store:
    """Open the store at ``location``: a ``postgresql://`` URL gives the PostGIS store (its schema made
    by ``python -m geo migrate``; ``work`` its local folder, default the project's ``var/``), a path
    the embedded GeoPackage store (created if absent)."""
    if is_url(location):
        from geo.settings import PROJECT_ROOT
        from geo.store.postgis import open_postgis

        return open_postgis(str(location), str(Path(work) if work is not None else PROJECT_ROOT / "var"))
    return GeoPackageStore(location)
