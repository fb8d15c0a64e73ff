"""Corroboration merges reports of one happening, never chains along a busy sector, counts a source once."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.corroborate import (
    CorroborationParams,
    corroborate,
    firing_lean,
    group_reports,
    independence,
    report_probability,
    sound_only,
)
from geo.score import ScoreParams, side_evidence

T0 = pd.Timestamp("2026-10-05T04:00Z")


def _reports(rows: list[dict]) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows)
    df["uid"] = df["source"] + "/" + df["id"]
    for col, default in (
        ("time_precision", "minute"),
        ("reliability", "B"),
        ("credibility", 2),
        ("weapon", "unknown"),
    ):
        if col not in df:
            df[col] = default
    df["location_precision_m"] = df.get("location_precision_m", np.nan)
    df["occurred_at"] = T0 + pd.to_timedelta(df.pop("minute"), unit="min")
    geometry = gpd.points_from_xy(df.pop("lon"), df.pop("lat"))
    return gpd.GeoDataFrame(df, geometry=geometry, crs=4326)


def _row(source, rid, minute, lon, lat, type_="impact", **kw):
    return {"source": source, "id": rid, "minute": minute, "lon": lon, "lat": lat, "type": type_} | kw


def test_reports_of_one_happening_become_one_event():
    reports = _reports(
        [
            _row("OP-1", "1", 0, 37.600, 48.100, reliability="A", credibility=2, weapon="mortar"),
            _row("OP-2", "9", 4, 37.606, 48.103, "undetermined_explosion"),
            _row("media", "x", 2, 37.603, 48.099, reliability="C", credibility=3),
        ]
    )
    event_id, events = group_reports(reports)
    assert event_id.nunique() == 1
    (ev,) = events.itertuples()
    assert ev.n_reports == 3 and ev.n_sources == 3
    assert ev.type == "impact"  # specific type wins over 'undetermined'
    assert ev.weapon == "mortar"
    assert sorted(ev.report_uids) == sorted(reports["uid"])
    # The best location lies among the reports, metres from each.
    assert ev.geometry.distance(reports.union_all().centroid) < 0.01


def test_far_apart_in_space_or_time_or_family_stay_apart():
    reports = _reports(
        [
            _row("OP-1", "1", 0, 37.60, 48.10),
            _row("OP-2", "2", 0, 37.70, 48.10),  # 7 km away
            _row("OP-3", "3", 180, 37.60, 48.10),  # 3 hours later
            _row("OP-4", "4", 0, 37.60, 48.10, "weapon_sighting"),  # another family
        ]
    )
    event_id, events = group_reports(reports)
    assert event_id.nunique() == 4
    assert (events["n_reports"] == 1).all()


def test_a_busy_sector_does_not_chain_into_one_event():
    # Forty reports 10 minutes and 800 m apart along a road. Reports two steps apart still match
    # (1.6 km, 20 min); three steps apart do not (2.4 km > 1.5 km + 2 x 250 m), so with every pair
    # inside an event required to match, no event can hold more than three reports.
    rows = [_row(f"OP-{i % 4}", str(i), 10 * i, 37.5 + 0.0108 * i, 48.0) for i in range(40)]
    event_id, events = group_reports(_reports(rows))
    assert events["n_reports"].max() <= 3
    assert events["n_reports"].sum() == 40
    assert event_id.nunique() >= 14


def test_repeats_by_one_source_count_once():
    one = _reports([_row("OP-1", "1", 0, 37.6, 48.1), _row("OP-1", "2", 3, 37.601, 48.1)])
    two = _reports([_row("OP-1", "1", 0, 37.6, 48.1), _row("OP-2", "2", 3, 37.601, 48.1)])
    _, ev_one = group_reports(one)
    _, ev_two = group_reports(two)
    assert ev_one["n_reports"].item() == 2 and ev_one["n_sources"].item() == 1
    single = report_probability(one["reliability"], one["credibility"])[0]
    # The repeat adds nothing: the confidence is one report's, times the agreement between the two.
    assert ev_one["confidence"].item() == pytest.approx(single * ev_one["agreement"].item())
    assert ev_two["confidence"].item() > ev_one["confidence"].item()


def test_uncertain_times_and_places_widen_the_match():
    rows = [
        _row("OP-1", "1", 0, 37.60, 48.10),
        _row("media", "m", 300, 37.64, 48.10, time_precision="day", location_precision_m=5000.0),
    ]
    event_id, _ = group_reports(_reports(rows))
    assert event_id.nunique() == 1
    rows[1]["time_precision"] = "minute"
    event_id, _ = group_reports(_reports(rows))
    assert event_id.nunique() == 2


def test_admiralty_probabilities_order_sources():
    p = report_probability(pd.Series(["A", "B", "F", "E"]), pd.Series([1, 2, 6, 5]))
    assert list(p) == sorted(p, reverse=True)
    assert p[2] == pytest.approx(0.5)


def test_event_ids_are_stable_and_empty_input_works():
    reports = _reports([_row("OP-1", "1", 0, 37.6, 48.1), _row("OP-2", "2", 1, 37.6, 48.1)])
    a, _ = group_reports(reports)
    b, _ = group_reports(reports.iloc[::-1])
    assert a.sort_index().tolist() == b.sort_index().tolist()
    empty_ids, empty_events = group_reports(reports.iloc[:0])
    assert empty_ids.empty and empty_events.empty


def test_an_event_id_is_the_hash_of_its_sorted_member_uids_whatever_their_script():
    # Uids in several scripts: the id is defined on the text (sorted by code point, UTF-8 hashed),
    # whichever library sorts and joins them.
    reports = _reports(
        [
            _row("ОП-1", "звіт-7", 0, 37.6, 48.1),
            _row("OP-2", "2", 1, 37.6, 48.1),
            _row("ÉCHO", "é", 2, 37.6, 48.1),
            _row("OP-3", "9", 0, 38.4, 47.2),
        ]
    )
    found = corroborate(reports)
    for event_id, uids in zip(found.events["event_id"], found.events["report_uids"], strict=True):
        digest = hashlib.sha1("\x1f".join(sorted(uids)).encode()).hexdigest()[:12]
        assert event_id == f"ev-{digest}"
        assert sorted(found.event_id[reports["uid"].isin(uids)]) == [event_id] * len(uids)
    assert sorted(len(u) for u in found.events["report_uids"]) == [1, 3]
    # The families the score counts by are corroboration's own.
    assert found.families.tolist() == independence(reports)[0].tolist()


def test_candidate_pairs_hold_every_match_and_one_vague_report_stays_cheap():
    from geo.corroborate import CorroborationParams, _Arrays, _candidate_pairs, _pair_distance

    rng = np.random.default_rng(3)
    n = 1500
    xy = rng.uniform(0, 200_000, (n, 2))
    prec = rng.choice([50.0, 250.0, 1000.0], n)
    t = rng.uniform(0, 30 * 86400e9, n)
    tol = rng.choice([0.0, 1800e9, 43200e9], n)
    prec[:5], tol[:5] = 50_000.0, 15 * 86400e9  # five vague reports
    params = CorroborationParams()
    a = _Arrays(
        xy=xy,
        prec=prec,
        t=t,
        tol=tol,
        family=np.full(n, "fire"),
        role=np.full(n, None, dtype=object),
        lean=np.full(n, None, dtype=object),
        source=np.arange(n),
        observer_xy=np.full((n, 2), np.nan),
        bearing=np.full(n, np.nan),
        error=np.zeros(n),
    )
    ii, jj = np.triu_indices(n, k=1)
    brute = _pair_distance(ii, jj, a, params) <= 1
    found = {tuple(p) for p in _candidate_pairs(xy, prec, t, tol, params)}
    truth = set(zip(ii[brute].tolist(), jj[brute].tolist(), strict=True))
    assert truth <= found
    assert len(found) < 20 * max(len(truth), 1)


def test_components_too_large_for_linkage_are_split_so_every_pair_still_matches(monkeypatch):
    """The greedy split of a large component keeps complete linkage's guarantee, on the demo month."""
    import geo.corroborate as corroborate_module
    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch

    frames = [
        read_batch(p.read_bytes(), filename=p.name).accepted for p in sorted(DEMO_DIR.glob("*.geojson"))
    ]
    reports = pd.concat(frames, ignore_index=True)
    # The guarantee holds for the events of one end of a shot, before launches and landings are joined.
    params = corroborate_module.CorroborationParams(link_shots=False)
    _, exact = corroborate_module.group_reports(reports, params=params)
    monkeypatch.setattr(corroborate_module, "MAX_LINKAGE", 3)
    greedy_ids, greedy = corroborate_module.group_reports(reports, params=params)
    assert greedy_ids.index.equals(reports.index)
    crs = corroborate_module.theatre_crs(*corroborate_module.centre_of(reports))
    a = corroborate_module._arrays(reports, crs, params)
    for members in greedy_ids.groupby(greedy_ids).indices.values():
        if len(members) > 1:
            ii, jj = np.triu_indices(len(members), k=1)
            d = corroborate_module._pair_distance(members[ii], members[jj], a, params)
            assert (d <= 1.0).all()
    # Greedy merging finds about as many events as complete linkage on the same reports.
    assert abs(len(greedy) - len(exact)) <= 0.1 * len(exact)


