"""Codes as words: every code of every vocabulary has its words, in one module."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from geo import labels
from geo.labels import column_label, distance_band, label, label_frame, raw_codes, reason_text
from geo.maps import style
from geo.patterns.evidence import CLUSTER_CODE, SURGE_CODE
from geo.rules.spec import EFFECTS, NOTIFIED_ACTIVITIES, RULE_SPECS, SEVERITIES, WIDTH_APPLIES
from geo.scenario import ZONE_KINDS
from geo.schema import INCIDENT_TYPES, MEANS, SOURCE_TYPES, TIME_PRECISIONS, WEAPON_CLASSES
from geo.score import ScoreParams


@pytest.mark.parametrize(
    ("codes", "vocabulary"),
    [
        (INCIDENT_TYPES, labels.TYPE_LABELS),
        (WEAPON_CLASSES, labels.WEAPON_LABELS),
        (WEAPON_CLASSES, labels.WEAPON_PHRASES),
        (MEANS, labels.MEANS_LABELS),
        (SOURCE_TYPES, labels.SOURCE_TYPE_LABELS),
        (TIME_PRECISIONS, labels.TIME_PRECISION_LABELS),
        (ZONE_KINDS, labels.ZONE_LABELS),
        (SEVERITIES, labels.SEVERITY_LABELS),
        (EFFECTS, labels.EFFECT_LABELS),
        (WIDTH_APPLIES, labels.WIDTH_APPLIES_LABELS),
        (NOTIFIED_ACTIVITIES, labels.NOTIFIED_ACTIVITY_LABELS),
        (tuple(style.FLAG_COLOURS), labels.FLAG_LABELS),
        (tuple(style.SIDE_COLOURS), labels.SIDE_LABELS),
        (tuple(style.HOTSPOT_COLOURS), labels.HOTSPOT_LABELS),
        (tuple(style.COLOUR_SCHEMES), labels.COLOUR_SCHEME_LABELS),
        (tuple(f.name for f in dataclasses.fields(ScoreParams)), labels.SCORE_SETTING_LABELS),
    ],
)
def test_every_code_of_a_vocabulary_has_its_words(codes, vocabulary):
    assert set(codes) == set(vocabulary)
    for words in vocabulary.values():
        assert "_" not in words and words.strip() == words and words


def test_every_reason_code_has_its_words():
    codes = {*RULE_SPECS, CLUSTER_CODE, SURGE_CODE, "CONFIDENCE"}
    codes |= {f"SIDE_{basis.upper()}" for basis in ("origin", "position", "landing")}
    assert codes == set(labels.REASON_LABELS)
    assert reason_text("FLIGHT_OVER_SECURITY_ZONE", 0.6) == "Flight over the security zone (0.6)"


def test_label_by_column_and_without():
    assert label("outgoing_fire", "type") == "Outgoing fire"
    assert label("artillery_ge100mm") == "Artillery (100 mm or more)"
    assert label("uav", "means") == label("uav", "weapon") == "Drone (UAV)"
    # Two vocabularies word "none" differently: without a column it is only capitalised.
    assert label("none", "origin_method") == "No origin" and label("none") == "None"
    assert label("UA", "attributed_side") == "UA" and label("UA", "side") == "Ukrainian-held"
    # A value of no vocabulary (a source's name) is shown as it is.
    assert label("MEDIA-REGIONAL", "source") == "MEDIA-REGIONAL"
    assert label(None) == label(float("nan")) == ""


def test_raw_codes_are_those_that_are_no_words():
    codes = raw_codes()
    assert {"outgoing_fire", "artillery_ge100mm", "FLIGHT_OVER_SECURITY_ZONE", "mlrs", "uav"} <= codes
    assert {"impact", "mortar", "likely", "UA"}.isdisjoint(codes)


def test_label_frame_keeps_the_codes_in_the_data_and_shows_words():
    frame = pd.DataFrame(
        {"type": ["outgoing_fire", None], "weapon": ["mlrs", "tank"], "source_type": ["media", "ngo"]},
        index=[7, 3],
    )
    shown = label_frame(frame)
    assert list(shown.columns) == ["Type", "Weapon", "Source type"]
    assert shown.index.tolist() == [7, 3]
    assert shown["Type"].tolist()[0] == "Outgoing fire" and pd.isna(shown["Type"].tolist()[1])
    assert shown["Weapon"].tolist() == ["Multiple rocket launcher (MLRS)", "Tank"]
    assert shown["Source type"].tolist() == ["Media", "NGO"]
    assert frame["type"].tolist()[0] == "outgoing_fire"  # the frame given is not changed
    assert label_frame(pd.DataFrame({"kind": ["security_zone"]}), columns={"kind": "zone_kind"})[
        "Kind"
    ].tolist() == ["Security zone"]
    assert column_label("dist_to_line_km") == "Distance to line (km)" and column_label("hour_of_day") == (
        "Hour of day"
    )
    assert column_label("llr") == "Log-likelihood ratio" and column_label("share_area") == "Share of area"


def test_a_distance_band_reads_as_words_and_the_last_is_open():
    assert distance_band(2, 5) == "2-5 km"
    assert distance_band(0.5, 1) == "0.5-1 km"
    assert distance_band(50, float("inf")) == "50 km or more"
