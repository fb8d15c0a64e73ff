"""An independent month of reports for evaluation, with the phenomena a real mission meets, and its truth.

Written apart from the demo generator (``geo.demo``), on purpose: a method tuned to one generator's
habits fails on another's. It shares only the scenario (line, control areas, posts, zones) and
the agreement. Every number below is a modelling choice, seeded, and deliberately rough.

What happens (happenings), each with a truth:

- **fire** by one side from its ground, a few km behind the line, at a target across it; after
  the agreement's effective time it is a violation, before it is not;
- **exchanges**: a quarter of fire draws return fire from near its impact area, 5-15 minutes
  later, at the first firing position (a separate happening of the other side);
- **notified demining** (written into the agreement as ``[[notifications]]``) and **training on
  a designated range**: explosions that are lawful;
- **false party claims** of fire that did not happen, repeated by a second channel of the same
  party or by media that cite them.

Who reports (reports): observation posts hear or see fire within their range (heard bearings with
12-degree errors, distances with 40 % log errors; some with no distance, some sound only);
patrols the same from where they stand; cameras with 3-degree bearings; UAVs locating the weapon;
each party claiming the fire that landed on its ground (hours or whole days, as date-only
strings), through one or two channels, and media citing them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer

from geo.crs import centre_of, theatre_crs
from geo.scenario import Scenario
from geo.scenario.versions import version_at

GEOD = Geod(ellps="WGS84")
START = pd.Timestamp("2026-10-01T00:00:00Z")
DAYS = 31
THEATRE_TZ = "Europe/Kyiv"

# weapon: (share of fire, median range km)
WEAPONS: dict[str, tuple[float, float]] = {
    "small_arms": (0.18, 0.8),
    "mortar": (0.30, 4.0),
    "artillery_lt100mm": (0.14, 8.0),
    "artillery_ge100mm": (0.14, 14.0),
    "mlrs": (0.08, 18.0),
    "tank": (0.10, 3.0),
    "uav": (0.06, 5.0),
}
# means: (bearing sd deg, log-distance sd): the errors the world makes, not the ones the engine assumes.
ERRORS: dict[str, tuple[float, float]] = {"heard": (12.0, 0.4), "seen": (4.0, 0.2), "camera": (3.0, 0.15)}
PARTY = {"UA": ("UA-MOD", "UA-GS"), "RU": ("RU-MOD", "RU-DNR")}
MEDIA = ("MEDIA-1", "MEDIA-2", "MEDIA-3")


@dataclass
class World:
    """The generated reports (GeoJSON features), their truth, and the notifications to add to the agreement."""

    features: list[dict]
    truth: pd.DataFrame
    notifications: list[dict]

    def geojson(self) -> bytes:
        return json.dumps({"type": "FeatureCollection", "features": self.features}).encode()

    def agreement_text(self, base: Path) -> str:
        """The base agreement file with this world's notifications appended."""
        lines = [base.read_text(encoding="utf-8"), ""]
        for n in self.notifications:
            lines.append("[[notifications]]")
            for key, value in n.items():
                lines.append(f"{key} = {json.dumps(value) if isinstance(value, str) else value}")
            lines.append("")
        return "\n".join(lines)


class _Geo:
    """The scenario in the theatre CRS: where each side's ground is, and the line in force."""

    def __init__(self, scenario: Scenario) -> None:
        self.crs = theatre_crs(*centre_of(scenario.control_areas))
        self.to_xy = Transformer.from_crs(4326, self.crs, always_xy=True)
        self.to_ll = Transformer.from_crs(self.crs, 4326, always_xy=True)
        lines = scenario.lines.to_crs(self.crs)
        self.lines = dict(zip(lines["version"], lines.geometry, strict=True))
        self.line_periods = scenario.lines[["version", "valid_from"]]
        areas = scenario.control_areas.copy()
        areas["geometry"] = shapely.segmentize(areas.geometry.to_numpy(), 0.01)
        areas = areas.to_crs(self.crs)
        self.ground = {(r.version, r.side): r.geometry for r in areas.itertuples()}
        for g in self.ground.values():
            shapely.prepare(g)
        self.area_periods = scenario.control_areas.drop_duplicates("version")[["version", "valid_from"]]
        posts = scenario.posts.to_crs(self.crs)
        self.posts = [(p.post_id, p.geometry.x, p.geometry.y, float(p.range_m)) for p in posts.itertuples()]
        ranges = scenario.zones[scenario.zones["kind"] == "designated_range"].to_crs(self.crs)
        self.ranges = list(ranges.geometry)

    def version(self, t: pd.Timestamp, periods: pd.DataFrame) -> str:
        return str(version_at(pd.Series([t]), periods["valid_from"], periods["version"])[0])

    def on(self, side: str, t: pd.Timestamp, x: float, y: float) -> bool:
        return bool(shapely.contains_xy(self.ground[(self.version(t, self.area_periods), side)], x, y))

    def north(self, x: float, y: float) -> float:
        """The grid bearing of true north at (x, y), degrees: a true bearing is the grid one less this."""
        lon, lat = self.to_ll.transform(x, y)
        nx, ny = self.to_xy.transform(lon, lat + 0.01)
        return float(np.degrees(np.arctan2(nx - x, ny - y)))

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self.to_ll.transform(x, y)
        return round(float(lon), 5), round(float(lat), 5)


