"""Offline assets: every script and stylesheet the maps ask for is vendored in static/ and served locally."""

from __future__ import annotations

import json
import re

import folium
import pytest
from folium import plugins

from geo.maps.assets import (
    LOCAL_ASSETS,
    STATIC_DIR,
    UnvendoredAssetError,
    localise_assets,
    missing_files,
    remote_urls,
)


def test_every_mapped_asset_is_vendored():
    assert missing_files() == []


def test_manifest_lists_every_vendored_file_with_version_and_licence():
    manifest = json.loads((STATIC_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    folders = {entry["folder"] for entry in manifest}
    for entry in manifest:
        assert entry["version"] and entry["licence"] and entry["npm"].endswith("@" + entry["version"])
        for path in entry["files"]:
            assert (STATIC_DIR / path).exists(), path
    assert {p.split("/")[0] for p in LOCAL_ASSETS.values() if p} <= folders


def test_stylesheets_reference_only_vendored_files():
    """Images and fonts a vendored stylesheet points at (url(...)) exist beside it."""
    for css in STATIC_DIR.rglob("*.css"):
        for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            if ref.startswith(("data:", "#")):
                continue
            assert not ref.startswith(("http:", "https:", "//")), (css, ref)
            assert (css.parent / ref.split("?")[0].split("#")[0]).is_file(), (css, ref)


def test_all_plugins_we_use_render_without_remote_urls():
    m = folium.Map(tiles=None)
    for plugin in (
        plugins.MarkerCluster(),
        plugins.FastMarkerCluster([[48.6, 37.8]]),
        plugins.Fullscreen(),
        plugins.MeasureControl(),
        plugins.MousePosition(),
        plugins.Draw(),
        plugins.HeatMap([[48.6, 37.8]]),
        folium.Marker([48.6, 37.8], icon=folium.Icon(prefix="fa", icon="binoculars")),
    ):
        plugin.add_to(m)
    assert remote_urls(m.get_root().render()) != []
    html = localise_assets(m).get_root().render()
    assert remote_urls(html, allowed=("https://github.com/ljagis/leaflet-measure/issues/",)) == []
    # Draw and the heatmap plugin come with Leaflet in the bundle: one script, not three in a row.
    assert html.count("/app/static/map-bundle.js") == 1 and "leaflet.draw.js" not in html
    assert "draw/leaflet.draw.css" in html  # its stylesheet is its own


def test_base_url_is_configurable():
    html = localise_assets(folium.Map(tiles=None), base_url="file:///srv/cm/static/").get_root().render()
    assert 'src="file:///srv/cm/static/map-bundle.js"' in html


def test_an_unvendored_asset_is_a_loud_error():
    m = folium.Map(tiles=None)
    m.default_js = [*m.default_js, ("d3", "https://assets.example.invalid/d3.v4.min.js")]
    with pytest.raises(UnvendoredAssetError, match=r"assets\.example\.invalid"):
        localise_assets(m)


def test_the_map_bundle_is_the_vendored_scripts_it_names():
    from geo.maps.assets import MAP_BUNDLE, STATIC_DIR, map_bundle_text

    # Rebuilt from static/ after a change of a vendored file (see geo.maps.assets.MAP_BUNDLE).
    assert (STATIC_DIR / MAP_BUNDLE).read_text(encoding="utf-8") == map_bundle_text(), (
        'static/map-bundle.js is stale: python -c "from geo.maps.assets import write_map_bundle; '
        'write_map_bundle()"'
    )


def test_a_map_loads_leaflet_and_its_plugins_as_one_file(incidents, scenario, settings):
    from geo.maps import incident_map

    html = incident_map(incidents, scenario, settings=settings).get_root().render()
    assert html.count("/app/static/map-bundle.js") == 1
    for bundled in (
        "leaflet/leaflet.js",
        "fullscreen/Control.FullScreen.js",
        "measure/leaflet-measure.min.js",
    ):
        assert f"/app/static/{bundled}" not in html
    assert "/app/static/leaflet/leaflet.css" in html  # stylesheets stay separate