def test_an_exchange_of_fire_from_one_post_is_two_linked_events():
    # OP-1 hears its neighbour's outgoing mortar fire to the W (origin on UA ground, p 0.95),
    # then ten minutes later sees return fire land 3 km inside UA ground, which OP-2 sees too.
    post = {"observer_lon": 37.600, "observer_lat": 48.100}
    rows = [
        _row("OP-1", "1", 0, 37.600, 48.100, "outgoing_fire", bearing_deg=270.0, **post),
        _row("OP-1", "2", 10, 37.602, 48.101, "impact", distance_min_m=150.0, distance_max_m=250.0, **post),
        _row("OP-2", "7", 11, 37.603, 48.101, "impact"),
    ]
    reports = _reports(rows).assign(
        origin_p_UA=[0.95, np.nan, np.nan],
        origin_p_RU=[0.05, np.nan, np.nan],
        side=["UA", "UA", "UA"],
        dist_to_line_m=[1_000.0, 3_000.0, 3_000.0],
    )
    assert list(firing_lean(reports)) == ["UA", "RU", "RU"]
    event_id, events = group_reports(reports)
    assert event_id.nunique() == 2
    assert event_id.iloc[1] == event_id.iloc[2] != event_id.iloc[0]
    # The post counts in both happenings: once per happening, not once across them.
    by_id = events.set_index("event_id")
    assert by_id.loc[event_id.iloc[0], "sources"] == ["OP-1"]
    assert by_id.loc[event_id.iloc[1], "sources"] == ["OP-1", "OP-2"]
    exchange = by_id["exchange_id"]
    assert exchange.notna().all() and exchange.nunique() == 1
    # Without the leans the launch and the landing still stay apart (one fire's launch and landing
    # are a weapon's range apart; together they are two fires), but no exchange is recorded:
    # nothing says which side fired which.
    plain = reports.drop(columns=["origin_p_UA", "origin_p_RU", "dist_to_line_m"])
    plain_ids, plain_events = group_reports(plain)
    assert plain_ids.nunique() == 2 and plain_ids.iloc[1] == plain_ids.iloc[2]
    assert plain_events["exchange_id"].isna().all()