def _bearing(x0: float, y0: float, x1: float, y1: float) -> float:
    """Grid bearing from (x0, y0) to (x1, y1), degrees clockwise from the grid's north (in the
    azimuthal equidistant theatre CRS grid and true north part by degrees away from its centre:
    :meth:`_Geo.north` turns one into the other)."""
    return float(np.degrees(np.arctan2(x1 - x0, y1 - y0)) % 360.0)


class _Writer:
    """Collects reports and their truth rows."""

    def __init__(self, geo: _Geo, rng: np.random.Generator, errors: dict[str, tuple[float, float]]) -> None:
        self.geo, self.rng, self.errors = geo, rng, errors
        self.features: list[dict] = []
        self.truth: list[dict] = []
        self.counter: dict[str, int] = {}

    def add(self, source: str, x: float, y: float, t: pd.Timestamp, props: dict, truth: dict) -> str:
        n = self.counter.get(source, 0) + 1
        self.counter[source] = n
        rid = f"{t:%Y%m%d}-{n:05d}"
        lon, lat = self.geo.lonlat(x, y)
        base = {"id": rid, "source": source, "occurred_at": f"{t.floor('min'):%Y-%m-%dT%H:%M:%SZ}"}
        self.features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": base | props,
            }
        )
        uid = f"{source}/{rid}"
        self.truth.append({"uid": uid, **truth})
        return uid

    def estimate(self, ox: float, oy: float, bearing: float, dist: float) -> tuple[float, float]:
        """Where an observer places what it reports: its distance along its (true) bearing (the
        schema's convention: a report with a bearing and a distance is located at the observer's
        estimate)."""
        a = np.radians(bearing + self.geo.north(ox, oy))
        return ox + dist * np.sin(a), oy + dist * np.cos(a)

    def observe(self, means: str, ox: float, oy: float, tx: float, ty: float) -> tuple[float, float | None]:
        """A true bearing and a distance from (ox, oy) to (tx, ty), with the world's errors of ``means``.

        Observers report bearings from true north, as a compass (corrected for declination) gives
        them; the engine reads them so (geo.attribution.density). Written as grid bearings, they
        were off by the grid's convergence, several degrees at the ends of the front.
        """
        sd_b, sd_d = self.errors[means]
        bearing = (_bearing(ox, oy, tx, ty) - self.geo.north(ox, oy) + self.rng.normal(0, sd_b)) % 360.0
        dist = float(np.hypot(tx - ox, ty - oy)) * float(np.exp(self.rng.normal(0, sd_d)))
        step = 5.0 if means == "heard" else 1.0
        return round(bearing / step) * step % 360.0, round(dist / 100.0) * 100.0


def _fire_position(
    geo: _Geo, rng: np.random.Generator, side: str, t: pd.Timestamp
) -> tuple[float, float, float, float] | None:
    """A firing position on ``side``'s ground a few km behind the line, and the unit vector across the line."""
    line = geo.lines[geo.version(t, geo.line_periods)]
    s = rng.uniform(0.02, 0.98) * line.length
    p, q = line.interpolate(s), line.interpolate(min(s + 200.0, line.length))
    tx, ty = q.x - p.x, q.y - p.y
    norm = np.hypot(tx, ty) or 1.0
    nx, ny = -ty / norm, tx / norm
    back = float(np.clip(np.exp(rng.normal(np.log(3000.0), 0.7)), 300.0, 25_000.0))
    for sign in (1.0, -1.0):
        x, y = p.x + sign * nx * back, p.y + sign * ny * back
        if geo.on(side, t, x, y):
            return x, y, -sign * nx, -sign * ny
    return None


