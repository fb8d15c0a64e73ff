"""The filters the Map, Incidents and Overview pages share, applied to analysed reports."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

# Columns a user filters by choosing values; the order is the sidebar's.
CHOICE_COLUMNS: tuple[str, ...] = ("type", "weapon", "source", "flag_level", "side")


@dataclass(frozen=True)
class Filters:
    """A period (inclusive, UTC) and, per column, the values to keep (empty keeps all)."""

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def describe(self) -> str:
        """The filters in words, for captions and briefing stamps."""
        parts = []
        if self.start is not None or self.end is not None:
            a = "…" if self.start is None else f"{self.start:%Y-%m-%d}"
            b = "…" if self.end is None else f"{self.end:%Y-%m-%d}"
            parts.append(f"{a} to {b} UTC")
        parts += [f"{col}: {', '.join(vals)}" for col, vals in self.choices.items() if vals]
        return "; ".join(parts) or "no filters"


def apply_filters(reports: gpd.GeoDataFrame, filters: Filters) -> gpd.GeoDataFrame:
    """Return the reports the filters keep (a boolean mask; no copy of the kept rows' data)."""
    keep = pd.Series(True, index=reports.index)
    if filters.start is not None:
        keep &= reports["occurred_at"] >= filters.start
    if filters.end is not None:
        keep &= reports["occurred_at"] <= filters.end
    for column, values in filters.choices.items():
        if values and column in reports.columns:
            keep &= reports[column].isin(values)
    return reports.loc[keep]