def test_launches_merge_with_launches_and_landings_with_landings():
    rows = [
        _row("OP-1", "1", 0, 37.600, 48.100, "outgoing_fire"),
        _row("OP-2", "2", 1, 37.601, 48.100, "muzzle_flash"),
        _row("OP-3", "3", 2, 37.601, 48.101, "undetermined_explosion"),
        _row("CAM-1", "4", 2, 37.602, 48.101, "impact"),
    ]
    event_id, _ = group_reports(_reports(rows))
    assert event_id.iloc[0] == event_id.iloc[1] != event_id.iloc[2] == event_id.iloc[3]


def test_one_observer_firing_bearings_far_apart_are_two_happenings():
    post = {"observer_lon": 37.600, "observer_lat": 48.100}
    shots = [
        _row("OP-1", "1", 0, 37.600, 48.100, "burst_or_shots", bearing_deg=90.0, **post),
        _row("OP-1", "2", 3, 37.600, 48.100, "burst_or_shots", bearing_deg=270.0, **post),
    ]
    event_id, events = group_reports(_reports(shots))
    assert event_id.nunique() == 2 and events["exchange_id"].isna().all()
    shots[1]["bearing_deg"] = 145.0  # 55 degrees off: beyond two heard errors, two happenings
    assert group_reports(_reports(shots))[0].nunique() == 2
    shots[1]["bearing_deg"] = 110.0  # the same direction, give or take: one happening
    event_id, _ = group_reports(_reports(shots))
    assert event_id.nunique() == 1


