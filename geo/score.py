"""Score events: how likely each is a violation, by which side, and every reason with its weight."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.attribution.sides import ATTRIBUTION_THRESHOLD
from geo.corroborate import independence
from geo.errors import InputError
from geo.lookup import among, arrow_text, positions_among, take_rows
from geo.memory import give_back_memory

SIDES: tuple[str, ...] = ("UA", "RU")
# One of an event's reasons (its ``reasons`` column is a list of them), as the analysis is stored.
REASON = pa.struct(
    [("kind", pa.string()), ("code", pa.string()), ("weight", pa.float64()), ("sentence", pa.string())]
)

# Types whose reported location is where the weapon was: the side that controls it is responsible.
FIRING_POSITION_TYPES = frozenset({"outgoing_fire", "muzzle_flash", "weapon_sighting"})
# Types whose reported location is where the fire landed: weak evidence against the other side.
LANDING_TYPES = frozenset({"impact", "undetermined_explosion", "air_or_drone_strike"})


@dataclass(frozen=True)
class ScoreParams:
    """The scoring settings; docs/METHOD.md ("Score") gives each default and why."""

    likely: float = 0.5
    possible: float = 0.3
    attribution_threshold: float = ATTRIBUTION_THRESHOLD
    # Evidence strength for a side from where a weapon or firing position was seen.
    position_p: float = 0.95
    # Impact evidence: p(other side) rises from 0.5 at the line to this at impact_full_m inside.
    impact_max_p: float = 0.8
    impact_full_m: float = 10_000.0
    # Pattern evidence: membership in a significant space-time cluster or surge (geo.patterns) each
    # adds this as an independent chance that the event happened (docs/METHOD.md, "Patterns").
    pattern_weight: float = 0.3

    def __post_init__(self) -> None:
        if not 0 < self.possible < self.likely <= 1:
            msg = f"Score thresholds possible={self.possible} and likely={self.likely} are out of order."
            raise InputError(msg, hint="Use 0 < possible < likely <= 1.")
        if not 0 <= self.pattern_weight < 1:
            msg = f"The pattern weight {self.pattern_weight} is out of range."
            raise InputError(msg, hint="Use a weight from 0 (patterns ignored) to below 1.")


def level_of(score: np.ndarray | pd.Series, params: ScoreParams) -> np.ndarray:
    """Return 'likely', 'possible' or 'unlikely' for each score."""
    s = np.asarray(score, dtype=float)
    return np.where(s >= params.likely, "likely", np.where(s >= params.possible, "possible", "unlikely"))


def side_evidence(reports: pd.DataFrame, params: ScoreParams, *, words: bool = True) -> pd.DataFrame:
    """Return each report's probability that side UA acted, and the reason in words.

    Columns ``p_UA`` (NaN where the report says nothing about a side), ``basis`` and ``sentence``
    (without ``words``: ``depth_m``, the distance to the line :func:`side_sentences` words a
    landing with, so that only the evidence that counts is worded).
    Origin estimates from bearings come first; then where a weapon or firing position was seen;
    then, weakly, which side an impact landed on. A report with an observer is located at the
    observer unless it has a bearing or a distance, so its place is neither a firing position nor
    a landing point: it gives side evidence only through its origin estimate.
    """
    n = len(reports)
    p_ua = np.full(n, np.nan)
    basis = np.full(n, None, dtype=object)
    side = reports.get("side", pd.Series([None] * n, index=reports.index)).to_numpy()
    rtype = reports["type"].to_numpy()

    if "origin_p_UA" in reports:
        origin = reports["origin_p_UA"].astype(float).to_numpy()
        has = np.isfinite(origin)
        p_ua[has] = origin[has]
        basis[has] = "origin"
    observer = reports.get("observer_lon", pd.Series(np.nan, index=reports.index)).astype(float).to_numpy()
    located = ~np.isfinite(observer)
    free = np.isnan(p_ua)
    at_position = free & located & np.isin(rtype, list(FIRING_POSITION_TYPES)) & np.isin(side, SIDES)
    p_ua[at_position] = np.where(side[at_position] == "UA", params.position_p, 1 - params.position_p)
    basis[at_position] = "position"
    free = np.isnan(p_ua)
    distance = np.zeros(n, dtype=bool)
    for name in ("distance_min_m", "distance_max_m"):
        if name in reports:
            distance |= np.isfinite(reports[name].astype(float).to_numpy())
    landed = free & (located | distance) & np.isin(rtype, list(LANDING_TYPES)) & np.isin(side, SIDES)
    depth = reports.get("dist_to_line_m", pd.Series(np.nan, index=reports.index)).astype(float).to_numpy()
    lean = (params.impact_max_p - 0.5) * np.clip(np.nan_to_num(depth) / params.impact_full_m, 0, 1)
    p_ua[landed] = np.where(side[landed] == "RU", 0.5 + lean[landed], 0.5 - lean[landed])
    basis[landed] = "landing"
    if not words:
        return pd.DataFrame({"p_UA": p_ua, "basis": basis, "depth_m": depth}, index=reports.index)
    said = side_sentences(p_ua, basis, depth)
    return pd.DataFrame({"p_UA": p_ua, "basis": basis, "sentence": said}, index=reports.index)


def side_sentences(p_ua: np.ndarray, basis: np.ndarray, depth_m: np.ndarray) -> np.ndarray:
    """Each piece of side evidence in words (:func:`side_evidence`'s ``sentence``), None where none."""
    p_ua, basis, depth_m = (np.asarray(v) for v in (p_ua, basis, depth_m))
    sentences = np.full(len(p_ua), None, dtype=object)
    for kind, text in (
        ("origin", "the estimated origin of the fire lies {p:.0%} in {s}-controlled area"),
        ("position", "the weapon or firing position was seen in {s}-controlled area"),
        ("landing", "the fire landed {d:.1f} km inside {o}-controlled area, so it more likely came from {s}"),
    ):
        idx = np.flatnonzero(basis == kind)
        # Formatting sentences only (the figures are vectorised), from plain floats.
        said = []
        for p, d in zip(
            p_ua[idx].astype(float).tolist(), (depth_m[idx].astype(float) / 1000).tolist(), strict=True
        ):
            s = "UA" if p >= 0.5 else "RU"
            said.append(text.format(p=max(p, 1 - p), s=s, o="RU" if s == "UA" else "UA", d=d))
        sentences[idx] = said
    return sentences


def _pooled(evidence: pd.DataFrame) -> pd.Series:
    """Pool each event's independent probabilities for UA by summing log-odds (each observation once).

    One vectorised sum over all events (a groupby with a Python function per event took 159 s at a
    million reports).
    """
    q = evidence["p_UA"].clip(0.01, 0.99).to_numpy(dtype=float)
    logit = pd.Series(np.log(q / (1 - q)), index=evidence.index).groupby(evidence["event_id"]).sum()
    return 1 / (1 + np.exp(-logit))


def _spans(keys: pd.Series, table_keys: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each key's rows of a table lie once the table is grouped by key.

    Returns ``order``, the table's row positions grouped by key (in row order within a key; rows
    whose key is not among ``keys`` are left out), and each of ``keys``'s ``start`` and ``count``
    in it (a missing key has none). One factorisation of both and one stable sort: a dict of arrays
    per group (groupby ``.indices``) cost seconds at a million reports. Distinct Arrow text keys
    (event ids) are looked up in Arrow instead: factorising the two columns together made Python
    text of both, the from-scratch analysis's peak.
    """
    mine, table, n = _codes(keys, table_keys)
    # One slot more than there are keys, never wanted: a missing key (code -1) finds it empty.
    wanted = np.zeros(n + 1, dtype=bool)
    wanted[mine] = True
    wanted[-1] = False
    kept = np.flatnonzero(wanted[table])
    order = kept[np.argsort(table[kept], kind="stable")]
    count = np.bincount(table[kept], minlength=n + 1)
    start = np.cumsum(count) - count
    return order, start[mine], count[mine]


def _codes(keys: pd.Series, table_keys: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes of ``keys`` and ``table_keys`` (equal values, equal codes; -1 for a missing or,
    in the table, an unknown key) and how many codes there are."""
    found = positions_among(table_keys, keys)
    if found is not None:
        return np.arange(len(keys)), found, len(keys)
    codes, uniques = pd.factorize(pd.concat([keys, table_keys], ignore_index=True))
    return codes[: len(keys)], codes[len(keys) :], len(uniques)


def score_events(
    events: pd.DataFrame,
    reports: pd.DataFrame,
    reasons: pd.DataFrame,
    *,
    params: ScoreParams | None = None,
    patterns: pd.DataFrame | None = None,
    families: np.ndarray | None = None,
) -> pd.DataFrame:
    """Score each event.

    Parameters
    ----------
    events
        From :func:`geo.corroborate.group_reports`: ``event_id``, ``confidence``.
    reports
        The enriched reports with ``uid``, ``event_id``, ``source``, ``type``, ``side``,
        ``dist_to_line_m`` and the origin columns.
    reasons
        From :func:`geo.rules.evaluate`: ``uid``, ``code``, ``severity``, ``weight``, ``sentence``.
    params
        Thresholds and evidence strengths.
    patterns
        From :func:`geo.patterns.pattern_evidence`: ``uid``, ``code``, ``p_value``, ``sentence``;
        each code on any of an event's reports raises its confidence by ``params.pattern_weight``
        as an independent chance (noisy-OR). None or empty: no pattern evidence.
    families
        Each report's source family, in ``reports``' order, when corroboration already found them
        (:attr:`geo.corroborate.Corroboration.families`); None works them out again.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``events``: ``event_id``, ``violation_score``, ``flag_level``,
        ``attributed_side``, ``attributed_side_p``, ``side_reason``, ``p_UA``, and ``side_uids``:
        an Arrow list of the uids of the reports whose side evidence counted (:func:`explain` words
        them, with the rules and patterns behind the score, for the events shown).
    """
    params = params or ScoreParams()
    missing = {"uid", "event_id", "source", "type"} - set(reports.columns)
    if missing:
        msg = f"Reports to score lack the column(s) {', '.join(sorted(missing))}."
        raise InputError(msg, hint="Corroborate them first (geo.corroborate.group_reports).")
    to_event = reports.set_index("uid")["event_id"]
    # Rule evidence: each reason code counts once per event at its highest weight; breaches combine
    # as independent chances that the event breaches the agreement (noisy-OR), the strongest
    # mitigation (a notified activity, an observer's lawful assessment) scales that down, and a cap
    # (a time straddling the effective time) keeps the event at most 'possible'.
    r, best = _ranked(reasons, to_event)
    capped = _capped(r)
    del r
    breaches = best[best["effect"] == "breach"]
    breach = 1 - np.exp(np.log1p(-breaches["weight"].clip(upper=0.999)).groupby(breaches["event_id"]).sum())
    mitigations = best[best["effect"] == "mitigate"]
    mitigation = mitigations.groupby("event_id")["weight"].max().clip(0, 1)
    del best, breaches, mitigations

    evidence = side_evidence(reports, params, words=False).join(reports[["event_id", "uid"]])
    evidence["family"] = _families(reports) if families is None else families
    decisive = _decisive(evidence.dropna(subset=["p_UA"]), reports)
    del evidence
    # Only the evidence that counts is worded (a million reports' sentences were the score's peak).
    said = side_sentences(decisive["p_UA"], decisive["basis"], decisive["depth_m"])
    decisive = decisive.drop(columns="depth_m").assign(sentence=said)
    p_ua = _pooled(decisive)

    pattern = _pattern_reasons(patterns, to_event)
    lift = 1 - (1 - params.pattern_weight) ** pattern.groupby("event_id").size()
    del pattern, to_event
    # What the steps above freed (a million reports' side evidence and ranked reasons) back to the
    # system before the sentences are built: the score's peak was theirs and the sentences' at once.
    give_back_memory()

    out = events[["event_id", "confidence"]].copy()
    out["breach"] = _looked_up(out["event_id"], breach).fillna(0.0)
    happened = 1 - (1 - out["confidence"]) * (1 - _looked_up(out["event_id"], lift).fillna(0.0))
    raw = happened * out["breach"] * (1 - _looked_up(out["event_id"], mitigation).fillna(0.0))
    raw = np.where(among(out["event_id"], capped), np.minimum(raw, params.possible), raw)
    out["violation_score"] = np.round(raw, 4)
    out["flag_level"] = level_of(out["violation_score"], params)
    out["p_UA"] = _looked_up(out["event_id"], p_ua)
    side_p = np.fmax(out["p_UA"], 1 - out["p_UA"])
    decided = side_p >= params.attribution_threshold
    out["attributed_side"] = np.where(decided, np.where(out["p_UA"] >= 0.5, "UA", "RU"), "undetermined")
    out["attributed_side_p"] = side_p.round(4)
    out["side_reason"] = _side_reasons(out, decisive, params)
    out["side_uids"] = _side_uids(out["event_id"], decisive)
    return out.drop(columns=["breach"])


def explain(
    events: pd.DataFrame,
    reports: pd.DataFrame,
    reasons: pd.DataFrame,
    patterns: pd.DataFrame | None = None,
    *,
    params: ScoreParams | None = None,
    wording: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.Series:
    """Each of ``events``'s reasons: corroboration, patterns, the rules that fired, the side evidence.

    ``events`` are scored events (``event_id``, ``confidence``, ``side_uids``: a few, those shown or
    exported); ``reports``, ``reasons`` and ``patterns`` are the whole analysis's, as they were
    scored. The reasons are kept only in their long tables and joined here, when shown: a copy per
    event was 400 MB at a million reports, held, written and read back at every update.

    Each event's reasons depend on its own reports only (the side evidence that counted is the
    event's ``side_uids``, chosen by the score among all reports), so they are the same whichever
    events are asked for together.

    ``reasons`` without a ``sentence`` (as an analysis keeps them) are worded by ``wording``: the
    rules evaluated again, worded, on the reports given (every rule tests a report alone).

    Returns a Series indexed like ``events`` of Arrow lists of :data:`REASON` (an element reads as
    a list of dicts), in this order: the corroboration, each pattern code, each rule code at its
    highest weight (the strongest first), then each report whose side evidence counted.
    """
    params = params or ScoreParams()
    ids = set(events["event_id"])
    members = take_rows(reports, among(reports["event_id"], ids))
    to_event = members.set_index("uid")["event_id"]
    mine = take_rows(reasons, among(reasons["uid"], set(to_event.index))).reset_index(drop=True)
    worded = mine["sentence"] if "sentence" in mine else _worded(mine, members, wording)
    _, best = _ranked(mine, to_event)
    pattern = _pattern_reasons(
        None if patterns is None else take_rows(patterns, among(patterns["uid"], set(to_event.index))),
        to_event,
    )
    # The side evidence that counted, in the order the score listed it, worded again from its reports.
    counted = events[["event_id", "side_uids"]].explode("side_uids").dropna(subset=["side_uids"])
    said = side_evidence(members, params).set_axis(members["uid"].to_numpy())
    said = said.reindex(counted["side_uids"].to_numpy())
    side = pd.DataFrame(
        {
            "event_id": counted["event_id"].to_numpy(),
            "uid": counted["side_uids"].to_numpy(),
            "basis": said["basis"].to_numpy(),
            "p_UA": said["p_UA"].to_numpy(),
            "sentence": said["sentence"].to_numpy(),
        }
    )
    out = events[["event_id", "confidence"]]
    return _explain(out, best, worded, side, pattern, params.pattern_weight)


def _worded(
    reasons: pd.DataFrame, reports: pd.DataFrame, wording: Callable[[pd.DataFrame], pd.DataFrame] | None
) -> pd.Series:
    """The sentence of each of ``reasons`` (a positional Series), from the rules evaluated again on
    their ``reports`` by ``wording``.

    A reason is matched by its report, its code and its place among that report's reasons of the
    code (a rule may fire more than once on a report, once per zone). A reason the evaluation does
    not give again means the analysis was not made under these terms: an error, never a guess.
    """
    if reasons.empty:
        return pd.Series([], dtype="str")
    if wording is None:
        msg = "The rules' reasons of this analysis are not worded, and it does not say which scenario and agreement made it."
        raise InputError(msg, hint="Use an analysis from geo.pipeline.analyse or geo.refresh.refresh_store.")
    worded = wording(take_rows(reports, among(reports["uid"], set(reasons["uid"]))))

    def keys(frame: pd.DataFrame) -> pd.Series:
        nth = frame.groupby(["uid", "code"], sort=False).cumcount()
        return frame["uid"].astype(str) + "\x1f" + frame["code"].astype(str) + "\x1f" + nth.astype(str)

    said = pd.Series(worded["sentence"].to_numpy(), index=keys(worded).to_numpy())
    found = said.reindex(keys(reasons).to_numpy())
    if found.isna().any():
        missing = reasons[found.isna().to_numpy()].iloc[0]
        msg = (
            f"The reason {missing['code']} of report {missing['uid']} is not given again by the rules "
            "it was analysed with: the stored analysis does not match its scenario and agreement."
        )
        raise InputError(msg, hint="Analyse the store again (python -m geo analyse).")
    return pd.Series(found.to_numpy(), dtype="str")


def _side_uids(event_ids: pd.Series, decisive: pd.DataFrame) -> pd.Series:
    """Each event's reports whose side evidence counted (an Arrow list of uids, in report order)."""
    order, start, count = _spans(event_ids, decisive["event_id"])
    within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    rows = order[np.repeat(start, count) + within]
    uids = _text(decisive["uid"]).take(pa.array(rows))
    listed = pa.ListArray.from_arrays(pa.array(np.concatenate([[0], np.cumsum(count)]), pa.int32()), uids)
    return pd.Series(pd.arrays.ArrowExtensionArray(listed), index=event_ids.index)


def _ranked(reasons: pd.DataFrame, to_event: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reasons of the reports in ``to_event`` with their event, and each event's best reason per code.

    Returns the reasons (``uid``, ``code``, ``weight``, ``effect``, ``event_id``) ordered by report
    uid (each report's in the rules' order): ties between equal reasons break by it, whichever way
    the table was built (geo.incremental rebuilds it in parts); and of those, each event's codes
    once at their highest weight, the strongest first. Both are indexed by row position in
    ``reasons`` and leave its sentences out: sorting the whole table with them made several copies
    of a million sentences; the score takes only those it lists.
    """
    narrow = reasons[[c for c in ("uid", "code", "weight", "effect") if c in reasons]].reset_index(drop=True)
    narrow = narrow.iloc[_text_order(narrow["uid"])]
    r = narrow.assign(event_id=_looked_up(narrow["uid"], to_event)).dropna(subset=["event_id"])
    if "effect" not in r:
        r = r.assign(effect="breach")
    best = r.sort_values("weight", ascending=False, kind="stable").drop_duplicates(["event_id", "code"])
    return r, best


def _text_order(values: pd.Series) -> np.ndarray:
    """Positions that sort ``values`` (``sort_values(kind="stable")``, missing last); Arrow text in
    Arrow (a million uids in a fifth of pandas' time)."""
    text = arrow_text(values)
    if text is None:
        return values.reset_index(drop=True).sort_values(kind="stable").index.to_numpy()
    return pc.sort_indices(text).to_numpy()  # stable, missing values last


def _looked_up(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``keys.map(table)`` (``table`` indexed by distinct keys), by Arrow positions when both are text."""
    at = None if table.dtype == object else positions_among(keys, table.index.to_series())
    if at is None:  # an object table (an empty one, say) as map makes it: its values' type inferred
        return keys.map(table)
    return pd.Series(table.array.take(at, allow_fill=True), index=keys.index)


def _capped(reasons: pd.DataFrame) -> set:
    """Events whose every breaching report carries a cap: one precise report of the breach lifts it."""
    cap = reasons["effect"] == "cap"
    uncapped = (reasons["effect"] == "breach") & ~reasons["uid"].isin(reasons.loc[cap, "uid"])
    events = reasons["event_id"].to_numpy(dtype=object)
    return set(events[cap.to_numpy()]) - set(events[uncapped.to_numpy()])


def _families(reports: pd.DataFrame) -> np.ndarray:
    """Each report's source family (geo.corroborate.independence), or its source when grades are absent."""
    if {"reliability", "credibility"} <= set(reports.columns):
        return independence(reports)[0]
    family = reports.get("source_family", pd.Series(None, index=reports.index, dtype=object))
    return family.where(family.notna(), reports["source"]).to_numpy(dtype=object)


def _decisive(evidence: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """The side evidence that counts, once per independent observation.

    Each source family counts once per event with its strongest evidence; reports triangulated into
    one origin (``origin_group``) are one observation, whichever families they come from; and where
    the fire landed is one fact of the event however many report it, so landing evidence counts
    once per event (its strongest).
    """
    if evidence.empty:
        return evidence.assign(strength=pd.Series(dtype=float))
    ev = evidence.assign(strength=evidence["p_UA"].sub(0.5).abs())
    group = reports.get("origin_group", pd.Series(None, index=reports.index, dtype=object)).reindex(ev.index)
    key = np.where(
        (ev["basis"] == "origin") & group.notna(),
        "group:" + group.astype(str),
        np.where(ev["basis"] == "landing", "landing", "family:" + ev["family"].astype(str)),
    )
    ev = ev.assign(key=key).sort_values("strength", ascending=False, kind="stable")
    # A family's strongest evidence, then one per observation and one landing.
    ev = ev.drop_duplicates(["event_id", "family"])
    return ev.drop_duplicates(["event_id", "key"]).sort_index()


def _side_reasons(
    out: pd.DataFrame, decisive: pd.DataFrame, params: ScoreParams
) -> pd.arrays.ArrowStringArray:
    """One sentence per event: why this side (with its probability and the reports behind it), or why none.

    Built column-wise in Arrow (each probability formatted once per distinct value): a sentence per
    event in a Python loop took 2.4 s at a million reports, and columns of Python text built here
    were the from-scratch analysis's peak.
    """
    # The strongest first within each event, ties in their order.
    ranked = decisive.sort_values("strength", ascending=False, kind="stable")
    said = pc.binary_join_element_wise(_text(ranked["uid"]), _text(ranked["sentence"]), ": ")
    order, start, count = _spans(out["event_id"], ranked["event_id"])
    del ranked
    p_ua = out["p_UA"].to_numpy(dtype=float)
    told = (count > 0) & np.isfinite(p_ua)
    side = out["attributed_side"].to_numpy(dtype=object)
    # Each kind of sentence is built for its own events only, and each step's text let go as the
    # next is made: full columns of every kind at once were the from-scratch analysis's peak.
    rows = {
        "named": np.flatnonzero(told & np.isin(side, SIDES)),
        "unnamed": np.flatnonzero(told & ~np.isin(side, SIDES)),
    }
    sentences = []
    for kind, at in rows.items():
        n, first = count[at], start[at]
        # The three strongest, joined column-wise: the k-th of each event that has one.
        why = pa.array(np.full(len(at), "", dtype=object), pa.string())
        for k in range(3):
            has = n > k
            pick = np.zeros(len(at), dtype=np.int64)
            pick[has] = order[first[has] + k]
            kth = pc.if_else(pa.array(has), said.take(pa.array(pick, mask=~has)), "")
            # Not null_handling="skip": pyarrow 26 drops a row whose arguments are all null.
            joint = pa.array(np.where(has & (k > 0), "; ", ""), pa.string())
            why = pc.binary_join_element_wise(why, joint, kth, "")
            del kth, joint
        more = np.full(len(at), "", dtype=object)
        many = n > 3
        more[many] = np.array([f" (and {k - 3} more)" for k in n[many].tolist()], dtype=object)
        distinct, which = _distinct(p_ua[at])
        shown = pa.array(np.array([_shown_p(p) for p in distinct.tolist()], dtype=object)[which], pa.string())
        if kind == "named":
            made = pc.binary_join_element_wise(
                "Attributed to ",
                pa.array(side[at], pa.string()),
                " (p ",
                shown,
                ") because ",
                why,
                pa.array(more, pa.string()),
                ".",
                "",
            )
        else:
            lead = pa.array(np.where(p_ua[at] >= 0.5, "UA", "RU"), pa.string())
            below = f" only, below the {params.attribution_threshold:.2f} needed ("
            made = pc.binary_join_element_wise(
                "No side named: the evidence points to ",
                lead,
                " with p ",
                shown,
                below,
                why,
                pa.array(more, pa.string()),
                ").",
                "",
            )
        sentences.append(made)
        del why, more, shown, made
    del said
    none = "No side named: no report locates the weapon or where the fire landed."
    # Every event's sentence from the stack of both kinds, the last row standing for those without evidence.
    stack = pa.concat_arrays([*sentences, pa.array([none], pa.string())])
    where = np.full(len(out), len(stack) - 1, dtype=np.int64)
    where[rows["named"]] = np.arange(len(rows["named"]))
    where[rows["unnamed"]] = len(rows["named"]) + np.arange(len(rows["unnamed"]))
    del sentences
    sentences = stack.take(pa.array(where))
    return pd.array(sentences, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _text(values: pd.Series) -> pa.Array:
    """A column as Arrow text (missing values as null), without Python text where it is Arrow already."""
    text = arrow_text(values)
    if text is None:
        return pa.array(values.astype(str).to_numpy(dtype=object), pa.string())
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    return text.cast(pa.string())


def _shown_p(p_ua: float) -> str:
    """The side's probability as its sentence says it: that of the side it leans to, rounded to four
    decimals as ``attributed_side_p`` is stored, then down to the two shown (0.9951 is 0.99, never
    1.00), so the sentence and the column agree to the last digit shown."""
    p = round(max(p_ua, 1 - p_ua), 4)
    return f"{np.floor(round(p * 100, 6)) / 100:.2f}"


def _pattern_reasons(patterns: pd.DataFrame | None, to_event: pd.Series) -> pd.DataFrame:
    """Each event's pattern codes, once per code with the smallest p-value among its reports."""
    if patterns is None or patterns.empty:
        return pd.DataFrame({"event_id": [], "code": [], "p_value": [], "sentence": []})
    p = patterns.assign(event_id=patterns["uid"].map(to_event)).dropna(subset=["event_id"])
    return p.sort_values("p_value", kind="stable").drop_duplicates(["event_id", "code"])


def _explain(
    out: pd.DataFrame,
    rule_reasons: pd.DataFrame,
    rule_sentences: pd.Series,
    side_reasons: pd.DataFrame,
    pattern_reasons: pd.DataFrame,
    pattern_weight: float,
) -> pd.Series:
    """Build each event's list of reasons: corroboration, patterns, the rules that fired, the side evidence.

    Returns a Series indexed like ``out`` of Arrow lists of :data:`REASON` structs (as the analysis
    is stored, and as it reads back: an element is a list of dicts). Every table's reasons are built
    column-wise as Arrow arrays, stacked in that order and grouped by event in one stable sort, so
    each event's reasons keep the order of the tables and of the rows within them. A list of dicts
    per event took 1.4 GB of Python objects at a million reports.

    ``rule_reasons`` are indexed by row position in ``rule_sentences``, the sentences of the
    reasons table they were chosen from: each is copied once, into the lists.
    """
    kind_of = {"breach": "rule", "mitigate": "mitigation", "cap": "cap"}
    conf = out["confidence"].to_numpy(dtype=float)
    levels, which = _distinct(conf)
    head = {
        "kind": np.full(len(out), "corroboration", dtype=object),
        "code": np.full(len(out), "CONFIDENCE", dtype=object),
        "weight": _rounded(conf),
        "sentence": np.array(
            [
                f"The event happened with confidence {c:.0%} (sources and their Admiralty grades)."
                for c in levels.tolist()
            ],
            dtype=object,
        )[which],
    }
    pattern = {
        "kind": np.full(len(pattern_reasons), "pattern", dtype=object),
        "code": pattern_reasons["code"],
        "weight": np.full(len(pattern_reasons), round(pattern_weight, 3)),
        "sentence": pattern_reasons["sentence"],
    }
    rule = {
        "kind": rule_reasons["effect"].map(kind_of).fillna("rule"),
        "code": rule_reasons["code"],
        "weight": _rounded(rule_reasons["weight"].to_numpy(dtype=float)),
        "sentence": rule_sentences,
    }
    side = {
        "kind": np.full(len(side_reasons), "side", dtype=object),
        "code": "SIDE_" + side_reasons["basis"].astype(str).str.upper(),
        "weight": _rounded(np.abs(side_reasons["p_UA"].to_numpy(dtype=float) - 0.5) * 2),
        "sentence": side_reasons["uid"].astype(str) + ": " + side_reasons["sentence"].astype(str),
    }
    owners = pd.concat(
        [pattern_reasons["event_id"], rule_reasons["event_id"], side_reasons["event_id"]], ignore_index=True
    )
    order, start, count = _spans(out["event_id"], owners)
    # Each event's list: its head (row i of the stack), then its rows of the tables (after the heads).
    offsets = np.concatenate([[0], np.cumsum(count + 1)])
    take = np.empty(offsets[-1], dtype=np.int64)
    body = np.ones(len(take), dtype=bool)
    body[offsets[:-1]] = False
    take[~body] = np.arange(len(out))
    within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    take[body] = len(out) + order[np.repeat(start, count) + within]
    # The sentences' stack holds every rule sentence: a rule reason's row there is its position.
    take_said = take.copy()
    rows = np.concatenate(
        [
            np.arange(len(pattern_reasons)),
            len(pattern_reasons) + rule_reasons.index.to_numpy(dtype=np.int64),
            len(pattern_reasons) + len(rule_sentences) + np.arange(len(side_reasons)),
        ]
    )
    take_said[body] = len(out) + rows[take[body] - len(out)]
    fields = [
        pa.concat_arrays([_column(t[f.name], f.type) for t in (head, pattern, rule, side)]).take(
            take_said if f.name == "sentence" else take
        )
        for f in REASON
    ]
    listed = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), pa.StructArray.from_arrays(fields, fields=list(REASON))
    )
    return pd.Series(pd.arrays.ArrowExtensionArray(listed), index=out.index)


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct floats of ``values`` to the bit (-0.0 is not 0.0) and where each value is among them."""
    bits, which = np.unique(np.ascontiguousarray(values, dtype=float).view(np.uint64), return_inverse=True)
    return bits.view(float), which


def _rounded(values: np.ndarray) -> np.ndarray:
    """Python's ``round(v, 3)`` of each value (correctly rounded, unlike numpy's), once per distinct value."""
    distinct, which = _distinct(values)
    return np.array([round(v, 3) for v in distinct.tolist()], dtype=float)[which]


def _column(values: pd.Series | np.ndarray, kind: pa.DataType) -> pa.Array:
    """Values as one Arrow array of ``kind``, Arrow-backed columns without Python objects.

    A pandas column's missing values become nulls; a NaN among numpy floats stays NaN, as the
    stored lists keep it (geo.refresh).
    """
    array = pa.array(values)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(kind)
