"""The palette: one colour per category, distinct within each scheme, sides consistent."""

from __future__ import annotations

import re

import pytest

from geo.maps import style
from geo.schema import FIRE_TYPES, INCIDENT_TYPES, SOURCE_TYPES, WEAPON_CLASSES


@pytest.mark.parametrize(
    ("colours", "categories"),
    [
        (style.TYPE_COLOURS, INCIDENT_TYPES),
        (style.WEAPON_COLOURS, tuple(WEAPON_CLASSES)),
        (style.SOURCE_TYPE_COLOURS, SOURCE_TYPES),
    ],
)
def test_every_category_has_its_own_valid_colour(colours, categories):
    assert set(colours) == set(categories)
    assert len(set(colours.values())) == len(colours)
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colours.values())


def test_fire_types_are_filled_and_the_rest_hollow():
    hollow = {t for t in INCIDENT_TYPES if style.is_hollow("type", t)}
    assert hollow == set(INCIDENT_TYPES) - FIRE_TYPES
    assert not style.is_hollow("weapon", "mine")


def test_sides_keep_their_colours_in_every_scheme():
    assert style.COLOUR_SCHEMES["side"][1] is style.SIDE_COLOURS
    assert style.SIDE_COLOURS["UA"] != style.SIDE_COLOURS["RU"]


def test_label_reads_as_words():
    assert style.label("undetermined_explosion") == "Undetermined explosion"