def test_a_sound_only_report_is_not_read_as_a_landing_point():
    post = {"observer_lon": 37.600, "observer_lat": 48.100}
    heard = _reports([_row("OP-1", "1", 0, 37.600, 48.100, "impact", **post)]).assign(
        side="UA", dist_to_line_m=6_000.0
    )
    assert sound_only(heard).tolist() == [True]
    assert firing_lean(heard).tolist() == [None]  # "explosions heard" says nothing of who fired
    evidence = side_evidence(heard, ScoreParams())
    assert evidence["p_UA"].isna().all()
    # Its place is only the observer's, so it may join an impact seen 4 km away at that time.
    seen = _reports(
        [
            _row("OP-1", "1", 0, 37.600, 48.100, "impact", **post),
            _row("CAM-3", "9", 2, 37.654, 48.100, "impact"),
        ]
    )
    assert group_reports(seen)[0].nunique() == 1


def test_a_media_report_citing_a_false_claim_adds_no_independence():
    claim = _row("RU-MOD", "1", 0, 37.600, 48.100, reliability="D", credibility=4, source_family="RU")
    channel = _row("RU-TG", "5", 5, 37.601, 48.100, reliability="C", credibility=3, source_family="RU")
    media = _row(
        "NEWS",
        "m",
        30,
        37.602,
        48.100,
        reliability="B",
        credibility=2,
        cites="RU-MOD/1",
        time_precision="hour",
    )
    alone = group_reports(_reports([claim]))[1]
    echoed = group_reports(_reports([claim, channel, media]))[1]
    assert len(echoed) == 1 and echoed["n_sources"].item() == 3
    assert echoed["n_families"].item() == 1
    family, p = independence(_reports([claim, channel, media]))
    assert list(family) == ["RU", "RU", "RU"]
    assert p[2] == pytest.approx(p[0])  # the citing report's grade cannot exceed the claim's
    # One family: its best report stands for it, the echoes add nothing but the agreement term.
    best = max(p[0], p[1])
    assert echoed["confidence"].item() == pytest.approx(best * echoed["agreement"].item())
    assert echoed["confidence"].item() < 0.5 and alone["n_families"].item() == 1
    # A citation of a report not in the store counts as unknown, graded at most F6.
    _, p_unknown = independence(_reports([media | {"cites": "RU-MOD/404"}]))
    assert p_unknown[0] == pytest.approx(0.5)


