"""What truly happens on the demo front in the month, and which violation kinds each happening is."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.demo.geography import DISENGAGEMENT_AREAS
from geo.demo.world import World

# Minsk II pulled heavy weapons back to make zones 50 km (artillery of 100 mm and more), 70 km (MLRS)
# and 140 km (Tornado-S, Uragan, Smerch, Tochka) wide; the 2015 addendum took tanks, artillery under
# 100 mm and mortars 15 km back. Metres from the reference line on each side. data/agreement.toml is the
# authority for the rules engine; these constants only decide the demo's ground truth, and a test keeps
# them equal to the agreement file's terms.
WITHDRAWAL_HALF_WIDTH_M: dict[str, float] = {
    "artillery_ge100mm": 25_000.0,
    "mlrs": 35_000.0,
    "heavy_mlrs_tactical_missile": 70_000.0,
    "tank": 15_000.0,
    "artillery_lt100mm": 15_000.0,
    "mortar": 15_000.0,
}
# Each side measures from its own reference line: Ukraine from the line in force, the other side from
# the line of the first version (the Memorandum line), as in data/agreement.toml.
WITHDRAWAL_REFERENCE = {"UA": "in_force", "RU": "v1"}
HEAVY_WEAPONS = ("artillery_ge100mm", "mlrs", "heavy_mlrs_tactical_missile", "tank")
CEASEFIRE_EFFECTIVE = pd.Timestamp("2026-10-03T00:00:00Z")
FIRE_NEAR_POST_M = 1_000.0
VIOLATION_KINDS = (
    "fire_across_line",
    "heavy_weapon_in_zone",
    "flight_over_security_zone",
    "disengagement_activity",
    "fire_near_monitors",
)
SURGE = ("Pokrovsk", 9, 4, 70)  # sector, first day (0-based), days, extra happenings per day
CLUSTER = ("Robotyne", 1_500.0, 140)  # town, spread along the line (m), happenings in the month
FIRE_PER_DAY = 56
WEAPON_MIX = {
    "small_arms": 0.27,
    "mortar": 0.25,
    "artillery_lt100mm": 0.07,
    "artillery_ge100mm": 0.15,
    "mlrs": 0.06,
    "heavy_mlrs_tactical_missile": 0.01,
    "tank": 0.05,
    "uav": 0.14,
}
# km from the line: where the weapon fires from, and how far across the line it lands
ORIGIN_KM = {
    "small_arms": (0.2, 1.0),
    "mortar": (0.5, 5.0),
    "artillery_lt100mm": (2.0, 8.0),
    "artillery_ge100mm": (4.0, 20.0),
    "mlrs": (5.0, 25.0),
    "heavy_mlrs_tactical_missile": (20.0, 60.0),
    "tank": (1.0, 5.0),
    "uav": (2.0, 15.0),
}
IMPACT_KM = {
    "small_arms": (0.1, 0.8),
    "mortar": (0.3, 4.0),
    "artillery_lt100mm": (1.0, 8.0),
    "artillery_ge100mm": (1.0, 15.0),
    "mlrs": (1.0, 15.0),
    "heavy_mlrs_tactical_missile": (5.0, 40.0),
    "tank": (0.5, 4.0),
    "uav": (1.0, 20.0),
}
MEAN_COUNT = {
    "small_arms": 8,
    "mortar": 5,
    "artillery_lt100mm": 4,
    "artillery_ge100mm": 5,
    "mlrs": 16,
    "heavy_mlrs_tactical_missile": 2,
    "tank": 3,
    "uav": 1,
}


# UTC hours: most fire falls at dusk and at night in local time (UTC+2/+3).
HOUR_WEIGHTS = np.array([2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 2], float)


def draw_times(rng: np.random.Generator, n: int, start: pd.Timestamp, day_lo: int, day_hi: int) -> np.ndarray:
    """Draw ``n`` times (int64 ns) between days ``day_lo`` and ``day_hi``, weighted to dusk and night."""
    day = rng.integers(day_lo, day_hi, n)
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    minute = rng.integers(0, 60, n)
    return start.value + ((day * 24 + hour) * 60 + minute) * 60_000_000_000


def collect(make: Any, n: int) -> pd.DataFrame:
    """Draw candidates with ``make(m)`` until ``n`` are valid; the placement rejects points off their side."""
    parts, have = [], 0
    while have < n:
        cand = make(int(n * 1.5) + 20)
        cand = cand.loc[cand.pop("valid").to_numpy()]
        parts.append(cand)
        have += len(cand)
    return pd.concat(parts, ignore_index=True).iloc[:n]


def _weapon_table(weapon: np.ndarray, table: dict[str, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    lo = pd.Series(weapon).map({k: v[0] for k, v in table.items()}).to_numpy(float) * 1000
    hi = pd.Series(weapon).map({k: v[1] for k, v in table.items()}).to_numpy(float) * 1000
    return lo, hi


def _happening_frame(klass: str, t, side, weapon, count, origin, impact, sector, vidx) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "klass": klass,
            "t": t,
            "side": side,
            "weapon": weapon,
            "count": count,
            "ox": origin[:, 0],
            "oy": origin[:, 1],
            "ix": impact[:, 0],
            "iy": impact[:, 1],
            "sector": sector,
            "vidx": vidx,
        }
    )


def _fire(world: World, rng: np.random.Generator, t, s, sector, *, weapons=None, along_m=600.0, impact=None):
    """Fire across the line: origin on the firing side, impact on the other (``impact`` may be given)."""
    n = len(t)
    side = rng.choice(["UA", "RU"], n, p=[0.45, 0.55])
    if weapons is None:
        weapons = rng.choice(list(WEAPON_MIX), n, p=list(WEAPON_MIX.values()))
    lo, hi = _weapon_table(weapons, ORIGIN_KM)
    d_o = rng.uniform(lo, hi)
    lo, hi = _weapon_table(weapons, IMPACT_KM)
    d_i = rng.uniform(lo, hi)
    vidx = world.version_index(t)
    base, tangent, normal = world.along(vidx, s)
    sign = np.where(side == "UA", 1.0, -1.0)[:, None]
    origin = base + normal * sign * d_o[:, None] + tangent * rng.normal(0, along_m, (n, 1))
    if impact is None:
        jitter = rng.normal(0, 1, (n, 1)) * (along_m + 0.3 * d_i[:, None])
        impact = base - normal * sign * d_i[:, None] + tangent * jitter
    mean = pd.Series(weapons).map(MEAN_COUNT).to_numpy(float)
    count = 1 + rng.poisson(mean - 1)
    frame = _happening_frame("fire", t, side, weapons, count, origin, impact, sector, vidx)
    other = np.where(side == "UA", "RU", "UA")
    frame["valid"] = (world.side_of(vidx, origin) == side) & (world.side_of(vidx, impact) == other)
    return frame


def simulate_happenings(
    world: World, rng: np.random.Generator, start: pd.Timestamp, days: int
) -> pd.DataFrame:
    """Simulate what truly happened in the month, before anyone reports it."""

    def baseline(m):
        s, sector = world.sample_s(rng, m)
        return _fire(world, rng, draw_times(rng, m, start, 0, days), s, sector)

    surge_sector, first, length, per_day = SURGE
    k = list(world.sector_names).index(surge_sector)

    def surge(m):
        s = rng.uniform(*world.sector_bounds[k], m)
        return _fire(
            world, rng, draw_times(rng, m, start, first, first + length), s, np.full(m, surge_sector)
        )

    def close_fire(s, weapons):
        """Fire from close by, on a town or a disengagement area, over the whole month."""
        times = draw_times(rng, len(s), start, 0, days)
        return _fire(world, rng, times, s, world.sector_at(s), weapons=weapons, along_m=300)

    town, spread, n_cluster = CLUSTER

    def cluster(m):
        s = world.s_town[town] + rng.normal(0, spread, m)
        weapons = rng.choice(["mortar", "artillery_ge100mm", "tank", "uav"], m, p=[0.4, 0.3, 0.15, 0.15])
        return close_fire(s, weapons)

    da_s = np.array([world.s_town[t] for _, t in DISENGAGEMENT_AREAS])

    def disengagement(m):
        s = da_s[rng.integers(0, len(da_s), m)] + rng.normal(0, 500, m)
        weapons = rng.choice(["small_arms", "mortar"], m, p=[0.7, 0.3])
        frame = close_fire(s, weapons)
        o = shapely.contains_xy(world.disengagement, frame["ox"], frame["oy"])
        frame["valid"] &= o | shapely.contains_xy(world.disengagement, frame["ix"], frame["iy"])
        return frame

    def near_posts(m):
        post = rng.integers(0, len(world.post_xy), m)
        r, a = rng.uniform(150, 2_500, m), rng.uniform(0, 2 * np.pi, m)
        impact = world.post_xy[post] + np.column_stack([np.cos(a), np.sin(a)]) * r[:, None]
        t = draw_times(rng, m, start, 0, days)
        s = world.locate(world.version_index(t), impact)
        weapons = rng.choice(["mortar", "artillery_ge100mm", "mlrs", "uav"], m, p=[0.4, 0.35, 0.1, 0.15])
        frame = _fire(world, rng, t, s, world.sector_at(s), weapons=weapons, impact=impact)
        frame["valid"] &= frame["side"].to_numpy() != world.post_side[post]
        return frame

    def heavy(m):
        side = rng.choice(["UA", "RU"], m)
        weapon = rng.choice(HEAVY_WEAPONS, m, p=[0.45, 0.25, 0.1, 0.2])
        half = pd.Series(weapon).map(WITHDRAWAL_HALF_WIDTH_M).to_numpy(float)
        inside = rng.random(m) < 0.6
        d = np.where(inside, rng.uniform(1_000, 0.9 * half), rng.uniform(1.15 * half, 1.15 * half + 25_000))
        t = draw_times(rng, m, start, 0, days)
        s, sector = world.sample_s(rng, m)
        vidx = world.version_index(t)
        loc = world.beside(vidx, s, side, d, rng, spread_m=1_000)
        count = 1 + rng.poisson(2, m)
        frame = _happening_frame(
            "heavy_weapon", t, side, weapon, count, loc, np.full((m, 2), np.nan), sector, vidx
        )
        frame["valid"] = world.side_of(vidx, loc) == side
        return frame

    def flight(m):
        side = rng.choice(["UA", "RU"], m)
        in_zone = rng.random(m) < 0.65
        d = np.where(in_zone, rng.uniform(-14_000, 14_000, m), rng.uniform(20_000, 60_000, m))
        t = draw_times(rng, m, start, 0, days)
        s, sector = world.sample_s(rng, m)
        vidx = world.version_index(t)
        loc = world.beside(vidx, s, side, d, rng, spread_m=2_000)
        frame = _happening_frame("uav_flight", t, side, "uav", 1, loc, np.full((m, 2), np.nan), sector, vidx)
        frame["valid"] = world.side_of(vidx, loc) != ""
        return frame

    def placed(klass, d_lo, d_hi, days_lo=0):
        def make(m):
            side = rng.choice(["UA", "RU"], m)
            t = draw_times(rng, m, start, days_lo, days)
            s = rng.uniform(0, world.lines[0].length, m)
            vidx = world.version_index(t)
            loc = world.beside(vidx, s, side, rng.uniform(d_lo, d_hi, (m, 1)), rng, spread_m=3_000)
            count = 1 + rng.poisson(0.5, m)
            nan = np.full((m, 2), np.nan)
            frame = _happening_frame(klass, t, side, "unknown", count, nan, loc, world.sector_at(s), vidx)
            frame["valid"] = world.side_of(vidx, loc) == side
            return frame

        return make

    parts = [
        collect(baseline, FIRE_PER_DAY * days).assign(tag=""),
        collect(surge, per_day * length).assign(tag="surge"),
        collect(cluster, n_cluster).assign(tag="cluster"),
        collect(disengagement, 36).assign(tag=""),
        collect(near_posts, 40).assign(tag=""),
        collect(heavy, 170).assign(tag=""),
        collect(flight, 130).assign(tag=""),
        collect(placed("thermal", 40_000, 150_000), 160).assign(tag=""),
        collect(placed("demining", 3_000, 25_000), 50).assign(tag=""),
    ]
    happenings = pd.concat(parts, ignore_index=True)
    return _judge(world, happenings)


def _judge(world: World, h: pd.DataFrame) -> pd.DataFrame:
    """Add the truth: which violation kinds each happening is, from its true geometry and time."""
    origin, impact = h[["ox", "oy"]].to_numpy(), h[["ix", "iy"]].to_numpy()
    vidx = h["vidx"].to_numpy()
    o_side, i_side = world.side_of(vidx, origin), world.side_of(vidx, impact)
    klass = h["klass"].to_numpy()
    fire = klass == "fire"
    after = h["t"].to_numpy() >= CEASEFIRE_EFFECTIVE.value
    half = h["weapon"].map(WITHDRAWAL_HALF_WIDTH_M).to_numpy(float)
    labels = list(world.scenario.lines["version"])
    reference = h["side"].map(WITHDRAWAL_REFERENCE).to_numpy(object)
    ref_idx = np.where(reference == "in_force", vidx, pd.Index(labels).get_indexer(reference))
    dist = world.distance_to_line(ref_idx, origin)

    def near_post(xy):
        ok = np.isfinite(xy).all(axis=1)
        d = np.full(len(xy), np.inf)
        d[ok] = np.linalg.norm(xy[ok, None, :] - world.post_xy[None, :, :], axis=2).min(axis=1)
        return d <= FIRE_NEAR_POST_M

    def within(poly, xy):
        ok = np.isfinite(xy).all(axis=1)
        out = np.zeros(len(xy), bool)
        out[ok] = shapely.contains_xy(poly, xy[ok, 0], xy[ok, 1])
        return out

    kinds = {
        "fire_across_line": fire & after & (o_side != "") & (i_side != "") & (o_side != i_side),
        "heavy_weapon_in_zone": (klass == "heavy_weapon") & (dist < half),
        "flight_over_security_zone": (klass == "uav_flight") & within(world.security, origin),
        "disengagement_activity": np.isin(klass, ["fire", "heavy_weapon", "uav_flight"])
        & (within(world.disengagement, origin) | within(world.disengagement, impact)),
        "fire_near_monitors": fire & (near_post(origin) | near_post(impact)),
    }
    table = pd.DataFrame(kinds)
    h = h.copy()
    joined = np.full(len(h), "", dtype=object)
    for kind in VIOLATION_KINDS:
        joined = joined + np.where(table[kind], kind + ";", "")
    h["violation_kinds"] = pd.Series(joined).str.rstrip(";").to_numpy()
    h["is_violation"] = table.any(axis=1).to_numpy()
    h["olon"], h["olat"] = world.frame.inv.transform(h["ox"].to_numpy(), h["oy"].to_numpy())
    h["ilon"], h["ilat"] = world.frame.inv.transform(h["ix"].to_numpy(), h["iy"].to_numpy())
    order = np.lexsort((np.arange(len(h)), h["t"].to_numpy()))
    hid = np.empty(len(h), dtype=object)
    hid[order] = [f"H{i + 1:05d}" for i in range(len(h))]
    h["happening_id"] = hid
    return h
