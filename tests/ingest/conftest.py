"""Hand-built incident features and batches for the ingest tests."""

from __future__ import annotations

import json

import numpy as np
import pytest

from geo.settings import Settings


@pytest.fixture
def settings() -> Settings:
    """Default settings, independent of any ceasefire.toml or CM_ variables on this machine."""
    return Settings()


@pytest.fixture
def feature():
    """Build one valid report Feature; keyword arguments override properties (None removes one)."""

    def make(lonlat=(37.62, 48.14), **props):
        base = {
            "id": "r1",
            "source": "CVM-OP-07",
            "occurred_at": "2026-10-05T04:10:00+03:00",
            "type": "impact",
        }
        merged = {k: v for k, v in (base | props).items() if v is not None}
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(lonlat)},
            "properties": merged,
        }

    return make


@pytest.fixture
def batch():
    """Encode features as a FeatureCollection; keyword arguments become top-level members."""

    def make(*features, **top):
        return json.dumps({"type": "FeatureCollection", "features": list(features)} | top).encode()

    return make


@pytest.fixture(scope="session")
def make_reports():
    """Return a generator of ``n`` valid reports along the front as FeatureCollection bytes."""

    def make(n: int, *, seed: int = 3) -> bytes:
        rng = np.random.default_rng(seed)
        lon = rng.uniform(35.0, 38.5, n).round(6).tolist()
        lat = rng.uniform(46.8, 49.5, n).round(6).tolist()
        minute = rng.integers(0, 30 * 1440, n).tolist()
        kinds = ["impact", "outgoing_fire", "burst_or_shots", "undetermined_explosion"]
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon[i], lat[i]]},
                "properties": {
                    "id": f"r{i:07d}",
                    "source": f"OP-{i % 40:02d}",
                    "occurred_at": f"2026-10-{1 + minute[i] // 1440:02d}T{minute[i] % 1440 // 60:02d}:{minute[i] % 60:02d}:00Z",
                    "type": kinds[i % 4],
                    "count": 1 + i % 18,
                    "credibility": 1 + i % 6,
                    "bearing_deg": ["SSE", "120-150", 42.5][i % 3],
                    "description": "explosions heard",
                },
            }
            for i in range(n)
        ]
        return json.dumps({"type": "FeatureCollection", "features": features}).encode()

    return make