def _shot_rows(extra_launch: bool = False, extra_landing_minute: float | None = None) -> gpd.GeoDataFrame:
    """A post hears a UA mortar fire to the E, a camera sees rounds land 3.7 km away a minute later."""
    post = {"observer_lon": 37.550, "observer_lat": 48.100}
    rows = [
        _row(
            "OP-1",
            "1",
            0,
            37.560,
            48.100,
            "outgoing_fire",
            weapon="mortar",
            means="heard",
            bearing_deg=90.0,
            distance_min_m=700.0,
            distance_max_m=800.0,
            **post,
        ),
        _row("CAM-2", "4", 1, 37.610, 48.100, "impact", weapon="mortar", location_precision_m=100.0),
        _row("OP-3", "6", 1, 37.611, 48.101, "impact", location_precision_m=100.0),
    ]
    sides = ["UA", "RU", "RU"]
    if extra_launch:  # another mortar firing at the same time 3.5 km to the other side of the target
        rows.append(
            _row("OP-9", "2", 0, 37.657, 48.100, "outgoing_fire", weapon="mortar", location_precision_m=100.0)
        )
        sides.append("UA")
    if extra_landing_minute is not None:  # rounds landing on the other side of the launch
        rows.append(_row("CAM-5", "8", extra_landing_minute, 37.510, 48.100, "impact", weapon="mortar",
                         location_precision_m=100.0))  # fmt: skip
        sides.append("RU")
    return _reports(rows).assign(side=sides)


def test_the_launch_and_the_landing_of_one_shot_are_one_event_placed_where_it_landed():
    reports = _shot_rows()
    event_id, events = group_reports(reports)
    assert event_id.nunique() == 1
    event = events.iloc[0]
    assert event["n_reports"] == 3 and event["n_sources"] == 3
    # The event stands where the rounds landed, not halfway back to the weapon.
    assert event.geometry.x == pytest.approx(37.6105, abs=0.001)
    # Without joining ends, the launch is an event of its own.
    apart = group_reports(reports, params=CorroborationParams(link_shots=False))[0]
    assert apart.nunique() == 2 and apart.iloc[1] == apart.iloc[2]


def test_a_shot_is_not_joined_when_its_ends_are_ambiguous_far_or_late():
    # Two launches and two landings at once, each able to pair with either: nothing is guessed.
    both = _shot_rows(extra_launch=True, extra_landing_minute=1)
    assert group_reports(both)[0].nunique() == 4
    # A landing 20 minutes after the launch is another fire.
    late = _shot_rows()
    late.loc[[1, 2], "occurred_at"] += pd.Timedelta(minutes=20)
    assert group_reports(late)[0].nunique() == 2
    # A mortar cannot reach 30 km.
    far = _shot_rows()
    far.geometry = gpd.points_from_xy([37.560, 38.000, 38.001], [48.100, 48.100, 48.101], crs=4326)
    assert group_reports(far)[0].nunique() == 2
    # A landing 300 m from the launch is return fire or another fire, never the same shot.
    close = _shot_rows()
    close.geometry = gpd.points_from_xy([37.560, 37.564, 37.565], [48.100, 48.100, 48.101], crs=4326)
    assert group_reports(close)[0].nunique() == 2
    # A launch leaning to one side and a landing leaning to the same side's ground fired by it: apart.
    contradict = _shot_rows().assign(
        origin_p_UA=[0.95, np.nan, np.nan], dist_to_line_m=[900.0, 3000.0, 3000.0]
    )
    contradict["side"] = ["UA", "UA", "UA"]
    assert group_reports(contradict)[0].nunique() == 2


def test_one_launch_with_two_candidate_landings_is_not_joined_but_one_landing_takes_its_launches():
    # A launch whose rounds may have landed at either of two places: two targets, or two guns'
    # rounds. Joining through the launch would chain the two landings into one event.
    two_targets = _shot_rows(extra_landing_minute=1)
    assert group_reports(two_targets)[0].nunique() == 3
    # One landing and two launch events that can each have fired it (posts placing one gun a
    # little differently, or a UAV fixing the weapon): one shot.
    one_target = _shot_rows(extra_launch=True)
    event_id, events = group_reports(one_target)
    assert event_id.nunique() == 1 and events.iloc[0]["n_reports"] == 4


