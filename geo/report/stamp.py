"""The data stamp of briefing material: a content hash of the reports shown, and the footer line."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import shapely

import geo
from geo.filters import Filters
from geo.schema import FIELDS

# Hex digits of a hash printed on a page; the manifest keeps the whole digest.
SHORT = 16


def content_hash(reports: pd.DataFrame) -> str:
    """Return the SHA-256 of the reports' stored content, independent of row order.

    The schema's fields, ``uid`` and the coordinates are hashed (``pandas.util.hash_pandas_object``,
    row by row, rows ordered by ``uid``); the analysis columns are not, as they follow from the
    content, the scenario and the agreement, which the manifest hashes apart.
    """
    columns = [c for c in ["uid", *(f.name for f in FIELDS)] if c in reports.columns]
    frame = pd.DataFrame(reports[columns]).reset_index(drop=True)
    if "geometry" in reports.columns:
        geometry = reports.geometry.to_numpy()
        frame["lon"] = shapely.get_x(geometry)
        frame["lat"] = shapely.get_y(geometry)
    if "uid" in frame.columns:
        frame = frame.sort_values("uid", kind="stable")
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest = hashlib.sha256(b"|".join(c.encode() for c in frame.columns))
    digest.update(rows.tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Stamp:
    """What every page and image of a briefing says about its data.

    Attributes
    ----------
    view_hash
        :func:`content_hash` of the reports shown.
    n_reports
        How many reports are shown.
    filters
        The filters, in words.
    generated_at
        When the material was made (UTC).
    store_hash
        :func:`content_hash` of every stored report, when known.
    """

    view_hash: str
    n_reports: int
    filters: str
    generated_at: pd.Timestamp
    store_hash: str | None = None

    def text(self) -> str:
        """The footer line: data hash and count, filters, generation time, software version."""
        store = f" · store {self.store_hash[:SHORT]}" if self.store_hash else ""
        return (
            f"Data {self.view_hash[:SHORT]} ({self.n_reports:,} reports){store} · Filters: {self.filters} · "
            f"Generated {self.generated_at:%Y-%m-%d %H:%M:%S} UTC · Ceasefire Monitor {geo.__version__}"
        )


def make_stamp(
    reports: pd.DataFrame,
    filters: Filters,
    *,
    generated_at: pd.Timestamp | None = None,
    store_hash: str | None = None,
) -> Stamp:
    """Return the stamp of ``reports`` shown under ``filters``; the time defaults to now (UTC)."""
    when = pd.Timestamp.now(tz="UTC") if generated_at is None else pd.Timestamp(generated_at)
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    return Stamp(content_hash(reports), len(reports), filters.describe(), when.floor("s"), store_hash)
