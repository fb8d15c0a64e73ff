"""The parties' and the media's channels: inflated claims, loose reports, copies and false claims."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.demo.happenings import HEAVY_WEAPONS, collect, draw_times
from geo.demo.rows import DAY, HOUR, MINUTE, observed_point, report_rows, scatter
from geo.demo.world import World

# Parties inflate: a mortar becomes artillery, artillery becomes rockets.
ESCALATE = {"small_arms": "mortar", "mortar": "artillery_ge100mm", "artillery_lt100mm": "artillery_ge100mm"}
PARTY_SOURCES = {
    "UA": (("UA-MOD", "D"), ("UA-LOCAL-ADMIN", "E")),
    "RU": (("RU-MOD", "D"), ("RU-LOCAL-ADMIN", "E")),
}
MEDIA_SOURCES = (
    ("MEDIA-REGIONAL", "media"),
    ("WIRE-AGENCY", "media"),
    ("OSINT-CHANNEL-A", "open_source"),
    ("OSINT-CHANNEL-B", "open_source"),
)


def _party_rows(rng, h, reporter, lon, lat, attributed, klass, weapon, count, t) -> pd.DataFrame:
    """A party's claim: located near a village, rounded to the hour, inflated, blaming the other side."""
    n = len(h)
    main = rng.random(n) < 0.7
    source = np.where(
        reporter == "UA",
        np.where(main, PARTY_SOURCES["UA"][0][0], PARTY_SOURCES["UA"][1][0]),
        np.where(main, PARTY_SOURCES["RU"][0][0], PARTY_SOURCES["RU"][1][0]),
    )
    lon, lat = scatter(rng, lon, lat, np.where(klass == "heavy_weapon", 2_500.0, 1_200.0))
    escalate = pd.Series(weapon).map(ESCALATE).fillna(pd.Series(weapon)).to_numpy(str)
    weapon = np.where((klass == "fire") & (rng.random(n) < 0.3), escalate, weapon)
    typ = np.select(
        [klass == "uav_flight", klass == "heavy_weapon", weapon == "uav"],
        ["other", "weapon_sighting", "air_or_drone_strike"],
        "impact",
    )
    count = np.ceil(count * rng.uniform(1.0, 3.0, n)).astype(int)
    t = (t + np.where(rng.random(n) < 0.2, HOUR, 0)) // HOUR * HOUR
    forces = np.where(attributed == "UA", "Ukrainian", "Russian")
    what = np.select(
        [klass == "uav_flight", klass == "heavy_weapon"],
        [" UAV over our positions", " heavy weapons moved up to the line"],
        " shelling of our positions",
    )
    return report_rows(
        h=h,
        source=source,
        source_type="party",
        means="party_report",
        type=typ,
        weapon=weapon,
        count=count,
        t=t,
        time_precision="hour",
        reliability=np.where(main, "D", "E"),
        credibility=rng.choice([3, 4, 5], n, p=[0.4, 0.4, 0.2]),
        # Both channels of a party are one family: never independent of each other.
        source_family=np.asarray(reporter, dtype=object),
        lon=lon,
        lat=lat,
        location_precision_m=rng.choice([1_000.0, 2_000.0, 3_000.0], n),
        description=np.char.add(forces.astype(str), what.astype(str)),
        attributed_to=attributed,
    )


def party_channel(rng: np.random.Generator, hf: pd.DataFrame) -> pd.DataFrame:
    """The parties' claims: victims report fire and drones over them, firers sometimes blame the other side."""
    klass, side = hf["klass"].to_numpy(), hf["side"].to_numpy()
    other = np.where(side == "UA", "RU", "UA")
    loud = np.isin(hf["weapon"], HEAVY_WEAPONS) | (hf["count"].to_numpy() >= 10)
    u = rng.random(len(hf))
    # (mask, reporter, observed point, blamed side): victims report fire and drones over them; the
    # firing side sometimes reports its own fire, or its own demining, as enemy shelling.
    cases = [
        ((klass == "fire") & (u < 0.45 + 0.3 * loud), other, "impact", side),
        ((klass == "fire") & (u > 0.93), side, "origin", other),
        ((klass == "demining") & (u < 0.12), side, "impact", other),
        ((klass == "uav_flight") & (u < 0.35), other, "origin", side),
        ((klass == "heavy_weapon") & (u < 0.2), other, "origin", side),
    ]
    parts = []
    for mask, reporter, observed, blamed in cases:
        h = np.flatnonzero(mask)
        lon, lat = observed_point(hf, h, np.full(len(h), observed))
        rows = _party_rows(
            rng, h, reporter[h], lon, lat, blamed[h], klass[h], hf["weapon"].to_numpy()[h],
            hf["count"].to_numpy()[h], hf["t"].to_numpy()[h],
        )  # fmt: skip
        parts.append(rows.assign(observed=observed))
    return pd.concat(parts, ignore_index=True)