def generate(
    scenario: Scenario,
    *,
    seed: int,
    happenings: int = 600,
    effective_at: pd.Timestamp,
    heard_errors: tuple[float, float] | None = None,
) -> World:
    """Generate a month of reports and their truth (see the module docstring).

    ``heard_errors`` (bearing sd in degrees, log-distance sd) replaces the heard errors of
    :data:`ERRORS`: a world whose observers hear worse than the engine assumes.
    """
    rng = np.random.default_rng(seed)
    geo = _Geo(scenario)
    w = _Writer(geo, rng, ERRORS | ({"heard": heard_errors} if heard_errors else {}))
    notifications: list[dict] = []
    weapons = list(WEAPONS)
    shares = np.array([WEAPONS[k][0] for k in weapons])
    shares = shares / shares.sum()
    patrols = [f"PATROL-{k}" for k in range(1, 9)]
    hid = 0

    def fire(side: str, t: pd.Timestamp, at: tuple[float, float, float, float] | None = None,
             target: tuple[float, float] | None = None) -> tuple[float, float, float, float] | None:  # fmt: skip
        nonlocal hid
        if at is None:
            at = _fire_position(geo, rng, side, t)
            if at is None:
                return None
        x, y, ux, uy = at
        weapon = str(rng.choice(weapons, p=shares))
        if target is None:
            rng_m = float(np.exp(rng.normal(np.log(WEAPONS[weapon][1] * 1000.0), 0.35)))
            turn = np.radians(rng.normal(0, 25))
            dx, dy = ux * np.cos(turn) - uy * np.sin(turn), ux * np.sin(turn) + uy * np.cos(turn)
            ix, iy = x + dx * rng_m, y + dy * rng_m
        else:
            ix, iy = target
        hid += 1
        happening = f"W{seed}-H{hid:05d}"
        truth = {
            "happening_id": happening,
            "happening_kind": "fire",
            "is_violation": bool(t >= effective_at),
            "firing_side": side,
            "is_false_report": False,
        }
        count = int(1 + rng.poisson(3))
        base = {"weapon": weapon, "count": count}
        mission = {"source_type": "monitor", "reliability": "B", "credibility": 2, "source_family": "MISSION"}
        seen_any = False
        # Posts and patrols within reach hear the weapon fire, or see it when close.
        observers = [(pid, px, py, rng_) for pid, px, py, rng_ in geo.posts]
        for name in rng.choice(patrols, size=2, replace=False):
            a = rng.uniform(0, 2 * np.pi)
            r = rng.uniform(1000, 7000)
            observers.append((str(name), x + r * np.cos(a), y + r * np.sin(a), 8000.0))
        for name, ox, oy, reach in observers:
            jitter = pd.Timedelta(minutes=float(rng.normal(0, 2)))
            d_fire, d_hit = np.hypot(x - ox, y - oy), np.hypot(ix - ox, iy - oy)
            if d_fire <= reach and rng.uniform() < 0.55:
                means = "seen" if d_fire < 4000 and rng.uniform() < 0.4 else "heard"
                bearing, dist = w.observe(means, ox, oy, x, y)
                props = {**base, **mission, "type": "outgoing_fire" if weapon != "small_arms" else "burst_or_shots",
                         "means": means, "observer_lon": geo.lonlat(ox, oy)[0], "observer_lat": geo.lonlat(ox, oy)[1],
                         "bearing_deg": bearing}  # fmt: skip
                gx, gy = ox, oy
                if rng.uniform() < 0.8:
                    props |= {"distance_min_m": dist, "distance_max_m": dist}
                    gx, gy = w.estimate(ox, oy, bearing, dist)
                w.add(f"SMM-{name}", gx, gy, t + jitter, props, truth)
                seen_any = True
            if d_hit <= reach and rng.uniform() < 0.5:
                sound_only = rng.uniform() < 0.2
                props = {**base, **mission, "type": "undetermined_explosion", "means": "heard",
                         "observer_lon": geo.lonlat(ox, oy)[0], "observer_lat": geo.lonlat(ox, oy)[1]}  # fmt: skip
                gx, gy = ox, oy
                if not sound_only:
                    bearing, dist = w.observe("heard", ox, oy, ix, iy)
                    props |= {"bearing_deg": bearing, "distance_min_m": dist, "distance_max_m": dist}
                    gx, gy = w.estimate(ox, oy, bearing, dist)
                w.add(f"SMM-{name}", gx, gy, t + jitter + pd.Timedelta(seconds=30), props, truth)
                seen_any = True
        # A UAV over the area now and then locates the weapon itself.
        if rng.uniform() < 0.12:
            w.add("SMM-UAV", x + rng.normal(0, 80), y + rng.normal(0, 80), t + pd.Timedelta(minutes=2),
                  {**base, **mission, "type": "muzzle_flash", "means": "uav", "location_precision_m": 100.0},
                  truth)  # fmt: skip
            seen_any = True
        # The side it landed on claims it, by the hour or by the (local) day, through one or two channels.
        victim = "RU" if side == "UA" else "UA"
        if geo.on(victim, t, ix, iy) and rng.uniform() < 0.55:
            claims = [PARTY[victim][0]] + ([PARTY[victim][1]] if rng.uniform() < 0.3 else [])
            for channel in claims:
                props = {**base, "type": "impact", "means": "party_report", "source_type": "party",
                         "reliability": "D", "credibility": 3, "source_family": victim,
                         "location_precision_m": 1000.0, "description": f"shelling by {side}"}  # fmt: skip
                cx, cy = ix + rng.normal(0, 700), iy + rng.normal(0, 700)
                uid = w.add(
                    channel, cx, cy, t + pd.Timedelta(minutes=float(rng.uniform(0, 40))), props, truth
                )
                if rng.uniform() < 0.3:
                    local_day = (t.tz_convert(THEATRE_TZ)).strftime("%Y-%m-%d")
                    w.features[-1]["properties"]["occurred_at"] = local_day
                else:
                    w.features[-1]["properties"]["time_precision"] = "hour"
                if rng.uniform() < 0.25:
                    outlet = str(rng.choice(MEDIA))
                    w.add(outlet, cx, cy, t + pd.Timedelta(minutes=float(rng.normal(0, 20))),
                          {**props, "source_type": "media", "reliability": "C", "credibility": 4,
                           "source_family": outlet, "cites": uid, "time_precision": "hour"}, truth)  # fmt: skip
            seen_any = True
        if not seen_any:
            hid -= 1
            return None
        return x, y, ix, iy

    for _ in range(happenings):
        t = START + pd.Timedelta(seconds=float(rng.uniform(0, DAYS * 86_400)))
        kind = rng.uniform()
        side = "UA" if rng.uniform() < 0.45 else "RU"
        if kind < 0.80:
            shot = fire(side, t)
            if shot is not None and rng.uniform() < 0.25:
                x, y, ix, iy = shot
                other = "RU" if side == "UA" else "UA"
                # Return fire from near where the first rounds landed, at the first position.
                bx, by = ix + rng.normal(0, 800), iy + rng.normal(0, 800)
                if geo.on(other, t, bx, by):
                    ux, uy = (x - bx), (y - by)
                    norm = np.hypot(ux, uy) or 1.0
                    fire(other, t + pd.Timedelta(minutes=float(rng.uniform(5, 15))),
                         at=(bx, by, ux / norm, uy / norm), target=(x + rng.normal(0, 300), y + rng.normal(0, 300)))  # fmt: skip
        elif kind < 0.86:
            hid += _demining(geo, rng, w, seed, hid + 1, side, t, notifications)
        elif kind < 0.89 and geo.ranges:
            hid += _range_training(geo, rng, w, seed, hid + 1, t)
        else:
            _false_claim(geo, rng, w, side, t)
    truth = pd.DataFrame(w.truth)
    cites = pd.Series([f["properties"].get("cites") for f in w.features], index=truth.index)
    truth["rereport_of"] = (
        truth.get("rereport_of", pd.Series(None, index=truth.index)).fillna(cites).fillna("")
    )
    return World(w.features, truth, notifications)


