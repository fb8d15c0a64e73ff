"""The Store interface every backend implements (GeoPackage now, PostGIS later), and its receipt."""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geo.crs import require_wgs84
from geo.errors import StoreError
from geo.ingest.result import IngestResult
from geo.store import columns as cols

BATCH_COLUMNS = (
    "batch_id",
    "filename",
    "sha256",
    "format",
    "uploaded_at",
    "uploader",
    "n_features",
    "accepted",
    "rejected",
    "duplicates",
    "retracted_at",
    "retracted_by",
    "retract_reason",
    "restored_at",
    "restored_by",
    "restore_reason",
)
# The batch columns that are times (UTC).
BATCH_TIMES = ("uploaded_at", "retracted_at", "restored_at")


@dataclass(frozen=True)
class BatchReceipt:
    """What storing a batch did, in numbers and one sentence.

    ``duplicates`` counts the reports not written because their ``(source, id)`` was stored before or
    came earlier in the same file; ``duplicate_uids`` lists their uids.
    """

    batch_id: str
    sha256: str
    filename: str
    accepted: int
    rejected: int
    duplicates: int
    already_ingested: bool
    message: str
    duplicate_uids: tuple[str, ...] = field(default=())

    @classmethod
    def already(cls, result: IngestResult, batch_id: str, when: str) -> BatchReceipt:
        """The receipt for a file stored before (same SHA-256) as ``batch_id`` at ``when``."""
        return cls(
            batch_id=batch_id, sha256=result.sha256, filename=result.filename, accepted=0, rejected=0,
            duplicates=0, already_ingested=True,
            message=f"This file was already ingested as batch {batch_id} on {when}; nothing was added.",
        )  # fmt: skip

    @classmethod
    def stored(
        cls,
        result: IngestResult,
        batch_id: str,
        *,
        accepted: int,
        duplicates: int,
        duplicate_uids: tuple[str, ...],
    ) -> BatchReceipt:
        """The receipt for a new batch; the message names up to five duplicates."""
        parts = [f"Stored batch {batch_id}: {accepted} new reports"]
        if duplicates:
            shown = ", ".join(duplicate_uids[:5]) + (", ..." if len(duplicate_uids) > 5 else "")
            parts.append(f"{duplicates} already stored (same source and id) and skipped ({shown})")
        if result.rejected:
            parts.append(f"{len(result.rejected)} rejected and kept in quarantine")
        return cls(
            batch_id=batch_id, sha256=result.sha256, filename=result.filename, accepted=accepted,
            rejected=len(result.rejected), duplicates=duplicates, already_ingested=False,
            message=", ".join(parts) + ".", duplicate_uids=duplicate_uids,
        )  # fmt: skip


QUARANTINE_COLUMNS = ("batch_id", "feature_index", "feature_id", "feature", "issues")


def checked_frame(result: IngestResult) -> gpd.GeoDataFrame:
    """The accepted frame if it is a normalised incident frame; a StoreError naming what is off."""
    frame = result.accepted
    require_wgs84(frame, what=f"The accepted reports of {result.filename}")
    missing = [c for c in cols.REPORT_COLUMNS if c != "batch_id" and c not in frame.columns]
    if missing:
        msg = f"The accepted reports of {result.filename} lack the column(s) {', '.join(missing)}."
        raise StoreError(msg, hint="Store what geo.ingest.read_batch returns, not a hand-made frame.")
    if not shapely.is_empty(frame.geometry.values).any() and (frame.geom_type == "Point").all():
        return frame
    msg = f"The accepted reports of {result.filename} include geometries that are not 2-D points."
    raise StoreError(msg, hint="Store what geo.ingest.read_batch returns; it keeps points only.")


def refuse_strict(result: IngestResult, strict: bool) -> None:
    """In strict mode, a StoreError when any feature of the batch was rejected."""
    if strict and result.rejected:
        msg = f"{result.filename}: {len(result.rejected)} of {result.n_features} features are invalid; strict mode stores nothing."
        raise StoreError(
            msg, hint="Fix the features the validation report names, or upload without --strict."
        )


def rejected_file(result: IngestResult) -> bytes | None:
    """A batch's rejected features with their issues as one gzip-compressed JSON file, or None.

    One file per batch, not a row per rejected feature: 134,000 rejected FIRMS rows grew a store
    by 188 MB as rows and take a few MB compressed. Both stores keep it beside the batch's original.
    """
    if not result.rejected:
        return None
    return pack_rejected(
        [
            {"feature_index": r.index, "feature_id": r.feature_id, "feature": r.feature,
             "issues": [dataclasses.asdict(i) for i in r.issues]}
            for r in result.rejected
        ]
    )  # fmt: skip


def pack_rejected(rows: list[dict]) -> bytes:
    """Rejected features (feature_index, feature_id, feature, issues) as the file :func:`rejected_file`
    makes: gzip-compressed JSON, the same bytes for the same rows."""
    return gzip.compress(json.dumps(rows, ensure_ascii=False, default=str).encode("utf-8"), mtime=0)


def rejected_rows(batch_id: str, content: bytes) -> pd.DataFrame:
    """The rows of :meth:`Store.quarantine` for one batch's :func:`rejected_file`."""
    kept = json.loads(gzip.decompress(content))
    return pd.DataFrame(
        {
            "batch_id": batch_id,
            "feature_index": [k["feature_index"] for k in kept],
            "feature_id": [k["feature_id"] for k in kept],
            "feature": [json.dumps(k["feature"], ensure_ascii=False, default=str) for k in kept],
            "issues": [json.dumps(k["issues"], ensure_ascii=False) for k in kept],
        },
        columns=list(QUARANTINE_COLUMNS),
    )