def _media_rows(rng, h, lon, lat, klass, weapon, count, t) -> pd.DataFrame:
    """Media and open sources: a place named loosely, a day or an hour, a rough count."""
    n = len(h)
    pick = rng.integers(0, len(MEDIA_SOURCES), n)
    precision = rng.choice([1_000.0, 2_000.0, 5_000.0], n)
    lon, lat = scatter(rng, lon, lat, precision / 2)
    day = rng.random(n) < 0.5
    typ = np.select(
        [klass == "uav_flight", klass == "heavy_weapon", klass == "demining"],
        ["other", "weapon_sighting", "undetermined_explosion"],
        np.where(rng.random(n) < 0.5, "impact", "undetermined_explosion"),
    )
    return report_rows(
        h=h,
        source=np.array([m[0] for m in MEDIA_SOURCES])[pick],
        source_type=np.array([m[1] for m in MEDIA_SOURCES])[pick],
        means=np.where(rng.random(n) < 0.25, "camera", None),
        type=typ,
        weapon=np.where(rng.random(n) < 0.5, weapon, "unknown"),
        count=np.maximum(1, np.round(count * rng.uniform(0.7, 1.5, n))).astype(int),
        t=t // HOUR * HOUR,
        t_from=np.where(day, t // DAY * DAY, -1),
        t_to=np.where(day, t // DAY * DAY + DAY - MINUTE, -1),
        time_precision=np.where(day, "day", "hour"),
        reliability="C",
        credibility=rng.choice([2, 3, 4], n, p=[0.3, 0.45, 0.25]),
        lon=lon,
        lat=lat,
        location_precision_m=precision,
        description=np.where(
            klass == "fire", "shelling reported near the front line", "reported near the front"
        ),
    )


def media_channel(rng, hf, wants, party) -> pd.DataFrame:
    """Media reports; half of those about a happening a party claimed repeat the party's claim."""
    h = np.flatnonzero(wants)
    klass = hf["klass"].to_numpy()
    observed = np.where(np.isin(klass[h], ["uav_flight", "heavy_weapon"]), "origin", "impact")
    lon, lat = observed_point(hf, h, observed)
    rows = _media_rows(
        rng,
        h,
        lon,
        lat,
        klass[h],
        hf["weapon"].to_numpy()[h],
        hf["count"].to_numpy()[h],
        hf["t"].to_numpy()[h],
    ).assign(observed=observed)
    first = party.drop_duplicates("h").set_index("h")
    copy = np.isin(h, first.index) & (rng.random(len(h)) < 0.5)
    src = first.loc[h[copy]]
    for col in ("lon", "lat", "count", "weapon", "type", "observed"):
        rows.loc[copy, col] = src[col].to_numpy()
    rows.loc[copy, "copy_of"] = src["row"].to_numpy()
    return rows


def false_reports(world: World, rng: np.random.Generator, start: pd.Timestamp, days: int, n: int):
    """Claims of fire where nothing happened, placed on the claimant's own side near the line."""

    def make(m):
        side = rng.choice(["UA", "RU"], m)
        t = draw_times(rng, m, start, 0, days)
        s, _ = world.sample_s(rng, m)
        vidx = world.version_index(t)
        xy = world.beside(vidx, s, side, rng.uniform(500, 8_000, (m, 1)), rng, spread_m=1_000)
        return pd.DataFrame(
            {"side": side, "t": t, "x": xy[:, 0], "y": xy[:, 1], "valid": world.side_of(vidx, xy) == side}
        )

    f = collect(make, n)
    lon, lat = world.frame.inv.transform(f["x"].to_numpy(), f["y"].to_numpy())
    side, t = f["side"].to_numpy(), f["t"].to_numpy()
    weapon = rng.choice(["mortar", "artillery_ge100mm", "mlrs", "uav"], n, p=[0.4, 0.35, 0.15, 0.1])
    count = 1 + rng.poisson(5, n)
    media = rng.random(n) < 0.15
    klass = np.full(n, "fire")
    h = np.full(n, -1)
    party = _party_rows(
        rng, h[~media], side[~media], lon[~media], lat[~media], np.where(side == "UA", "RU", "UA")[~media],
        klass[~media], weapon[~media], count[~media], t[~media],
    )  # fmt: skip
    press = _media_rows(
        rng, h[media], lon[media], lat[media], klass[media], weapon[media], count[media], t[media]
    )
    # A third of the false claims are repeated by an outlet citing them (geo.demo.month sets cites).
    echo = party.iloc[np.flatnonzero(rng.random(len(party)) < 0.33)]
    repeated = _media_rows(
        rng, echo["h"].to_numpy(), echo["lon"].to_numpy(), echo["lat"].to_numpy(), np.full(len(echo), "fire"),
        echo["weapon"].to_numpy(), echo["count"].to_numpy(), echo["t"].to_numpy(),
    )  # fmt: skip
    for col in ("lon", "lat", "count", "weapon", "type"):
        repeated[col] = echo[col].to_numpy()
    repeated["copy_of"] = -2 - np.arange(len(echo))  # resolved to the party rows below
    party = party.assign(_echo=-1)
    party.loc[echo.index, "_echo"] = -2 - np.arange(len(echo))
    return pd.concat([party, press, repeated], ignore_index=True)