def _demining(
    geo: _Geo, rng, w: _Writer, seed: int, number: int, side: str, t: pd.Timestamp, notes: list
) -> int:
    """A notified demining on ``side``'s ground, and the explosions posts nearby report."""
    at = _fire_position(geo, rng, side, t)
    if at is None:
        return 0
    x, y, _, _ = at
    start = t.floor("h")
    notes.append(
        {
            "id": f"N-{seed}-{number}",
            "party": side,
            "activity": "demining",
            "lon": geo.lonlat(x, y)[0],
            "lat": geo.lonlat(x, y)[1],
            "radius_m": 1500,
            "start": f"{start:%Y-%m-%dT%H:%M:%SZ}",
            "end": f"{start + pd.Timedelta(hours=5):%Y-%m-%dT%H:%M:%SZ}",
        }
    )
    truth = {"happening_id": f"W{seed}-H{number:05d}", "happening_kind": "demining", "is_violation": False,
             "firing_side": side, "is_false_report": False}  # fmt: skip
    reported = False
    for pid, px, py, reach in geo.posts:
        if np.hypot(x - px, y - py) <= reach:
            bearing, dist = w.observe("heard", px, py, x, y)
            props = {"type": "undetermined_explosion", "count": int(2 + rng.poisson(4)), "means": "heard",
                     "source_type": "monitor", "reliability": "B", "credibility": 2, "source_family": "MISSION",
                     "observer_lon": geo.lonlat(px, py)[0], "observer_lat": geo.lonlat(px, py)[1],
                     "bearing_deg": bearing, "distance_min_m": dist, "distance_max_m": dist}  # fmt: skip
            if rng.uniform() < 0.4:
                props["assessment"] = "assessed as controlled detonation"
            gx, gy = w.estimate(px, py, bearing, dist)
            w.add(
                f"SMM-{pid}", gx, gy, start + pd.Timedelta(minutes=float(rng.uniform(20, 280))), props, truth
            )
            reported = True
    if not reported:
        # A patrol on the spot sees it.
        w.add("SMM-PATROL-9", x + rng.normal(0, 300), y + rng.normal(0, 300),
              start + pd.Timedelta(minutes=float(rng.uniform(20, 280))),
              {"type": "undetermined_explosion", "count": 3, "means": "seen", "source_type": "monitor",
               "reliability": "B", "credibility": 2, "source_family": "MISSION", "location_precision_m": 300.0},
              truth)  # fmt: skip
    return 1