def test_launches_naming_two_sides_are_not_joined_through_one_landing():
    # The landing names no side; one launch's origin lies on RU ground, the other gun was seen on
    # UA ground: two guns (an exchange's two ends), which the pair test keeps apart. Joined through
    # the landing, the event would name one side for both guns' reports.
    two_sides = _shot_rows(extra_launch=True).assign(origin_p_RU=[0.95, np.nan, np.nan, np.nan])
    event_id, _ = group_reports(two_sides)
    assert event_id.nunique() == 3
    assert event_id.iloc[1] == event_id.iloc[2] and event_id.iloc[0] != event_id.iloc[3]
    # The same launches naming one side, or none, are one shot with its landing.
    one_side = _shot_rows(extra_launch=True).assign(origin_p_UA=[0.95, np.nan, np.nan, np.nan])
    assert group_reports(one_side)[0].nunique() == 1


def test_heard_landings_match_within_their_judged_distance_but_heard_launches_do_not():
    # Two posts 8 km apart hear one explosion "about 5 km" away; a judged distance is off by about
    # half, so their points lie 2.5 km apart. Where a round landed may be matched that loosely (the
    # two landings of an exchange lie a weapon's range apart); where a gun stood may not (the two
    # guns of an exchange may stand that close).
    def heard(rtype):
        return _reports([
            _row("OP-1", "1", 0, 37.600, 48.100, rtype, means="heard", observer_lon=37.560, observer_lat=48.070,
                 bearing_deg=45.0, distance_min_m=5000.0, distance_max_m=5000.0),
            _row("OP-2", "2", 2, 37.633, 48.100, rtype, means="heard", observer_lon=37.680, observer_lat=48.070,
                 bearing_deg=315.0, distance_min_m=5000.0, distance_max_m=5000.0),
        ])  # fmt: skip

    assert group_reports(heard("undetermined_explosion"))[0].nunique() == 1
    assert group_reports(heard("outgoing_fire"))[0].nunique() == 2
    tight = CorroborationParams(landing_error_share=0.0)
    assert group_reports(heard("undetermined_explosion"), params=tight)[0].nunique() == 2


def test_launches_triangulated_together_stand_at_their_fix():
    # Two posts' judged points of one gun lie 6 km apart; their bearings fix it between them.
    reports = _reports([
        _row("OP-1", "1", 0, 37.560, 48.100, "outgoing_fire", means="heard", observer_lon=37.50, observer_lat=48.10,
             bearing_deg=90.0, origin_method="triangulated", origin_lon=37.600, origin_lat=48.100),
        _row("OP-2", "2", 1, 37.640, 48.100, "outgoing_fire", means="heard", observer_lon=37.60, observer_lat=48.16,
             bearing_deg=180.0, origin_method="triangulated", origin_lon=37.600, origin_lat=48.100),
    ])  # fmt: skip
    assert group_reports(reports)[0].nunique() == 1
    alone = reports.assign(origin_method="bearing")
    assert group_reports(alone)[0].nunique() == 2


def test_each_party_claiming_the_other_fired_on_it_are_two_happenings():
    # Mutual accusations for one hour at one place: each party says the other fired. Whatever the
    # truth, the two claims cannot describe one happening with one firing side.
    claim = {"means": "party_report", "source_type": "party", "location_precision_m": 1000.0,
             "time_precision": "hour", "reliability": "D", "credibility": 3}  # fmt: skip
    reports = _reports([
        _row("UA-MOD", "1", 0, 37.600, 48.100, source_family="UA", **claim),
        _row("RU-MOD", "1", 10, 37.605, 48.101, source_family="RU", **claim),
        _row("UA-GS", "7", 20, 37.602, 48.099, source_family="UA", **claim),
    ])  # fmt: skip
    event_id, events = group_reports(reports)
    assert event_id.iloc[0] == event_id.iloc[2] != event_id.iloc[1]
    assert events["exchange_id"].notna().all()


