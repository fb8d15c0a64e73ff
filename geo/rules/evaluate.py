"""Apply an agreement's rules to enriched reports: one row per rule that fires, with its plain-language reason."""

from __future__ import annotations

import itertools
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geo.corroborate import TIME_TOLERANCE
from geo.crs import points_in, require_wgs84
from geo.errors import InputError
from geo.framememo import content_digest
from geo.rules.agreement import Agreement, Rule
from geo.rules.spec import IN_FORCE, WEAPON_LABELS
from geo.rules.zones import Theatre, densify, prepare_theatre, zones_in_force

REASON_COLUMNS = ["uid", "code", "severity", "weight", "sentence", "effect"]
# The reasons without their sentences (``evaluate(..., words=False)``): what the score reads.
SCORED_COLUMNS = [c for c in REASON_COLUMNS if c != "sentence"]
REQUIRED_COLUMNS = ("uid", "type", "occurred_at", "weapon")


@dataclass
class Hit:
    """The reports one rule fired on (positions in the frame) and the rule's own placeholder texts."""

    rule: Rule
    pos: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Context:
    """Everything the checks share: the reports as arrays and the scenario in the theatre CRS.

    ``points`` are the reports' places in the theatre CRS as shapely points, made once for every
    check that tests them against targets. Without ``words`` a check may leave out what only its
    sentence says (a distance to a reference line).
    """

    frame: pd.DataFrame
    agreement: Agreement
    theatre: Theatre
    zones: pd.DataFrame
    posts: pd.DataFrame
    types: np.ndarray
    weapons: np.ndarray
    times: pd.DatetimeIndex
    x: np.ndarray
    y: np.ndarray
    points: np.ndarray
    start: pd.DatetimeIndex
    end: pd.DatetimeIndex
    words: bool = True

    @property
    def active(self) -> np.ndarray:
        """Reports that may have happened at or after the moment the ceasefire took effect.

        A report known only to an interval is active when the interval ends at or after that moment;
        STRADDLES_EFFECTIVE then says that it may predate the ceasefire.
        """
        return np.asarray(self.end >= self.agreement.effective_at)

    @property
    def straddles(self) -> np.ndarray:
        """Reports whose interval begins before the effective time and ends at or after it."""
        return self.active & np.asarray(self.start < self.agreement.effective_at)

    @cached_property
    def coded(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``types`` and ``weapons`` factorised (codes, distinct values): a rule tests the dozen
        distinct values, then the reports' integer codes, instead of comparing every report's text.
        """
        return {"types": pd.factorize(self.types), "weapons": pd.factorize(self.weapons)}

    def column(self, name: str, default: object = np.nan) -> np.ndarray:
        """A column as an array, or ``default`` everywhere when the frame lacks it."""
        if name in self.frame:
            return self.frame[name].to_numpy()
        return np.full(len(self.frame), default, dtype=object if default is None else float)

    def dist_to_line_m(self, rule: Rule) -> np.ndarray:
        """The enrichment's distance to the line in force; required by rules measured from the line."""
        if "dist_to_line_m" not in self.frame:
            msg = f"Rule {rule.code} measures from the contact line, but the reports lack dist_to_line_m."
            raise InputError(msg, hint="Enrich them first (geo.proximity.measure).")
        return self.frame["dist_to_line_m"].astype(float).to_numpy()


def _km(metres: np.ndarray) -> np.ndarray:
    """Metres as kilometres to one decimal, as text (formatted from plain floats: twice as fast as np.char.mod)."""
    return np.array([f"{km:.1f}" for km in (np.asarray(metres, dtype=float) / 1000.0).tolist()], dtype=object)


def _when(times: pd.DatetimeIndex) -> np.ndarray:
    """Each time as "on 2026-10-02 at 20:15 UTC", as strftime writes the index's wall time; NaN where missing.

    numpy writes the ISO text in C, to the minute, and Python only slices it: half the time of
    pandas' strftime.
    """
    iso = np.datetime_as_string(times.tz_localize(None).to_numpy(), unit="m").tolist()
    out = np.array([f"on {s[:10]} at {s[11:]} UTC" for s in iso], dtype=object)
    out[np.asarray(times.isna())] = np.nan
    return out


def _g(value: float) -> str:
    return f"{value:g}"


def _of(ctx: Context, rule: Rule, name: str) -> np.ndarray:
    """Reports whose type (``types``) or weapon (``weapons``) is one the rule names."""
    codes, distinct = ctx.coded["types" if name.endswith("types") else "weapons"]
    return np.isin(codes, np.flatnonzero(np.isin(distinct, list(rule.params.get(name) or ()))))


def _selected(ctx: Context, rule: Rule) -> np.ndarray:
    mask = ctx.active & _of(ctx, rule, "types")
    if rule.params.get("weapons") is not None:
        mask &= _of(ctx, rule, "weapons")
    return mask


def _simple(ctx: Context, rule: Rule) -> Hit:
    return Hit(rule, np.flatnonzero(_selected(ctx, rule)))


def _fire_after(ctx: Context, rule: Rule) -> Hit:
    """Fire after the effective time, where the agreement counts it: near the line, off the ranges."""
    mask = _selected(ctx, rule)
    max_km = rule.params.get("max_line_dist_km")
    if max_km is not None:
        # Unknown distance (no line in force) counts: the bound exempts, it does not guess.
        dist = ctx.dist_to_line_m(rule)
        mask &= ~(dist > max_km * 1000.0)
    kinds = rule.params.get("exempt_zone_kinds") or ()
    if kinds:
        exempt, _, _ = _near(ctx, rule, mask, _zones_of(ctx, kinds), 0.0, measure=False)
        mask[exempt] = False
    return Hit(rule, np.flatnonzero(mask))


def _interval_text(start: pd.DatetimeIndex, end: pd.DatetimeIndex) -> np.ndarray:
    fmt = "%Y-%m-%d %H:%M UTC"
    return ("from " + start.strftime(fmt) + " to " + end.strftime(fmt)).to_numpy(dtype=object)


def _notified(ctx: Context, rule: Rule) -> Hit:
    """Reports inside a party's notified activity: its circle (plus their own uncertainty) and window."""
    notices = ctx.agreement.notifications
    mask = ctx.active & _of(ctx, rule, "types")
    cand = np.flatnonzero(mask)
    if not notices or not len(cand):
        return Hit(rule, np.empty(0, dtype=int))
    slack = pd.Timedelta(minutes=rule.params["slack_min"])
    where = gpd.GeoSeries(gpd.points_from_xy([n.lon for n in notices], [n.lat for n in notices]), crs=4326)
    where = where.to_crs(ctx.theatre.crs)
    nx, ny = where.x.to_numpy(), where.y.to_numpy()
    radius = np.array([n.radius_m for n in notices])
    n_start = pd.DatetimeIndex([n.start - slack for n in notices]).as_unit("ns").asi8
    n_end = pd.DatetimeIndex([n.end + slack for n in notices]).as_unit("ns").asi8
    r_start = ctx.start[cand].as_unit("ns").asi8
    r_end = ctx.end[cand].as_unit("ns").asi8
    precision = np.nan_to_num(ctx.column("location_precision_m").astype(float)[cand], nan=0.0)
    # Reports in a batch are many and notices few: one vectorised test per notice.
    best = np.full(len(cand), -1)
    best_d = np.full(len(cand), np.inf)
    for j in range(len(notices)):
        d = np.hypot(ctx.x[cand] - nx[j], ctx.y[cand] - ny[j])
        inside = (d <= radius[j] + precision) & (r_end >= n_start[j]) & (r_start <= n_end[j]) & (d < best_d)
        best[inside], best_d[inside] = j, d[inside]
    found = best >= 0
    pos, j, d = cand[found], best[found], best_d[found]
    fmt = "%Y-%m-%d %H:%M UTC"
    party = np.array([n.party for n in notices], dtype=object)[j]
    return Hit(
        rule,
        pos,
        {
            "notice_id": np.array([n.id + (f", {n.reference}" if n.reference else "") for n in notices])[j],
            "notice_party": party,
            "notice_party_label": np.array([ctx.agreement.sides.get(p, p) for p in party], dtype=object),
            "activity": np.array([n.activity.replace("_", " ") for n in notices], dtype=object)[j],
            "notice_dist_km": _km(d),
            "window": np.array(
                [f"from {n.start.strftime(fmt)} to {n.end.strftime(fmt)}" for n in notices], dtype=object
            )[j],
        },
    )


def _assessed(ctx: Context, rule: Rule) -> Hit:
    """Reports whose observer assessed the activity as lawful, in one of the rule's phrases."""
    text = pd.Series(ctx.column("assessment", None), dtype=object)
    lower = text.fillna("").astype(str).str.lower()
    phrases = rule.params["phrases"]
    mask = np.zeros(len(lower), dtype=bool)
    for phrase in phrases:
        mask |= lower.str.contains(phrase, regex=False).to_numpy()
    pos = np.flatnonzero(mask)
    return Hit(rule, pos, {"assessment": text.to_numpy(dtype=object)[pos].astype(str)})


def _near(
    ctx: Context,
    rule: Rule,
    mask: np.ndarray,
    targets: pd.DataFrame,
    within_m: float,
    *,
    measure: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions among ``mask`` within ``within_m`` of a target, the nearest target's row and the distance.

    A report near one target only is that target's whatever the distance; so without ``measure``
    the distance is measured only where a report is near several (the nearest wins, the first of
    equals), and is NaN elsewhere: measuring a point inside a large polygon walks all its edges.
    """
    cand = np.flatnonzero(mask)
    best_d = np.full(len(cand), np.inf)
    best_j = np.full(len(cand), -1)
    if len(cand) and not targets.empty:
        points = ctx.points[cand]
        geoms = targets["geometry"].to_numpy()
        # Targets are few (zones of one kind, posts) and reports many: loop over the targets, each
        # prepared once and tested against every report at once.
        reach = []
        for geom in geoms:
            shapely.prepare(geom)
            test = (
                shapely.dwithin(geom, points, within_m) if within_m > 0 else shapely.intersects(geom, points)
            )
            reach.append(np.flatnonzero(test))
        several = np.bincount(np.concatenate(reach), minlength=len(cand)) > 1
        for j, (geom, close) in enumerate(zip(geoms, reach, strict=True)):
            if not measure:
                alone = close[~several[close]]
                best_d[alone], best_j[alone] = np.nan, j
                close = close[several[close]]
            if not len(close):
                continue
            d = shapely.distance(geom, points[close])
            better = d < best_d[close]
            best_d[close[better]], best_j[close[better]] = d[better], j
    found = best_j >= 0
    return cand[found], best_j[found], best_d[found]


def _zones_of(ctx: Context, kinds: tuple[str, ...] | list[str]) -> pd.DataFrame:
    return ctx.zones[ctx.zones["kind"].isin(list(kinds))].reset_index(drop=True)


def _near_zone(ctx: Context, rule: Rule, kind: str, key: str) -> Hit:
    within_m = rule.params[key] * 1000.0
    zones = _zones_of(ctx, [kind])
    pos, j, dist = _near(ctx, rule, ctx.active & _of(ctx, rule, "types"), zones, within_m)
    return Hit(
        rule,
        pos,
        {
            "zone_name": zones["name"].to_numpy()[j],
            "zone_dist_km": _km(dist),
            key: np.full(len(pos), _g(rule.params[key]), dtype=object),
        },
    )


def _disengagement(ctx: Context, rule: Rule) -> Hit:
    return _near_zone(ctx, rule, "disengagement_area", "buffer_km")


def _protected(ctx: Context, rule: Rule) -> Hit:
    return _near_zone(ctx, rule, "protected_site", "within_km")


def _monitors(ctx: Context, rule: Rule) -> Hit:
    within_m = rule.params["within_km"] * 1000.0
    pos, j, dist = _near(ctx, rule, ctx.active & _of(ctx, rule, "types"), ctx.posts, within_m)
    return Hit(
        rule,
        pos,
        {
            "post_name": ctx.posts["name"].to_numpy()[j],
            "post_dist_km": _km(dist),
            "within_km": np.full(len(pos), _g(rule.params["within_km"]), dtype=object),
        },
    )


def _flight(ctx: Context, rule: Rule) -> Hit:
    mask = ctx.active & (_of(ctx, rule, "types") | _of(ctx, rule, "weapons"))
    over = np.full(len(ctx.frame), None, dtype=object)
    names = np.full(len(ctx.frame), "", dtype=object)
    zones = _zones_of(ctx, rule.params["zone_kinds"])
    pos, j, _ = _near(ctx, rule, mask, zones, 0.0, measure=False)
    names[pos] = zones["name"].to_numpy()[j]
    kinds = zones["kind"].str.replace("_", " ").to_numpy()[j]
    over[pos] = "over the " + kinds.astype(object) + ' "' + names[pos].astype(object) + '"'
    band_km = rule.params.get("band_km")
    if band_km is not None:
        in_band = mask & (ctx.dist_to_line_m(rule) <= band_km * 1000.0) & (over == None)  # noqa: E711
        over[in_band] = f"within {_g(band_km)} km of the contact line"
    hit = np.flatnonzero(over != None)  # noqa: E711
    band_text = "" if band_km is None else _g(band_km)
    return Hit(
        rule,
        hit,
        {"over": over[hit], "zone_name": names[hit], "band_km": np.full(len(hit), band_text, dtype=object)},
    )


def _heavy_weapons(ctx: Context, rule: Rule) -> Hit:
    """Sightings (at the reported place) or fire (at its estimated origin) inside the class's zone."""
    ox, oy = ctx.column("origin_lon").astype(float), ctx.column("origin_lat").astype(float)
    has_origin = np.isfinite(ox) & np.isfinite(oy)
    seen = _of(ctx, rule, "types")
    fired = _of(ctx, rule, "origin_types") & ~seen & has_origin
    px, py = ctx.x.copy(), ctx.y.copy()
    if fired.any():
        origins = gpd.GeoSeries(gpd.points_from_xy(ox[fired], oy[fired]), crs=4326).to_crs(ctx.theatre.crs)
        px[fired], py[fired] = origins.x.to_numpy(), origins.y.to_numpy()
    # The zones follow the line and the control areas: evaluate each report against those in force
    # at its time. Versions change a handful of times, so the loop is over versions, not reports.
    breaks = pd.DatetimeIndex(
        sorted({*ctx.theatre.line_starts.tolist(), *ctx.theatre.areas["valid_from"].tolist()})
    )
    period = np.searchsorted(breaks.as_unit("ns").asi8, ctx.times.as_unit("ns").asi8, side="right") - 1
    pos_all, extra_rows = [], []
    in_force: dict[int, pd.DataFrame] = {}
    for w in ctx.agreement.withdrawal:
        cand = (seen | fired) & np.isin(ctx.weapons, list(w.weapons)) & np.asarray(ctx.times >= w.complete_by)
        cand &= period >= 0
        for p in np.unique(period[cand]):
            rows = np.flatnonzero(cand & (period == p))
            if p not in in_force:
                in_force[p] = zones_in_force(ctx.agreement, ctx.theatre, breaks[p])
            zones = in_force[p]
            for z in zones[zones["withdrawal"] == w.key].itertuples():
                shapely.prepare(z.geometry)
                inside = rows[shapely.contains_xy(z.geometry, px[rows], py[rows])]
                if not len(inside):
                    continue
                ref = (
                    shapely.distance(
                        shapely.points(px[inside], py[inside]), ctx.theatre.lines[z.line_version]
                    )
                    if ctx.words
                    else np.full(len(inside), np.nan)
                )
                if z.reference == IN_FORCE:
                    ref_name = f"the contact line in force ({z.line_version})"
                elif z.line_name != z.line_version:
                    ref_name = f'the line {z.line_version} ("{z.line_name}")'
                else:
                    ref_name = f"the line {z.line_version}"
                pos_all.append(inside)
                extra_rows.append(
                    {
                        "how": np.where(
                            ~seen[inside],
                            "fired from an estimated position",
                            np.where(ctx.types[inside] == "weapon_sighting", "sighted", "seen firing"),
                        ),
                        "width_km": np.full(len(inside), _g(z.width_km), dtype=object),
                        "total_width_km": np.full(len(inside), _g(z.total_width_km), dtype=object),
                        "reference": np.full(len(inside), ref_name, dtype=object),
                        "ref_dist_km": _km(ref),
                        "zone_side": np.full(len(inside), z.side, dtype=object),
                        "zone_side_label": np.full(len(inside), z.side_label, dtype=object),
                        "weapon_label": np.full(len(inside), w.label, dtype=object),
                        "clause": np.full(len(inside), z.clause, dtype=object),
                    }
                )
    if not pos_all:
        return Hit(rule, np.empty(0, dtype=int))
    return Hit(
        rule,
        np.concatenate(pos_all),
        {k: np.concatenate([e[k] for e in extra_rows]).astype(object) for k in extra_rows[0]},
    )


CHECKS: dict[str, Callable[[Context, Rule], Hit]] = {
    "FIRE_AFTER_EFFECTIVE": _fire_after,
    "HEAVY_WEAPON_IN_ZONE": _heavy_weapons,
    "FLIGHT_OVER_SECURITY_ZONE": _flight,
    "ATTACK_ON_MONITORS": _monitors,
    "MONITOR_RESTRICTION": _simple,
    "DISENGAGEMENT_ACTIVITY": _disengagement,
    "PROTECTED_SITE": _protected,
    "LINE_CROSSING": _simple,
    "NOTIFIED_ACTIVITY": _notified,
    "ASSESSED_LAWFUL": _assessed,
}


def _text(values: np.ndarray, missing: str) -> np.ndarray:
    """Values as text, ``missing`` where absent."""
    values = np.asarray(values, dtype=object)
    return np.where(pd.isna(values), missing, values.astype(str)).astype(object)


def _place(side: np.ndarray, dist_m: np.ndarray, sides: dict[str, str]) -> np.ndarray:
    """Where a report is, in words: its side and its distance to the line when known.

    Each kind of place is written only for the reports it describes (text is the costly part).
    """
    finite = np.isfinite(dist_m)
    far = np.full(len(side), "", dtype=object)
    far[finite] = _km(dist_m[finite]) + " km from the contact line"
    out = np.where(finite, far, "at the reported place")
    out[side == "none"] = "outside both control areas"

    def with_far(rows: np.ndarray, text: np.ndarray | str, before: str, after: str = "") -> np.ndarray:
        return text + np.where(finite[rows], before + far[rows] + after, "")

    rows = side == "ambiguous"
    out[rows] = with_far(rows, "too close to the contact line to tell the side", " (", ")")
    rows = np.isin(side, list(sides))
    out[rows] = with_far(rows, "on the " + side[rows] + "-controlled side", ", ")
    return out


def _common(ctx: Context, hit: Hit, name: str) -> np.ndarray | str:
    """One common placeholder's text for the reports a rule fired on (a constant for agreement fields)."""
    a, pos = ctx.agreement, hit.pos
    constants = {
        "agreement": a.name,
        "short_name": a.short_name,
        "effective_at": a.effective_at.strftime("%Y-%m-%d at %H:%M UTC"),
        "clause": hit.rule.clause,
    }
    if name in constants:
        return constants[name]

    def side() -> np.ndarray:
        return _text(ctx.column("side", None)[pos], "unknown")

    def dist() -> np.ndarray:
        return ctx.column("dist_to_line_m").astype(float)[pos]

    def counts() -> np.ndarray:
        return pd.array(ctx.column("count", None)[pos], dtype="Int64").fillna(1).to_numpy(dtype=int)

    def label(capital: bool = False) -> np.ndarray:
        # Once per distinct type (there are a dozen), then spread to the reports.
        codes, types = pd.factorize(pd.Series(ctx.types[pos], dtype=object), use_na_sentinel=False)
        text = pd.Series(types, dtype=object).str.replace("_", " ", regex=False)
        return (text.str.capitalize() if capital else text).to_numpy(dtype=object)[codes]

    def what() -> np.ndarray:
        n = counts()
        text = label(capital=True)
        several = n > 1
        text[several] += np.char.mod(" (count %d)", n[several]).astype(object)
        return text

    def dist_km() -> np.ndarray:
        d = dist()
        return np.where(np.isfinite(d), _km(np.nan_to_num(d)), "unknown")

    builders = {
        "uid": lambda: _text(ctx.frame["uid"].to_numpy()[pos], ""),
        "id": lambda: _text(ctx.column("id", None)[pos], "unknown"),
        "source": lambda: _text(ctx.column("source", None)[pos], "unknown"),
        "type": label,
        "what": what,
        "count": lambda: np.char.mod("%d", counts()).astype(object),
        "weapon": lambda: ctx.weapons[pos].astype(str).astype(object),
        "weapon_label": lambda: np.array([WEAPON_LABELS.get(w, w) for w in ctx.weapons[pos]], dtype=object),
        "when": lambda: _when(ctx.times[pos]),
        "side": side,
        "side_label": lambda: np.array([a.sides.get(x, "no party") for x in side()], dtype=object),
        "place": lambda: _place(side(), dist(), a.sides),
        "dist_km": dist_km,
        "line_version": lambda: _text(ctx.column("line_version", None)[pos], "unknown"),
    }
    return builders[name]()


def _sentences(ctx: Context, hit: Hit) -> list[str]:
    """Fill the rule's template for each report it fired on.

    Column by column: each placeholder the template uses is built as an array and its values
    formatted as ``str.format`` does (the conversion, then ``format``); then each report's pieces
    are joined once, the template's text between them merged into constants (a ``format_map`` per
    report cost half a second at 100,000 reports). A template without placeholders is the sentence
    as written.
    """
    template = hit.rule.sentence
    fields = list(string.Formatter().parse(template))
    n = len(hit.pos)
    if not any(name for _, name, _, _ in fields):
        return [template] * n
    columns: dict[str, np.ndarray | str] = {}
    pieces: list[list[str] | str] = [""]
    for literal, name, spec, conversion in fields:
        texts = [literal]
        if name is not None:
            if name not in columns:
                columns[name] = hit.extra[name] if name in hit.extra else _common(ctx, hit, name)
            texts.append(_formatted(columns[name], spec, conversion))
        for text in texts:
            if isinstance(text, str) and isinstance(pieces[-1], str):
                pieces[-1] += text
            else:
                pieces.append(text)
    rows = zip(*(itertools.repeat(p, n) if isinstance(p, str) else p for p in pieces), strict=True)
    return ["".join(row) for row in rows]


def _formatted(value: np.ndarray | str, spec: str, conversion: str | None) -> list[str] | str:
    """A placeholder's values as ``str.format`` writes them: a constant once, an array element-wise."""
    convert = {None: None, "s": str, "r": repr, "a": ascii}[conversion]
    if isinstance(value, str):
        return format(value if convert is None else convert(value), spec)
    values = np.asarray(value, dtype=object).tolist()
    if convert is not None:
        values = map(convert, values)
    return [format(v, spec) for v in values]


def _scenario_frame(
    frame: gpd.GeoDataFrame, theatre: Theatre, *, what: str, cols: tuple[str, ...]
) -> pd.DataFrame:
    require_wgs84(frame, what=what)
    missing = [c for c in cols if c not in frame]
    if missing:
        msg = f"{what} lacks the column(s) {', '.join(missing)}."
        raise InputError(msg, hint="Load the scenario with geo.scenario.load_scenario.")
    out = pd.DataFrame({c: frame[c].astype(str).to_numpy() for c in cols})
    out["geometry"] = densify(frame).geometry.to_crs(theatre.crs).to_numpy()
    return out


# The scenario in the theatre CRS, by the content of its frames: projected once per process, not
# at every evaluation (about 0.1 s each, most of the rules' cost on a batch of a thousand reports).
# Shared read only, like the frames of a loaded scenario.
_GEOGRAPHY: dict[bytes, tuple[Theatre, pd.DataFrame, pd.DataFrame]] = {}
_GEOGRAPHY_MAX = 8
_GEOGRAPHY_LOCK = threading.Lock()


def _geography(
    lines: gpd.GeoDataFrame, control_areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, posts: gpd.GeoDataFrame
) -> tuple[Theatre, pd.DataFrame, pd.DataFrame]:
    """The theatre (lines and control areas projected), the zones and the posts in its CRS, made
    once per process for the same scenario content."""
    for frame, what in (
        (lines, "The contact line frame"),
        (control_areas, "The control areas frame"),
        (zones, "The zones frame"),
        (posts, "The posts frame"),
    ):
        require_wgs84(frame, what=what)
    key = content_digest(lines, control_areas, zones, posts)
    found = _GEOGRAPHY.get(key)
    if found is None:
        theatre = prepare_theatre(lines, control_areas)
        found = (
            theatre,
            _scenario_frame(zones, theatre, what="The zones frame", cols=("zone_id", "kind", "name")),
            _scenario_frame(posts, theatre, what="The posts frame", cols=("post_id", "name")),
        )
        with _GEOGRAPHY_LOCK:
            if len(_GEOGRAPHY) >= _GEOGRAPHY_MAX:
                _GEOGRAPHY.pop(next(iter(_GEOGRAPHY)))
            _GEOGRAPHY[key] = found
    return found


def _intervals(frame: pd.DataFrame, times: pd.DatetimeIndex) -> dict[str, pd.DatetimeIndex]:
    """Each report's time interval: its occurred_from/occurred_to, else occurred_at +- its precision."""
    precision = (
        frame["time_precision"] if "time_precision" in frame else pd.Series("minute", index=frame.index)
    )
    tol = pd.to_timedelta(precision.map(TIME_TOLERANCE).fillna(pd.Timedelta(0))).to_numpy()
    start, end = times - tol, times + tol
    for name, default in (("occurred_from", start), ("occurred_to", end)):
        if name in frame:
            given = pd.DatetimeIndex(pd.to_datetime(frame[name], utc=True))
            value = given.where(given.notna(), default)
            if name == "occurred_from":
                start = value
            else:
                end = value
    return {"start": pd.DatetimeIndex(start), "end": pd.DatetimeIndex(end)}


def _no_reasons(words: bool = True) -> pd.DataFrame:
    columns = REASON_COLUMNS if words else SCORED_COLUMNS
    return pd.DataFrame({c: pd.Series(dtype=float if c == "weight" else object) for c in columns})


def evaluate(
    enriched: gpd.GeoDataFrame,
    agreement: Agreement,
    *,
    lines: gpd.GeoDataFrame,
    control_areas: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    posts: gpd.GeoDataFrame,
    words: bool = True,
) -> pd.DataFrame:
    """Return a reason for every rule of the agreement that fires on a report.

    Parameters
    ----------
    enriched
        The normalised incidents (EPSG:4326) with the enrichment columns of docs/ARCHITECTURE.md;
        ``side``, ``dist_to_line_m``, ``line_version`` and the ``origin_*`` columns are used when present.
    agreement
        From :func:`geo.rules.load_agreement`.
    lines, control_areas, zones, posts
        The scenario frames (EPSG:4326), as from :func:`geo.scenario.load_scenario`.
    words
        Whether to word each reason (its ``sentence``). Every rule tests a report alone, so the
        reasons of a few reports evaluated again are theirs among all: the analysis keeps none of
        the sentences (280 MB and a third of the rules' time at a million reports) and words only
        the reports shown (:func:`geo.pipeline.explained`).

    Returns
    -------
    pandas.DataFrame
        Long format, one row per (report, rule): ``uid``, ``code``, ``severity``, ``weight``,
        ``sentence`` (with ``words`` only), ``effect`` (``breach``, ``mitigate`` or ``cap``: how
        geo.score uses it); ordered by the reports' order, then the rules' order in the file.
    """
    require_wgs84(enriched, what="The reports to evaluate")
    missing = [c for c in REQUIRED_COLUMNS if c not in enriched]
    if missing:
        msg = f"The reports to evaluate lack the column(s) {', '.join(missing)}."
        raise InputError(
            msg, hint="Pass the normalised incident frame (geo.ingest) with its enrichment columns."
        )
    if enriched.empty:
        return _no_reasons(words)
    times = pd.DatetimeIndex(enriched["occurred_at"])
    if times.tz is None:
        msg = "The reports' occurred_at has no time zone."
        raise InputError(msg, hint="Times in the engine are UTC; normalise the reports with geo.ingest.")
    theatre, zones_theatre, posts_theatre = _geography(lines, control_areas, zones, posts)
    x, y = points_in(enriched.geometry, theatre.crs)
    ctx = Context(
        # The reports' columns as they are (the rules read columns only): a drop of the geometry
        # copied every column of a million reports, 0.8 s.
        frame=pd.DataFrame(enriched, copy=False),
        agreement=agreement,
        theatre=theatre,
        zones=zones_theatre,
        posts=posts_theatre,
        types=enriched["type"].to_numpy(dtype=object),
        weapons=enriched["weapon"].fillna("unknown").to_numpy(dtype=object),
        times=times.tz_convert("UTC"),
        x=x,
        y=y,
        points=shapely.points(x, y),
        **_intervals(enriched, times.tz_convert("UTC")),
        words=words,
    )
    hits = []
    breached = np.zeros(len(enriched), dtype=bool)
    # The cap last, whatever the file's order: it applies to reports a breach fired on.
    ordered = sorted(enumerate(agreement.rules), key=lambda item: item[1].effect == "cap")
    for order, rule in ordered:
        if rule.code == "STRADDLES_EFFECTIVE":
            # Only where a breach fired: a doubt about the time of a lawful report says nothing.
            pos = np.flatnonzero(ctx.straddles & breached)
            hit = Hit(rule, pos, {"interval": _interval_text(ctx.start[pos], ctx.end[pos])})
        else:
            hit = CHECKS[rule.code](ctx, rule)
            if rule.effect == "breach":
                breached[hit.pos] = True
        if len(hit.pos):
            # As Arrow at once: a million sentences as Python strings took half a gigabyte.
            hits.append((order, hit, pa.array(_sentences(ctx, hit), pa.large_string()) if words else None))
    # The reports' points and copies are not needed to put the reasons together.
    del ctx, x, y
    if not hits:
        return _no_reasons(words)
    return _reasons(enriched["uid"].to_numpy(), hits)


def _reasons(uids: np.ndarray, hits: list[tuple[int, Hit, pa.Array | None]]) -> pd.DataFrame:
    """The reasons of every rule that fired, in one frame: by report, then by the rules' order in the file.

    ``hits`` are each rule's place in the file, what it fired on and its sentences (Arrow strings,
    or None for all when the reasons are not worded).
    Their arrays are joined and ordered once (a stable sort: where both keys tie the order of
    ``hits`` stays) and the frame built once; a frame per rule, then a concat and a sort, converted
    every text twice. The sentences stay Arrow throughout, as the ``str`` column they become.
    """
    sizes = [len(hit.pos) for _, hit, _ in hits]
    rules = [hit.rule for _, hit, _ in hits]
    pos = np.concatenate([hit.pos for _, hit, _ in hits])
    order = np.lexsort((np.repeat([rank for rank, _, _ in hits], sizes), pos))

    def each(values: list) -> np.ndarray:
        return np.repeat(np.array(values, dtype=object), sizes)[order]

    out = {
        "uid": uids[pos[order]],
        "code": each([r.code for r in rules]),
        "severity": each([r.severity for r in rules]),
        "weight": np.repeat([r.weight for r in rules], sizes)[order],
    }
    if hits[0][2] is not None:
        out["sentence"] = pd.array(pa.concat_arrays([said for _, _, said in hits]).take(order), dtype="str")
    out["effect"] = each([r.effect for r in rules])
    return pd.DataFrame(out)