def required_reason(reason: str | None, action: str, batch_id: str) -> str:
    """The reason given for retracting or restoring a batch, stripped; a StoreError when there is none.

    A retraction hides evidence: the record says why, so a reason is never optional.
    """
    text = "" if reason is None else str(reason).strip()
    if not text:
        msg = f"{action.capitalize()} batch {batch_id} needs a reason; nothing was changed."
        raise StoreError(msg, hint=f"Say why, e.g. --reason 'sent twice by the desk' ({action} needs one).")
    return text


def visible_entries(
    batches: list[tuple[str, int, bool]],
    rescued: dict[str, set[str]],
    chosen: set[str] | None,
    batch_of: Callable[[str], str] = str,
) -> list[tuple[str, int, frozenset[str] | None]]:
    """What :meth:`geo.store.columnar.ColumnarCopy.read` reads for the visible reports, in the order
    they were stored.

    ``batches`` are every batch's copy (key, edits, whether active) in order; ``rescued`` the uids of
    each retracted batch's reports that an active batch also carried, by the retracted batch's key.
    An active batch's reports are read whole, a retracted one's only those rescued; ``chosen`` keeps
    only those batches (by id: ``batch_of`` a key). The visible reports keep their stored order
    whatever is retracted or restored: an update sees reports leave or come back, never move.
    """
    out: list[tuple[str, int, frozenset[str] | None]] = []
    for key, edits, active in batches:
        if chosen is not None and batch_of(key) not in chosen:
            continue
        if active:
            out.append((key, edits, None))
        elif rescued.get(key):
            out.append((key, edits, frozenset(rescued[key])))
    return out


def audit_write(conn: Any, dialect: str, *, action: str, what: dict, hashes: dict) -> None:
    """Append the audit entry of a store write on ``conn``, inside the write's own transaction
    (:func:`geo.audit.log.append`): the entry and the write land together or not at all."""
    from geo.audit import log

    log.append(conn, dialect, action=action, what=what, hashes=hashes)


def stored_digest(frame: pd.DataFrame) -> str:
    """The digest of a batch's reports as stored (:func:`geo.audit.digest.reports_digest`)."""
    from geo.audit.digest import reports_digest

    return reports_digest(frame)


class Store(Protocol):
    """Reports, batches and quarantine behind one interface; see docs/ARCHITECTURE.md, "Store".

    ``path`` is the store's file (GeoPackage) or its local working folder (PostGIS: caches of what
    the database holds); ``location`` is what names the store to a user: the file, or the URL
    without its password.
    """

    path: Path
    location: str

    def add_batch(
        self, result: IngestResult, *, original: bytes, uploader: str = "", strict: bool = False
    ) -> BatchReceipt:
        """Store a validated batch in one transaction: all of it or nothing."""
        ...

    def incidents(
        self,
        *,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        where: dict[str, list] | None = None,
        batches: list[str] | None = None,
        hidden: bool = False,
    ) -> gpd.GeoDataFrame:
        """Return the visible reports (the normalised incident frame with ``batch_id``, the batch that
        stores each), in the order stored: those of active batches, and those of retracted batches
        that an active batch also carried. With ``batches``, only those batches' reports. With
        ``hidden``, every stored report, retracted batches' too."""
        ...

    def listing(self) -> tuple[int, tuple[tuple[str, int], ...]]:
        """Return the revision and the batches whose reports are shown, oldest first, read together:
        each active batch with its count of outside edits; a retracted batch some of whose reports an
        active batch carried with a negative number that moves with its outside edits and with how
        many of its reports are shown."""
        ...

    def batches(self) -> pd.DataFrame:
        """Return one row per batch, newest last (columns :data:`BATCH_COLUMNS`)."""
        ...

    def retract_batch(self, batch_id: str, *, reason: str) -> int:
        """Hide a batch's reports from every view (those another active batch carried stay); keep
        them, its record and file; record who, when and why. Return how many reports left view."""
        ...

    def restore_batch(self, batch_id: str, *, reason: str) -> int:
        """Show a retracted batch's reports again; record who, when and why. Return how many came back."""
        ...

    def quarantine(self, batch_id: str | None = None) -> pd.DataFrame:
        """Return the rejected features with their issues."""
        ...

    def original_file(self, batch_id: str) -> Path:
        """Return the path of the file a batch came from."""
        ...

    @property
    def store_id(self) -> str:
        """Return the store's identity (a new store made at the same path has another)."""
        ...

    def revision(self) -> int:
        """Return a number that changes on every write (the key for caches above the store)."""
        ...

    def count(self) -> int:
        """Return the number of visible reports (as :meth:`incidents` returns them)."""
        ...

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
        ...

    def load_analysis(self, key: str) -> dict[str, pa.Table] | None:
        """Return the tables of the analysis kept under ``key``, or None."""
        ...

    def analysis_keys(self) -> list[str]:
        """Return the keys of the analyses kept, newest first."""
        ...

    def analysis_batches(self, key: str) -> tuple[tuple[str, int], ...] | None:
        """Return the :meth:`listing` batches the analysis kept under ``key`` was made of, or None."""
        ...
