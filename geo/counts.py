"""The counts every page, the briefing pack and the CLI show: reports, events and likely violations of a view.

One definition of each, so that the same filters give the same figures everywhere:

- **reports** of a view: the reports the filters keep (:func:`geo.filters.filter_mask`), each by its
  own time, sector, side of the line and other fields;
- **events** of a view: the events (reports merged by corroboration) whose own time
  (``occurred_at``: the median of their reports' times) is in the period, whose own sector
  (:func:`event_sectors`) is among the chosen sectors, whose flag level is among those chosen, and
  that have at least one report the other filters (type, weapon, source, reliability, side of the
  line, distance) keep. An event is thus counted once, in one period and one sector, even when its
  reports straddle a midnight or a sector's edge: the counts of consecutive periods, or of the
  sectors, add up to the count of the whole;
- **likely violations**: events flagged ``likely`` (never report rows); **possible violations** the
  same for ``possible``;
- an event's **attributed side**: its ``attributed_side``, ``undetermined`` when the score named none.

The reports of a view and its events are two selections: a report in the period may belong to an
event dated just outside it, and the other way round. Tables say which they count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.filters import MISSING, Filters, filter_mask
from geo.framememo import per_frame
from geo.patterns.params import NO_SECTOR
from geo.periods import between
from geo.pipeline import stand_ins

# The definitions in one sentence, for a caption's help where people read these figures.
HOW_COUNTED = (
    "Reports: the reports the filters keep, each by its own time and fields. Events: reports merged by "
    "corroboration, each counted once, by the event's time (the median of its reports' times) and its one "
    "sector (its earliest report's), when one of its reports passes the other filters. Likely violations: "
    "events flagged likely. Periods are whole UTC days."
)
LIKELY = "likely"
POSSIBLE = "possible"
SIDES = ("RU", "UA")
UNDETERMINED = "undetermined"
# Filters that are the event's own (one value per event), not its reports'.
EVENT_LEVEL = ("sector", "flag_level")


@per_frame
def event_sectors(reports: pd.DataFrame) -> pd.Series:
    """Each event's one sector, indexed by ``event_id``: the sector of its earliest report (then smallest uid).

    That report stands for the event in the sector surge tests (:func:`geo.pipeline.stand_ins`),
    so a surge's sector and the sector an event is counted in are the same. NaN when that report
    lies in no sector. ``reports`` must be every analysed report (an event's sector does not depend
    on filters); the value is computed once per frame.
    """
    if "sector" not in reports.columns:
        return pd.Series(np.nan, index=pd.Index(reports["event_id"].unique(), name="event_id"), dtype=object)
    first = stand_ins(reports)
    return pd.Series(
        first["sector"].to_numpy(dtype=object), index=pd.Index(first["event_id"], name="event_id")
    )


def sector_of(reports: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """The sector of each of ``events`` (:func:`event_sectors`), aligned on them; :data:`NO_SECTOR` for none."""
    sector = events["event_id"].map(event_sectors(reports))
    return sector.astype(object).where(sector.notna(), NO_SECTOR)


def side_of(events: pd.DataFrame) -> pd.Series:
    """The attributed side of each event, :data:`UNDETERMINED` when the score named none."""
    side = events["attributed_side"].astype(object)
    return side.where(side.isin(SIDES), UNDETERMINED)


def event_mask(reports: pd.DataFrame, events: pd.DataFrame, filters: Filters) -> np.ndarray:
    """Return, per event of ``events``, whether the view of ``filters`` counts it (see the module's text).

    ``reports`` are every analysed report, with ``event_id``; ``events`` the analysis's events.
    """
    _require(reports, events)
    keep = between(events["occurred_at"], filters.start, filters.stop)
    sectors = filters.choices.get("sector")
    if sectors:
        wanted = [NO_SECTOR if s == MISSING else s for s in sectors]
        keep &= sector_of(reports, events).isin(wanted).to_numpy()
    levels = filters.choices.get("flag_level")
    if levels:
        keep &= events["flag_level"].isin(levels).to_numpy()
    rest = Filters(
        choices={c: v for c, v in filters.choices.items() if v and c not in EVENT_LEVEL},
        min_km=filters.min_km,
        max_km=filters.max_km,
        area=filters.area,
    )
    if rest != Filters():
        kept = reports["event_id"].to_numpy()[filter_mask(reports, rest)]
        keep &= events["event_id"].isin(pd.unique(kept)).to_numpy()
    return keep


def _require(reports: pd.DataFrame, events: pd.DataFrame) -> None:
    lacking = [f"reports.{c}" for c in ("event_id", "occurred_at") if c not in reports.columns]
    lacking += [f"events.{c}" for c in ("event_id", "occurred_at", "flag_level") if c not in events.columns]
    if lacking:
        msg = f"Events are counted in an analysis; these columns are missing: {', '.join(lacking)}."
        raise ValueError(msg)


def view_events(reports: pd.DataFrame, events: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The events the view counts (:func:`event_mask`), with their ``sector`` and ``side`` (attributed)."""
    chosen = events.loc[event_mask(reports, events, filters)]
    return chosen.assign(sector=sector_of(reports, chosen), side=side_of(chosen))


def likely(events: pd.DataFrame) -> pd.DataFrame:
    """The events flagged as likely violations."""
    return events.loc[events["flag_level"] == LIKELY]


@dataclass(frozen=True)
class Figures:
    """The figures of one view. Reports count report rows; the rest count events.

    Attributes
    ----------
    reports
        Reports the filters keep, each by its own time.
    events
        Events the view counts, each by its own time and sector.
    likely, possible
        Of those events, the ones flagged ``likely`` and ``possible``.
    likely_by_side
        The likely ones per attributed side: ``RU``, ``UA`` and ``undetermined``, always all three.
    """

    reports: int
    events: int
    likely: int
    possible: int
    likely_by_side: dict[str, int]

    def sentence(self, *, of: int | None = None) -> str:
        """The figures in words for a caption; ``of``: the reports in all, for "769 of 3,667 reports"."""
        reports = f"{self.reports:,} reports" if of is None else f"{self.reports:,} of {of:,} reports"
        return f"{reports} · {self.events:,} events · {self.likely:,} likely violations (events)"


def figures(reports: pd.DataFrame, events: pd.DataFrame, filters: Filters) -> Figures:
    """The figures of the view of ``filters`` over an analysis (every report and every event of it)."""
    chosen = view_events(reports, events, filters)
    sides = likely(chosen)["side"].value_counts()
    return Figures(
        reports=int(filter_mask(reports, filters).sum()),
        events=len(chosen),
        likely=int((chosen["flag_level"] == LIKELY).sum()),
        possible=int((chosen["flag_level"] == POSSIBLE).sum()),
        likely_by_side={side: int(sides.get(side, 0)) for side in (*SIDES, UNDETERMINED)},
    )


def likely_by_sector_and_side(reports: pd.DataFrame, events: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Likely violations (events) of the view per sector (rows) and attributed side (columns), with totals.

    Rows: every sector with a likely violation, sorted, then ``total``; columns ``RU``, ``UA``,
    ``undetermined``, ``total``. Empty when the view has no likely violation. Its total is
    :attr:`Figures.likely` of the same view.
    """
    chosen = likely(view_events(reports, events, filters))
    if chosen.empty:
        return pd.DataFrame()
    table = pd.crosstab(chosen["sector"].rename("sector"), chosen["side"].rename("attributed side"))
    table = table.reindex(columns=[*SIDES, UNDETERMINED], fill_value=0)
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    return table.rename_axis(columns="attributed side")