def _split_by_scipy(component: np.ndarray, a, params) -> tuple[np.ndarray, np.ndarray]:
    """Labels and spreads as complete linkage gives them, scipy on every component (the reference)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    from geo.corroborate import _pair_distance

    n = len(component)
    label, spread = component.astype(np.int64) * n, np.zeros(n)
    for comp in np.unique(component):
        members = np.flatnonzero(component == comp)
        if len(members) < 2:
            continue
        ii, jj = np.triu_indices(len(members), k=1)
        dm = np.minimum(_pair_distance(members[ii], members[jj], a, params), 1e6)
        sub = fcluster(linkage(dm, method="complete"), t=1.0, criterion="distance")
        label[members] += sub
        full = squareform(dm)
        for s in np.unique(sub):
            spread[members[sub == s]] = full[np.ix_(sub == s, sub == s)].max()
    return label, spread


def test_components_split_without_linkage_get_what_linkage_gives():
    """The splits that skip scipy (all pairs matching, three reports) and the flat clusters read from
    scipy's tree number every event as ``fcluster`` does, ties and distances of exactly 1 included."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from geo.corroborate import CorroborationParams, _Arrays, _pair_distance, _split_components

    rng = np.random.default_rng(7)
    # Small groups of reports on a grid of 1 km steps, groups 100 km apart: with a radius of 2 km and
    # no other uncertainty, pair distances are 0, 0.5, 0.71, 1 or more, often tied; a few leans make
    # reports at one place fail to match.
    sizes = rng.integers(1, 9, 3000)
    group = np.repeat(np.arange(len(sizes)), sizes)
    n = len(group)
    xy = rng.integers(0, 3, (n, 2)) * 1000.0 + group[:, None] * 100_000.0
    params = CorroborationParams(radius_m=2000.0)
    a = _Arrays(
        xy=xy,
        prec=np.zeros(n),
        t=np.zeros(n),
        tol=np.zeros(n),
        family=np.full(n, "fire"),
        role=np.full(n, None, dtype=object),
        lean=rng.choice(np.array([None, None, None, None, "UA", "RU"], dtype=object), n),
        source=np.arange(n),
        observer_xy=np.full((n, 2), np.nan),
        bearing=np.full(n, np.nan),
        error=np.zeros(n),
    )
    starts = np.r_[0, np.cumsum(sizes)]
    ii, jj = np.concatenate(
        [
            np.array(np.triu_indices(k, k=1)) + s
            for k, s in zip(sizes.tolist(), starts[:-1].tolist(), strict=True)
        ],
        axis=1,
    )
    d = _pair_distance(ii, jj, a, params)
    pairs, d = np.column_stack([ii, jj])[d <= 1], d[d <= 1]
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, component = connected_components(graph, directed=False)

    label, spread = _split_components(component, pairs, d, a, params)
    expected_label, expected_spread = _split_by_scipy(component, a, params)
    np.testing.assert_array_equal(label, expected_label)
    np.testing.assert_array_equal(spread, expected_spread)
    # Every way through is taken: one pair short of all matching among three (with ties), and
    # split by linkage, with events numbered apart.
    comp_size = np.bincount(component)
    pair_count = np.bincount(component[pairs[:, 0]], minlength=len(comp_size))
    assert ((comp_size == 3) & (pair_count == 2)).sum() > 50
    assert ((comp_size > 3) & (pair_count < comp_size * (comp_size - 1) // 2)).sum() > 50
    assert (label - component * n).max() >= 3


def test_flat_clusters_of_a_complete_linkage_are_fclusters():
    from scipy.cluster.hierarchy import fcluster, linkage

    from geo.corroborate import _flat_clusters

    rng = np.random.default_rng(11)
    for _ in range(2000):
        n = int(rng.integers(2, 30))
        # Many ties, distances of exactly 1, and the 1e6 that stands for "never".
        d = rng.choice([0.0, 0.5, 0.75, 1.0, 1.0, 1.25, 2.0, 1e6], n * (n - 1) // 2)
        z = linkage(d, method="complete")
        np.testing.assert_array_equal(_flat_clusters(z), fcluster(z, t=1.0, criterion="distance"))
