"""The content hash of a batch's stored reports: what an ingest entry records and verify recomputes.

The digest is of the reports as a store keeps them, whichever store and however read: the frame
ingest accepted (:func:`geo.ingest.read_batch`) and the frame either store gives back
(``incidents(batches=[id])``) give the same digest, and a report edited in the database behind the
app's back gives another.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.store import columns as cols

__all__ = ["DIGEST_FIELDS", "DIGEST_VERSION", "canonical_reports", "reports_digest"]

# Bumped when the canonical form changes, so that an old digest is never compared with a new form.
DIGEST_VERSION = 1
# Every stored report column but the batch it is in (the entry names the batch), then the point.
DIGEST_FIELDS: tuple[str, ...] = (*(c for c in cols.REPORT_COLUMNS if c != "batch_id"), "geometry")


def _with_none(values: np.ndarray, missing: np.ndarray) -> list[Any]:
    """``values`` as a Python list with None where ``missing`` (pandas' ``where`` may give NaN back)."""
    out = values.astype(object)
    out[missing] = None
    return out.tolist()


def _cells(frame: pd.DataFrame, name: str) -> list[Any]:
    """One column as JSON-ready Python values, None for a missing one."""
    if name == "geometry":
        geoms = np.asarray(frame.geometry.values, dtype=object)
        wkb = shapely.to_wkb(geoms, hex=True, output_dimension=2, byte_order=1, include_srid=False)
        return _with_none(np.asarray(wkb, dtype=object), shapely.is_missing(geoms))
    s = frame[name]
    missing = s.isna().to_numpy()
    if name in cols.DATETIME:
        # The stores keep milliseconds (GeoPackage DATETIME), ingest may give more: cut as they cut.
        times = pd.to_datetime(s, utc=True).dt.floor("ms")
        return _with_none(times.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").to_numpy(dtype=object), missing)
    if name in cols.INTEGER:
        return _with_none(s.astype("Int64").to_numpy(dtype=object, na_value=0).astype(np.int64), missing)
    if name in cols.NUMBER:
        # json writes a float as repr does: the shortest text that reads back as the same number.
        return _with_none(s.to_numpy(dtype=float, na_value=np.nan), missing)
    return _with_none(s.astype(object).to_numpy(dtype=object), missing)


def canonical_reports(frame: pd.DataFrame) -> bytes:
    """The canonical form of ``frame``'s reports: one JSON document (UTF-8, no spaces) of the fields
    and, sorted by uid, each report's values in that order.

    Times are UTC ISO 8601 with microseconds after cutting to the stores' milliseconds, numbers as
    Python's repr (shortest exact), whole numbers as integers, the point as little-endian 2-D WKB
    in hex, anything missing as null.
    """
    order = np.argsort(frame["uid"].astype(str).to_numpy(), kind="stable")
    ordered = frame.iloc[order]
    columns = [_cells(ordered, name) for name in DIGEST_FIELDS]
    document = {
        "digest_version": DIGEST_VERSION,
        "fields": list(DIGEST_FIELDS),
        "reports": list(zip(*columns, strict=True)) if len(ordered) else [],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def reports_digest(frame: pd.DataFrame) -> str:
    """SHA-256 (hex) of :func:`canonical_reports`: a batch's stored reports as one content hash.

    Examples
    --------
    >>> from geo.ingest import read_batch  # doctest: +SKIP
    >>> result = read_batch(data, filename="batch.geojson")  # doctest: +SKIP
    >>> reports_digest(result.accepted) == reports_digest(store.incidents(batches=[batch_id]))  # doctest: +SKIP
    True
    """
    return hashlib.sha256(canonical_reports(frame)).hexdigest()
