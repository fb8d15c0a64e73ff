"""Serve every map script and stylesheet from the app (static/) instead of a CDN: missions run offline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from branca.element import CssLink, Element, JavascriptLink

from geo.settings import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "static"
# Streamlit serves ./static at /app/static/ when [server] enableStaticServing = true.
STATIC_URL = "/app/static"

_FOLIUM = "/gh/python-visualization/folium"

# folium 0.20's asset addresses, by their path (the package, version and file; the host a map names is
# not kept) -> files under static/ (see static/MANIFEST.json). None drops the asset:
# the Bootstrap 3 glyphicon sheet is not published on npm on its own (use Icon(prefix="fa")), and the
# awesome-marker rotation sheet only serves Icon(angle=...), which the app does not use.
LOCAL_ASSETS: dict[str, str | None] = {
    "/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/leaflet.js",
    "/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/leaflet.css",
    "/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
    "/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "/bootstrap/3.0.0/css/bootstrap-glyphicons.css": None,
    "/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": "fontawesome/css/all.min.css",
    "/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": "awesome-markers/leaflet.awesome-markers.js",
    "/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": "awesome-markers/leaflet.awesome-markers.css",
    f"{_FOLIUM}/folium/templates/leaflet.awesome.rotate.min.css": None,
    "/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": "markercluster/leaflet.markercluster.js",
    "/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": "markercluster/MarkerCluster.css",
    "/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": "markercluster/MarkerCluster.Default.css",
    "/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": "fullscreen/Control.FullScreen.js",
    "/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": "fullscreen/Control.FullScreen.css",
    "/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js": "measure/leaflet-measure.min.js",
    "/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css": "measure/leaflet-measure.css",
    "/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.js": "minimap/Control.MiniMap.min.js",
    "/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.css": "minimap/Control.MiniMap.min.css",
    "/gh/ardhi/Leaflet.MousePosition/src/L.Control.MousePosition.min.js": "mouse-position/L.Control.MousePosition.js",
    "/gh/ardhi/Leaflet.MousePosition/src/L.Control.MousePosition.min.css": "mouse-position/L.Control.MousePosition.css",
    "/ajax/libs/leaflet.draw/1.0.2/leaflet.draw.js": "draw/leaflet.draw.js",
    "/ajax/libs/leaflet.draw/1.0.2/leaflet.draw.css": "draw/leaflet.draw.css",
    f"{_FOLIUM}@main/folium/templates/leaflet_heat.min.js": "heat/leaflet-heat.js",
}

# The scripts every map loads, concatenated in this order into static/map-bundle.js: Leaflet and the
# plugins of the Map page. streamlit-folium loads a map's scripts one after another, so six files
# cost six round trips before anything is drawn; one file costs one. Where a map asks for Leaflet
# it gets the bundle; the bundled plugins' own links are dropped. Rebuild it after changing a
# vendored file: python -c "from geo.maps.assets import write_map_bundle; write_map_bundle()".
MAP_BUNDLE = "map-bundle.js"
BUNDLED_SCRIPTS = (
    "leaflet/leaflet.js",
    "fullscreen/Control.FullScreen.js",
    "measure/leaflet-measure.min.js",
    "mouse-position/L.Control.MousePosition.js",
    "minimap/Control.MiniMap.min.js",
    "heat/leaflet-heat.js",
    "draw/leaflet.draw.js",
)

_URL = re.compile(r"""https?://[^\s"'<>)\\]+""")


class UnvendoredAssetError(RuntimeError):
    """A map element asks for a script or stylesheet that static/ does not hold (a developer's error)."""


