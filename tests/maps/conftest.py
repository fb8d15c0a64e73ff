"""Fixtures for the map tests: a tiny hand-built incident frame and the committed demo scenario."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.scenario import load_scenario
from geo.settings import Settings

# lon and lat differ everywhere so that a swapped pair lands far outside the theatre.
POINTS = [(37.80, 48.60), (38.10, 48.90), (36.20, 47.60)]


@pytest.fixture(scope="session")
def scenario():
    """The demo scenario shipped in data/scenario (line versions v1 from January, v2 from 15 October)."""
    return load_scenario()


@pytest.fixture
def settings() -> Settings:
    """Settings with no tile server: the map draws the shipped countries layer."""
    return Settings()


@pytest.fixture
def incidents() -> gpd.GeoDataFrame:
    """Three normalised reports, one with hostile text in its description and source."""
    lon, lat = zip(*POINTS, strict=True)
    return gpd.GeoDataFrame(
        {
            "id": ["a-1", "a-2", "b-1"],
            "source": ["CVM-OP-06", "party & co <b>", "CVM-OP-05"],
            "occurred_at": pd.to_datetime(
                ["2026-10-02T10:00:00Z", "2026-10-20T23:30:00Z", "2026-10-21T05:15:00Z"], utc=True
            ),
            "type": ["impact", "weapon_sighting", "outgoing_fire"],
            "count": pd.array([3, 1, 2], dtype="Int64"),
            "weapon": ["mortar", "tank", "unknown"],
            "means": ["heard", "seen", "camera"],
            "source_type": ["observation_post", "party", "camera"],
            "reliability": ["A", "D", "B"],
            "credibility": pd.array([2, 4, 3], dtype="Int64"),
            "location_precision_m": [2500.0, float("nan"), 500.0],
            "description": ["3 rounds heard", "<script>alert('x')</script> Tom & Jerry", None],
            "uid": ["CVM-OP-06:a-1", "party & co <b>:a-2", "CVM-OP-05:b-1"],
        },
        geometry=shapely.points(lon, lat),
        crs=4326,
    )
