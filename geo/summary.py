"""Summaries for the Overview page: headline counts, violations by side and sector, the latest flagged events."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd


def _since(frame: pd.DataFrame, end: pd.Timestamp, days: float) -> pd.DataFrame:
    return frame.loc[frame["occurred_at"] > end - pd.Timedelta(days=days)]


def headline(reports: pd.DataFrame, events: pd.DataFrame) -> list[tuple[str, int, str | None]]:
    """Return (label, value, note) for the headline metrics, counted back from the latest report.

    Monitoring data arrive late: counting back from the newest report, not from the wall clock,
    keeps the figures meaningful when a batch covers an earlier period.
    """
    if reports.empty:
        return [("Reports", 0, None)]
    end = reports["occurred_at"].max()
    likely = events.loc[events["flag_level"] == "likely"]
    out: list[tuple[str, int, str | None]] = [
        ("Reports, 24 h", len(_since(reports, end, 1)), None),
        ("Reports, 7 days", len(_since(reports, end, 7)), None),
        ("Events, 30 days", len(_since(events, end, 30)), None),
        ("Likely violations, 30 days", len(_since(likely, end, 30)), None),
    ]
    recent = _since(likely, end, 30)
    for side in ("RU", "UA"):
        out.append((f"Likely, attributed {side}", int((recent["attributed_side"] == side).sum()), None))
    return out


def reports_by_type(
    reports: pd.DataFrame,
    *,
    periods: tuple[tuple[str, float], ...] = (("24 h", 1), ("7 days", 7), ("30 days", 30)),
) -> pd.DataFrame:
    """Count reports per type over each period back from the latest report, and in all."""
    if reports.empty:
        return pd.DataFrame()
    end = reports["occurred_at"].max()
    table = pd.DataFrame(
        {label: _since(reports, end, days)["type"].value_counts() for label, days in periods}
    )
    table["all"] = reports["type"].value_counts()
    return table.fillna(0).astype(int).sort_values("all", ascending=False)


def _event_sector(reports: pd.DataFrame) -> pd.Series:
    """Each event's sector: the most common sector of its reports."""
    if "sector" not in reports:
        return pd.Series(dtype=object)
    return reports.dropna(subset=["sector"]).groupby("event_id")["sector"].agg(lambda s: s.mode().iloc[0])


def violations_by_side_and_sector(reports: pd.DataFrame, *, days: float = 30) -> pd.DataFrame:
    """Count likely-violation events per sector (rows) and attributed side (columns) over the last days."""
    if reports.empty:
        return pd.DataFrame()
    end = reports["occurred_at"].max()
    events = _since(reports, end, days).drop_duplicates("event_id")
    events = events.loc[events["flag_level"] == "likely"]
    if events.empty:
        return pd.DataFrame()
    sector = events["event_id"].map(_event_sector(reports)).fillna("(no sector)")
    table = pd.crosstab(
        sector.rename("sector"),
        events["attributed_side"].rename("attributed side"),
        margins=True,
        margins_name="total",
    )
    return table


def latest_flagged(reports: pd.DataFrame, events: gpd.GeoDataFrame, *, n: int = 15) -> pd.DataFrame:
    """The newest likely violations with their side, score and the rule reasons in words."""
    likely = events.loc[events["flag_level"] == "likely"].sort_values("occurred_at", ascending=False).head(n)
    sectors = _event_sector(reports)
    rules = likely["reasons"].map(lambda rs: " · ".join(r["sentence"] for r in rs if r["kind"] == "rule"))
    return pd.DataFrame(
        {
            "occurred_at": likely["occurred_at"].to_numpy(),
            "sector": likely["event_id"].map(sectors).to_numpy(),
            "type": likely["type"].to_numpy(),
            "weapon": likely["weapon"].to_numpy(),
            "side": [
                side if pd.isna(p) else f"{side} ({p:.0%})"
                for side, p in zip(likely["attributed_side"], likely["attributed_side_p"], strict=True)
            ],
            "score": likely["violation_score"].round(2).to_numpy(),
            "sources": likely["n_sources"].to_numpy(),
            "reasons": rules.to_numpy(),
        }
    )


PERIODS: tuple[tuple[str, float], ...] = (("24 h", 1), ("7 days", 7), ("30 days", 30))


def headline_table(reports: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Reports, events and likely violations by attributed side, per period back from the latest report."""
    if reports.empty:
        return pd.DataFrame()
    end = reports["occurred_at"].max()
    columns = {}
    for label, days in PERIODS:
        recent = _since(events, end, days)
        likely = recent.loc[recent["flag_level"] == "likely"]
        side = likely["attributed_side"].astype("string").fillna("undetermined")
        columns[label] = {
            "Reports": len(_since(reports, end, days)),
            "Events": len(recent),
            "Likely violations": len(likely),
            "Likely, attributed RU": int((side == "RU").sum()),
            "Likely, attributed UA": int((side == "UA").sum()),
            "Likely, side undetermined": int((~side.isin(["RU", "UA"])).sum()),
        }
    return pd.DataFrame(columns)


def sector_trends(reports: pd.DataFrame, *, days: int = 30) -> pd.DataFrame:
    """Per sector: daily report counts over the last ``days`` (oldest first) and likely violations in them.

    Columns ``sector``, ``reports`` (total), ``likely`` (events flagged likely), ``daily`` (a list
    of ``days`` counts, for a sparkline), most reports first.
    """
    if reports.empty or "sector" not in reports:
        return pd.DataFrame(columns=["sector", "reports", "likely", "daily"])
    end = reports["occurred_at"].max().normalize()
    recent = _since(reports, end + pd.Timedelta(days=1), days)
    day = ((recent["occurred_at"].dt.floor("D") - (end - pd.Timedelta(days=days - 1))).dt.days).to_numpy()
    sector = recent["sector"].astype("string").fillna("(no sector)")
    rows = []
    for name, idx in sector.groupby(sector).indices.items():
        daily = pd.Series(day[idx]).value_counts().reindex(range(days), fill_value=0).tolist()
        part = recent.iloc[idx]
        likely = part.loc[part["flag_level"] == "likely", "event_id"].nunique() if "flag_level" in part else 0
        rows.append({"sector": name, "reports": len(idx), "likely": int(likely), "daily": daily})
    table = pd.DataFrame(rows, columns=["sector", "reports", "likely", "daily"])
    return table.sort_values("reports", ascending=False, kind="stable").reset_index(drop=True)
