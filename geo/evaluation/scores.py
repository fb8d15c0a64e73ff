"""Measure the analytic path against a ground truth: flag precision and recall, side accuracy, event merging."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from geo.errors import InputError

TRUTH_REQUIRED = ("uid", "happening_id", "is_violation", "firing_side", "is_false_report")


@dataclass(frozen=True)
class Scores:
    """How well the flags, the sides and the events match the truth (shares in [0, 1])."""

    reports: int
    true_violations: int
    likely_precision: float
    likely_recall: float
    flagged_precision: float
    flagged_recall: float
    attributed_share: float
    attribution_accuracy: float
    pair_precision: float
    pair_recall: float
    wrong_side_flagged: float = float("nan")
    wrong_side_likely: float = float("nan")
    happening_likely_precision: float = float("nan")
    happening_likely_recall: float = float("nan")
    happening_flagged_recall: float = float("nan")

    def as_table(self) -> str:
        """The figures as a Markdown table, for docs/METHOD.md."""
        rows = [
            f"| {k.replace('_', ' ')} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v:,} |"
            for k, v in asdict(self).items()
        ]
        return "\n".join(["| measure | value |", "| --- | ---: |", *rows])


def read_truth(path: Path) -> pd.DataFrame:
    """Read a ground-truth CSV (as the demo generator writes it)."""
    truth = pd.read_csv(path, dtype={"happening_id": str, "firing_side": str})
    missing = [c for c in TRUTH_REQUIRED if c not in truth]
    if missing:
        msg = f"The ground truth {path} lacks the column(s) {', '.join(missing)}."
        raise InputError(msg, hint="Regenerate it with python -m geo demo --regenerate.")
    return truth


def _pairs(counts: pd.Series) -> int:
    return int((counts * (counts - 1) // 2).sum())


def _share(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def score_against_truth(reports: pd.DataFrame, truth: pd.DataFrame) -> Scores:
    """Compare flagged reports with the truth.

    Parameters
    ----------
    reports
        The per-report output of :func:`geo.pipeline.flag`: ``uid``, ``event_id``, ``flag_level``,
        ``attributed_side``.
    truth
        One row per report: ``uid``, ``happening_id`` (empty for a false report), ``is_violation``,
        ``firing_side``.

    Returns
    -------
    Scores
        Precision and recall of ``likely`` (and of ``likely`` or ``possible``) against true
        violations; the share of true violations attributed to a side and how many of those are
        right; the pairwise precision and recall of merging reports into events (two reports
        of one true happening, or of one false claim and its copies, should share an event, two of
        different happenings should not); the
        wrong-side rate (true violations flagged and attributed to the side that did not fire, over
        those flagged; and among ``likely``); and precision and recall per happening.
    """
    df = reports[["uid", "event_id", "flag_level", "attributed_side"]].merge(
        truth, on="uid", how="inner", validate="1:1"
    )
    if len(df) != len(reports):
        msg = f"{len(reports) - len(df)} of {len(reports)} reports have no row in the ground truth."
        raise InputError(msg, hint="Score the reports the truth was generated with.")
    truly = df["is_violation"].astype(bool)
    likely = df["flag_level"].eq("likely")
    flagged = df["flag_level"].isin(["likely", "possible"])
    attributed = truly & df["attributed_side"].isin(["UA", "RU"])
    right = attributed & df["attributed_side"].eq(df["firing_side"])

    # For the pairs, a false claim and the reports repeating it (``rereport_of``, when the truth has
    # it) are one claim: merging them is right, though no happening lies behind them.
    claim = df["happening_id"].fillna("").astype(str)
    root = df["uid"].astype(str)
    if "rereport_of" in df:
        copied = df["rereport_of"].fillna("").astype(str)
        root = copied.where(copied != "", root)
    false = df["is_false_report"].astype(bool) & (claim == "")
    claim = claim.where(~false, "false:" + root)
    real = df.assign(happening_id=claim)[claim != ""]
    together = _pairs(real.groupby(["event_id", "happening_id"]).size())
    wrong = attributed & ~right
    happening = _per_happening(df, truly, likely, flagged)
    return Scores(
        reports=len(df),
        true_violations=int(truly.sum()),
        likely_precision=_share(int((likely & truly).sum()), int(likely.sum())),
        likely_recall=_share(int((likely & truly).sum()), int(truly.sum())),
        flagged_precision=_share(int((flagged & truly).sum()), int(flagged.sum())),
        flagged_recall=_share(int((flagged & truly).sum()), int(truly.sum())),
        attributed_share=_share(int(attributed.sum()), int(truly.sum())),
        attribution_accuracy=_share(int(right.sum()), int(attributed.sum())),
        pair_precision=_share(together, _pairs(df.groupby("event_id").size())),
        pair_recall=_share(together, _pairs(real.groupby("happening_id").size())),
        wrong_side_flagged=_share(int((wrong & flagged).sum()), int((truly & flagged).sum())),
        wrong_side_likely=_share(int((wrong & likely).sum()), int((truly & likely).sum())),
        **happening,
    )


def pooled_wrong_side(scores: list[Scores]) -> tuple[float, float]:
    """The wrong-side rates of several worlds counted together: (among flagged, among ``likely``).

    A rate of a fraction of a per cent rests on a handful of reports in one world (seven of some
    700 flagged true violations at 1 %), and those come in events of several reports: one world's
    rate moves by that much between seeds. Counted over several worlds it measures the method.

    Examples
    --------
    >>> a = Scores(100, 100, 1, 1, 1, 1.0, 1, 1, 1, 1, wrong_side_flagged=0.02, wrong_side_likely=0.0)
    >>> pooled_wrong_side([a, a])
    (0.02, 0.0)
    """
    flagged = [s.flagged_recall * s.true_violations for s in scores]
    likely = [s.likely_recall * s.true_violations for s in scores]
    wrong_flagged = sum(s.wrong_side_flagged * n for s, n in zip(scores, flagged, strict=True))
    wrong_likely = sum(s.wrong_side_likely * n for s, n in zip(scores, likely, strict=True))
    return _share(wrong_flagged, sum(flagged)), _share(wrong_likely, sum(likely))


def _per_happening(
    df: pd.DataFrame, truly: pd.Series, likely: pd.Series, flagged: pd.Series
) -> dict[str, float]:
    """Precision and recall counted once per happening and once per event, not per report.

    A true violation is found ``likely`` when any of its reports is; an event flagged ``likely`` is
    right when most of its reports belong to true violations (a false claim's reports belong to none).
    """
    real = df["happening_id"].notna() & (df["happening_id"] != "")
    by_happening = pd.DataFrame({"h": df["happening_id"], "v": truly, "l": likely, "f": flagged})[real]
    violations = by_happening[by_happening["v"]].groupby("h")[["l", "f"]].any()
    events = pd.DataFrame({"e": df["event_id"], "v": truly, "l": likely})
    likely_events = events[events["l"]].groupby("e")["v"].mean()
    return {
        "happening_likely_precision": _share(int((likely_events > 0.5).sum()), len(likely_events)),
        "happening_likely_recall": _share(int(violations["l"].sum()), len(violations)),
        "happening_flagged_recall": _share(int(violations["f"].sum()), len(violations)),
    }


def evaluate_demo() -> Scores:
    """Run the whole analytic path on the committed demo month and score it against its ground truth."""
    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch
    from geo.pipeline import analyse
    from geo.settings import load_settings

    settings = load_settings()
    frames = [
        read_batch(p.read_bytes(), filename=p.name).accepted for p in sorted(DEMO_DIR.glob("*.geojson"))
    ]
    reports = pd.concat(frames, ignore_index=True)
    result = analyse(reports, scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path)
    return score_against_truth(result.reports, read_truth(DEMO_DIR / "ground_truth.csv"))