def _range_training(geo: _Geo, rng, w: _Writer, seed: int, number: int, t: pd.Timestamp) -> int:
    """Live fire on a designated range, seen by a patrol."""
    target = geo.ranges[int(rng.integers(len(geo.ranges)))]
    p = target.representative_point()
    truth = {"happening_id": f"W{seed}-H{number:05d}", "happening_kind": "training", "is_violation": False,
             "firing_side": "", "is_false_report": False}  # fmt: skip
    w.add("SMM-PATROL-10", p.x + rng.normal(0, 200), p.y + rng.normal(0, 200), t,
          {"type": "impact", "count": int(3 + rng.poisson(5)), "weapon": "artillery_lt100mm", "means": "seen",
           "source_type": "monitor", "reliability": "B", "credibility": 2, "source_family": "MISSION",
           "location_precision_m": 300.0}, truth)  # fmt: skip
    return 1


def _false_claim(geo: _Geo, rng, w: _Writer, side: str, t: pd.Timestamp) -> None:
    """A party claims shelling of its ground that did not happen; media may repeat it."""
    at = _fire_position(geo, rng, side, t)
    if at is None:
        return
    x, y, _, _ = at
    other = "RU" if side == "UA" else "UA"
    truth = {"happening_id": "", "happening_kind": "false_claim", "is_violation": False, "firing_side": "",
             "is_false_report": True}  # fmt: skip
    props = {"type": "impact", "count": int(1 + rng.poisson(5)), "weapon": "artillery_ge100mm",
             "means": "party_report", "source_type": "party", "reliability": "D", "credibility": 3,
             "source_family": side, "location_precision_m": 1000.0, "time_precision": "hour",
             "description": f"shelling by {other}"}  # fmt: skip
    channels = [PARTY[side][0]] + ([PARTY[side][1]] if rng.uniform() < 0.5 else [])
    first = None
    for channel in channels:
        # The second channel repeats the first's claim: one claim, for the pair measures.
        said = truth if first is None else {**truth, "rereport_of": first}
        uid = w.add(channel, x, y, t + pd.Timedelta(minutes=float(rng.uniform(0, 30))), props, said)
        first = first or uid
        if rng.uniform() < 0.5:
            outlet = str(rng.choice(MEDIA))
            w.add(outlet, x, y, t + pd.Timedelta(minutes=float(rng.normal(0, 20))),
                  {**props, "source_type": "media", "reliability": "C", "credibility": 4, "source_family": outlet,
                   "cites": uid}, truth)  # fmt: skip


def as_frame(world: World) -> gpd.GeoDataFrame:
    """The world's features as a GeoDataFrame (for inspection; evaluation reads them through ingest)."""
    return gpd.GeoDataFrame.from_features(world.features, crs=4326)
