"""The monitoring mission's channels: observation posts, patrols, UAV and satellite imagery."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.demo.geography import GEOD
from geo.demo.happenings import HEAVY_WEAPONS
from geo.demo.rows import DAY, HOUR, MINUTE, observed_point, report_rows, scatter
from geo.demo.world import World
from geo.schema import COMPASS_POINTS

SATELLITE_PASS = pd.Timedelta(hours=8, minutes=40)


def _observer_reports(rng, hf, h, obs_lon, obs_lat, observed, means, source, source_type, reliability):
    """Fire, explosions or drones heard or seen from a post or patrol: bearing, distance bracket, count."""
    n = len(h)
    klass, true_weapon = hf["klass"].to_numpy()[h], hf["weapon"].to_numpy()[h]
    t_lon, t_lat = observed_point(hf, h, observed)
    az, _, dist = GEOD.inv(obs_lon, obs_lat, t_lon, t_lat)
    heard = means == "heard"
    sd = np.where(heard, 12.0, 4.0)
    b = (az + rng.normal(0, 1, n) * sd) % 360
    est = np.maximum(dist, 100.0) * np.exp(rng.normal(0, 1, n) * np.where(heard, 0.3, 0.15))
    dmin = np.floor(est * 0.75 / 500) * 500
    dmax = np.maximum(np.ceil(est * 1.3 / 500) * 500, dmin + 500)
    # The OSCE wrote a bearing as a number, a compass point or a range; ranges never wrap past north here.
    form = rng.choice(3, n, p=[0.55, 0.25, 0.2])
    rmin, rmax = np.floor((b - 15) / 5) * 5, np.ceil((b + 15) / 5) * 5
    form = np.where((form == 2) & ((rmin < 0) | (rmax >= 360)), 0, form)
    k = np.round(b / 22.5).astype(int) % 16
    number = np.round(b) % 360
    centre = np.select([form == 0, form == 1], [number, k * 22.5], (rmin + rmax) / 2)
    half = np.select([form == 0, form == 1], [sd, 11.25], (rmax - rmin) / 2)
    mid = (dmin + dmax) / 2
    lon, lat, _ = GEOD.fwd(obs_lon, obs_lat, centre, mid)
    precision = np.round(np.maximum((dmax - dmin) / 2, mid * np.sin(np.radians(half))) / 100) * 100
    hour = (hf["t"].to_numpy()[h] // HOUR + 3) % 24
    night = (hour < 6) | (hour >= 19)
    small = true_weapon == "small_arms"
    u = rng.random(n)
    typ = np.where(
        observed == "origin",
        np.where(
            small, "burst_or_shots", np.where(~heard & night & (u < 0.5), "muzzle_flash", "outgoing_fire")
        ),
        np.where(
            small,
            "burst_or_shots",
            np.where(
                heard,
                np.where(u < 0.6, "undetermined_explosion", "impact"),
                np.where(true_weapon == "uav", "air_or_drone_strike", "impact"),
            ),
        ),
    ).astype(object)
    typ[klass == "uav_flight"] = "other"
    typ[klass == "demining"] = "undetermined_explosion"
    p_right = np.select([small & heard, heard, means == "camera"], [0.9, 0.45, 0.85], 0.8)
    weapon = np.where(rng.random(n) < p_right, true_weapon, "unknown")
    count = np.maximum(1, rng.binomial(hf["count"].to_numpy()[h], 0.85))
    t = (hf["t"].to_numpy()[h] + np.round(rng.normal(0, 1.5, n)) * MINUTE) // MINUTE * MINUTE
    compass = np.array(COMPASS_POINTS)[k]
    bearing_text = np.select(
        [form == 0, form == 1],
        [number.astype(int).astype(str), compass],
        np.char.add(np.char.add(rmin.astype(int).astype(str), "-"), rmax.astype(int).astype(str)),
    )
    noun = pd.Series(typ).map(TYPE_NOUN).to_numpy(str)
    description = (
        pd.Series(count.astype(str)) + " " + noun + " " + pd.Series(means) + " "
        + pd.Series((dmin / 1000).astype(str)).str.removesuffix(".0") + "-"
        + pd.Series((dmax / 1000).astype(str)).str.removesuffix(".0") + " km " + bearing_text
    )  # fmt: skip
    return report_rows(
        h=h,
        source=source,
        source_type=source_type,
        means=means,
        type=typ,
        weapon=np.where(klass == "uav_flight", "uav", weapon),
        count=count,
        t=t,
        reliability=reliability,
        credibility=np.where(heard, 3, 2),
        lon=lon,
        lat=lat,
        location_precision_m=precision,
        observer_lon=obs_lon,
        observer_lat=obs_lat,
        bearing_deg=np.where(form == 0, number, np.nan),
        bearing_min_deg=np.select([form == 1, form == 2], [(k * 22.5 - 11.25) % 360, rmin], np.nan),
        bearing_max_deg=np.select([form == 1, form == 2], [(k * 22.5 + 11.25) % 360, rmax], np.nan),
        distance_min_m=dmin,
        distance_max_m=dmax,
        description=description.to_numpy(),
        observed=observed,
    )


TYPE_NOUN = {
    "undetermined_explosion": "undetermined explosion(s)",
    "impact": "impact(s)",
    "outgoing_fire": "outgoing round(s)",
    "muzzle_flash": "muzzle flash(es)",
    "burst_or_shots": "burst(s) and shot(s)",
    "air_or_drone_strike": "drone strike(s)",
    "other": "UAV(s) flying",
}


def posts_channel(world: World, rng: np.random.Generator, hf: pd.DataFrame) -> pd.DataFrame:
    """What the observation posts see or hear of the happenings within their range."""
    klass = hf["klass"].to_numpy()
    idx = np.flatnonzero(np.isin(klass, ["fire", "demining", "uav_flight"]))
    origin, impact = hf[["ox", "oy"]].to_numpy()[idx], hf[["ix", "iy"]].to_numpy()[idx]
    d_o = np.nan_to_num(np.linalg.norm(origin[:, None] - world.post_xy[None], axis=2), nan=np.inf)
    d_i = np.nan_to_num(np.linalg.norm(impact[:, None] - world.post_xy[None], axis=2), nan=np.inf)
    flight = (klass[idx] == "uav_flight")[:, None]
    use_origin = flight | (d_o < d_i)
    d = np.where(use_origin, d_o, d_i)
    # Rifle and machine-gun fire carries a few kilometres, not a post's full range.
    reach = np.where(
        (hf["weapon"].to_numpy()[idx] == "small_arms")[:, None],
        np.minimum(world.post_range, 5_000.0),
        world.post_range,
    )
    p = np.where(flight, np.where(d <= 6_000, 0.6, 0.0), 0.9 * np.clip(1 - (d / reach) ** 3, 0, 1))
    hh, pp = np.nonzero(rng.random(d.shape) < p)
    u = rng.random(len(hh))
    near = d[hh, pp] <= 4_000
    means = np.where(near, np.where(u < 0.45, "seen", np.where(u < 0.6, "camera", "heard")), "heard")
    means = np.where(flight[hh, 0], np.where(u < 0.6, "seen", "camera"), means)
    observed = np.where(use_origin[hh, pp], "origin", "impact")
    return _observer_reports(
        rng, hf, idx[hh], world.post_lon[pp], world.post_lat[pp], observed, means,
        world.post_source[pp], "observation_post", "A",
    )  # fmt: skip


def patrol_channel(rng: np.random.Generator, hf: pd.DataFrame) -> pd.DataFrame:
    """What daytime patrols see or hear of a share of the fire and drone flights."""
    klass = hf["klass"].to_numpy()
    hour = (hf["t"].to_numpy() // HOUR) % 24
    idx = np.flatnonzero(np.isin(klass, ["fire", "uav_flight"]) & (hour >= 4) & (hour <= 14))
    idx = idx[rng.random(len(idx)) < 0.12]
    n = len(idx)
    flight = klass[idx] == "uav_flight"
    observed = np.where(flight | (rng.random(n) < 0.5), "origin", "impact")
    t_lon, t_lat = observed_point(hf, idx, observed)
    obs_lon, obs_lat, _ = GEOD.fwd(t_lon, t_lat, rng.uniform(0, 360, n), rng.uniform(1_500, 7_000, n))
    means = np.where(flight | (rng.random(n) < 0.45), "seen", "heard")
    source = np.char.add("CVM-PATROL-", rng.integers(1, 7, n).astype(str))
    return _observer_reports(rng, hf, idx, obs_lon, obs_lat, observed, means, source, "monitor", "B")


def _satellite_pass(t: np.ndarray, *, after: bool) -> np.ndarray:
    day = t // DAY * DAY + SATELLITE_PASS.value
    if after:
        return np.where(day >= t, day, day + DAY)
    return np.where(day <= t, day, day - DAY)


def imagery_channel(rng: np.random.Generator, hf: pd.DataFrame) -> pd.DataFrame:
    """UAV and satellite sightings: heavy weapons, firing positions, craters and thermal anomalies."""
    klass, weapon = hf["klass"].to_numpy(), hf["weapon"].to_numpy()
    t, count = hf["t"].to_numpy(), hf["count"].to_numpy()
    heavy = klass == "heavy_weapon"
    parts = []

    def add(mask, observed, sigma, **cols):
        h = np.flatnonzero(mask)
        lon, lat = observed_point(hf, h, np.full(len(h), observed))
        lon, lat = scatter(rng, lon, lat, sigma)
        cols = {k: (v[h] if isinstance(v, np.ndarray) and len(v) == len(hf) else v) for k, v in cols.items()}
        parts.append(report_rows(h=h, lon=lon, lat=lat, observed=observed, weapon=weapon[h], **cols))

    def minute(dt):
        return (t + dt) // MINUTE * MINUTE

    uav = dict(source="CVM-UAV", source_type="uav", means="uav", reliability="A", credibility=2)
    sat = dict(
        source="SAT-IMAGERY", source_type="satellite", means="satellite", reliability="B", credibility=2
    )
    add(heavy & (rng.random(len(hf)) < 0.7), "origin", 10.0, type="weapon_sighting", count=count,
        t=minute(np.round(rng.normal(0, 20, len(hf))) * MINUTE), location_precision_m=25.0,
        description="heavy weapons sighted", **uav)  # fmt: skip
    add(heavy & (rng.random(len(hf)) < 0.35), "origin", 8.0, type="weapon_sighting",
        count=np.maximum(1, rng.binomial(count, 0.9)), t=_satellite_pass(t, after=False),
        location_precision_m=15.0, description="heavy weapons on imagery", **sat)  # fmt: skip
    guns = (klass == "fire") & np.isin(weapon, ["artillery_lt100mm", *HEAVY_WEAPONS])
    add(guns & (rng.random(len(hf)) < 0.06), "origin", 10.0, type="outgoing_fire", count=count,
        t=minute(np.round(rng.normal(0, 1, len(hf))) * MINUTE), location_precision_m=30.0,
        description="firing position observed", **uav)  # fmt: skip
    craters = (klass == "fire") & np.isin(
        weapon, ["artillery_ge100mm", "mlrs", "heavy_mlrs_tactical_missile"]
    )
    add(craters & (rng.random(len(hf)) < 0.12), "impact", 15.0, type="impact",
        count=np.maximum(1, rng.binomial(count, 0.7)), t=t, t_from=_satellite_pass(t, after=False),
        t_to=_satellite_pass(t, after=True), time_precision="day", location_precision_m=50.0,
        description="fresh craters between two passes", **{**sat, "means": "crater_analysis"})  # fmt: skip
    thermal = (klass == "thermal") | (craters & (rng.random(len(hf)) < 0.03))
    add(thermal, "impact", 150.0, type="other", count=1, t=minute(0), location_precision_m=375.0,
        description="thermal anomaly", source="SAT-THERMAL", source_type="satellite", means="satellite",
        reliability="B", credibility=3)  # fmt: skip
    frame = pd.concat(parts, ignore_index=True)
    frame.loc[frame["type"] == "other", "weapon"] = "unknown"
    return frame
