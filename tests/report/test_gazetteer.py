"""Place strings from the offline gazetteer: geodesic distance, 16-point compass, "in X", Unicode names."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from geo.errors import InputError
from geo.gazetteer import COMPASS_16, SETTLEMENTS_PATH, Gazetteer, compass_index, load_gazetteer

GEOD = Geod(ellps="WGS84")
# Two settlements 200 km apart, with Ukrainian and Russian names.
TOWNS = pd.DataFrame(
    {
        "geonameid": [1, 2],
        "name": ["Авдіївка", "Горловка"],
        "country": ["UA", "UA"],
        "population": [35_000, 240_000],
        "lon": [37.75, 38.0],
        "lat": [48.14, 49.9],
    }
)


@pytest.fixture(scope="module")
def towns() -> Gazetteer:
    return Gazetteer.from_frame(TOWNS)


def _away(lon: float, lat: float, azimuth: float, metres: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return x, y


def test_compass_points_split_the_circle_in_sixteen():
    azimuths = np.array([0, 11.2, 11.3, 45, 135, 180, 247.5, 348.7, 348.8, 360, -45, 720 + 90])
    got = [COMPASS_16[i] for i in compass_index(azimuths)]
    assert got == ["N", "N", "NNE", "NE", "SE", "S", "WSW", "NNW", "N", "N", "NW", "E"]


@pytest.mark.parametrize(
    ("azimuth", "metres", "expected"),
    [
        (135, 3_000, "3.0 km SE of Авдіївка"),
        (270, 25_000, "25 km W of Авдіївка"),
        (22.5, 7_460, "7.5 km NNE of Авдіївка"),
        (90, 9_970, "10 km E of Авдіївка"),
        (0, 600, "in Авдіївка"),
        (200, 12_499, "12 km SSW of Горловка"),
    ],
)
def test_place_strings_are_geodesic_distance_and_direction_from_the_nearest(towns, azimuth, metres, expected):
    origin = TOWNS.iloc[1] if "Горловка" in expected else TOWNS.iloc[0]
    lon, lat = _away(origin["lon"], origin["lat"], azimuth, metres)
    assert towns.describe([lon], [lat]) == [expected]


def test_the_nearest_settlement_is_chosen_and_missing_points_have_no_place(towns):
    # 80 km north of the first town is 120 km south of the second: the first is nearer.
    lon, lat = _away(37.75, 48.14, 0, 80_000)
    got = towns.describe([lon, np.nan, 38.0], [lat, 48.0, 49.9])
    assert got == ["80 km N of Авдіївка", "", "in Горловка"]


def test_shipped_gazetteer_keeps_unicode_and_finds_each_settlement_at_its_own_point():
    with SETTLEMENTS_PATH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    gazetteer = load_gazetteer()
    assert len(gazetteer.settlements) == len(rows) > 5_000
    non_ascii = [r["name"] for r in rows if not r["name"].isascii()]
    assert non_ascii and set(non_ascii) <= set(gazetteer.settlements["name"])
    big = gazetteer.settlements.nlargest(20, "population")
    assert {"Kharkiv", "Donetsk", "Zaporizhzhya", "Dnipro"} & set(big["name"])
    places = gazetteer.describe(big["lon"].to_numpy(), big["lat"].to_numpy())
    assert places == [f"in {n}" for n in big["name"]]


def test_within_gives_the_most_populous_inside_the_box():
    gazetteer = load_gazetteer()
    box = (37.0, 47.5, 38.5, 48.5)
    got = gazetteer.within(box, limit=5)
    s = gazetteer.settlements
    inside = s[s["lon"].between(box[0], box[2]) & s["lat"].between(box[1], box[3])]
    assert len(got) == 5 and got["population"].min() >= inside["population"].nlargest(5).min()
    assert got["lon"].between(box[0], box[2]).all() and got["lat"].between(box[1], box[3]).all()


def test_a_missing_gazetteer_names_the_file(tmp_path):
    with pytest.raises(InputError, match=r"gazetteer .* is missing") as err:
        load_gazetteer(tmp_path / "nowhere.csv")
    assert "data/gazetteer" in err.value.hint
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lon\nX,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks the columns geonameid, country, population, lat"):
        load_gazetteer(bad)