def local_url(url: str, *, base_url: str = STATIC_URL) -> str | None:
    """Return the local URL serving the asset a CDN ``url`` names; None when the asset is dropped.

    Raises
    ------
    UnvendoredAssetError
        When ``url`` is a remote address that static/ does not vendor.
    """
    if not url.startswith(("http://", "https://", "//")):
        return url
    if _asset_key(url) not in LOCAL_ASSETS:
        msg = (
            f"The map asks for {url}, which static/ does not vendor. Add the npm package to "
            "scripts/vendor-assets.sh, run it, and map the path of the address in geo/maps/assets.py LOCAL_ASSETS."
        )
        raise UnvendoredAssetError(msg)
    path = LOCAL_ASSETS[_asset_key(url)]
    return None if path is None else f"{base_url.rstrip('/')}/{path}"


def _asset_key(url: str) -> str:
    """The key of an asset address in :data:`LOCAL_ASSETS`: its path (package, version, file)."""
    return urlsplit(url).path


def map_bundle_text(static_dir: Path = STATIC_DIR) -> str:
    """The text of static/map-bundle.js: each bundled script, in order, behind a comment naming it."""
    return "".join(
        f"/* {path} */\n{(static_dir / path).read_text(encoding='utf-8')}\n;\n" for path in BUNDLED_SCRIPTS
    )


def write_map_bundle(static_dir: Path = STATIC_DIR) -> Path:
    """Write static/map-bundle.js from the vendored files; return its path."""
    target = static_dir / MAP_BUNDLE
    target.write_text(map_bundle_text(static_dir), encoding="utf-8")
    return target


def _script_url(url: str, *, base_url: str) -> str | None:
    """Where a map loads a script from: the bundle for Leaflet, nothing for a bundled plugin."""
    local = local_url(url, base_url=base_url)
    path = LOCAL_ASSETS.get(_asset_key(url))
    if path == BUNDLED_SCRIPTS[0]:
        return f"{base_url.rstrip('/')}/{MAP_BUNDLE}"
    if path in BUNDLED_SCRIPTS:
        return None
    return local


def walk_elements(element: Element) -> Iterator[Element]:
    """Yield ``element`` and all its descendants, parents first."""
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from walk_elements(child)


def localise_assets(m: Element, *, base_url: str = STATIC_URL) -> Element:
    """Point every ``default_js``/``default_css`` of ``m`` and its descendants at static/; return ``m``.

    streamlit-folium reads the same attributes to load the scripts inside its iframe, so both the
    standalone HTML and the Streamlit component load from the app's origin. Leaflet and the
    bundled plugins load as one file, :data:`MAP_BUNDLE`.

    Parameters
    ----------
    m
        A folium map (or any branca element); changed in place.
    base_url
        Where static/ is served: ``/app/static`` under Streamlit; a ``file://`` URL or a relative
        path for a standalone HTML file.
    """
    for element in walk_elements(m):
        for attr in ("default_js", "default_css"):
            assets = getattr(element, attr, None)
            if not assets:
                continue
            where = _script_url if attr == "default_js" else local_url
            local = [(name, where(url, base_url=base_url)) for name, url in assets]
            # An instance attribute shadows the class list for this element only.
            setattr(element, attr, [(name, url) for name, url in local if url is not None])
    # A map rendered before this call already holds links in its page header: rewrite those too.
    header = m.get_root().header if hasattr(m.get_root(), "header") else None
    for key, child in list(getattr(header, "_children", {}).items()):
        if isinstance(child, JavascriptLink | CssLink):
            where = _script_url if isinstance(child, JavascriptLink) else local_url
            url = where(child.url, base_url=base_url)
            if url is None:
                del header._children[key]
            else:
                child.url = url
    return m


def remote_urls(html: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """Return the http(s) URLs in ``html`` that do not start with one of ``allowed`` (e.g. the tile host)."""
    return [url for url in _URL.findall(html) if not url.startswith(allowed)]


def missing_files(static_dir: Path = STATIC_DIR) -> list[str]:
    """Return the LOCAL_ASSETS paths absent from ``static_dir`` (empty when static/ is complete)."""
    return sorted(p for p in LOCAL_ASSETS.values() if p is not None and not (static_dir / p).is_file())
