#!/usr/bin/env bash
# Re-create static/ (the Leaflet and plugin assets the map loads) from the npm registry.
# For maintainers: CI does not run this, the files are committed. Needs npm and network access to the registry.
# When folium is upgraded, its CDN URLs change: update geo/maps/assets.py, then the versions below, then run this.
set -euo pipefail
cd "$(dirname "$0")/.."
STATIC=static
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package@version | destination folder under static/ | licence | "src:dest" pairs relative to the package root
PACKAGES=(
  "leaflet@1.9.3|leaflet|BSD-2-Clause|dist/leaflet.js:leaflet.js dist/leaflet.css:leaflet.css dist/images:images LICENSE:LICENSE"
  "jquery@3.7.1|jquery|MIT|dist/jquery.min.js:jquery.min.js LICENSE.txt:LICENSE.txt"
  "bootstrap@5.2.2|bootstrap|MIT|dist/js/bootstrap.bundle.min.js:bootstrap.bundle.min.js dist/css/bootstrap.min.css:bootstrap.min.css LICENSE:LICENSE"
  "@fortawesome/fontawesome-free@6.2.0|fontawesome|Icons CC-BY-4.0, fonts OFL-1.1, code MIT|css/all.min.css:css/all.min.css webfonts:webfonts LICENSE.txt:LICENSE.txt"
  "drmonty-leaflet-awesome-markers@2.0.2|awesome-markers|MIT|js/leaflet.awesome-markers.js:leaflet.awesome-markers.js css/leaflet.awesome-markers.css:leaflet.awesome-markers.css css/images:images"
  "leaflet.markercluster@1.1.0|markercluster|MIT|dist/leaflet.markercluster.js:leaflet.markercluster.js dist/MarkerCluster.css:MarkerCluster.css dist/MarkerCluster.Default.css:MarkerCluster.Default.css MIT-LICENCE.txt:MIT-LICENCE.txt"
  "leaflet.fullscreen@3.0.0|fullscreen|MIT|Control.FullScreen.js:Control.FullScreen.js Control.FullScreen.css:Control.FullScreen.css icon-fullscreen.svg:icon-fullscreen.svg LICENSE:LICENSE"
  "leaflet-measure@2.1.7|measure|MIT|dist/leaflet-measure.min.js:leaflet-measure.min.js dist/leaflet-measure.css:leaflet-measure.css dist/images:images LICENSE:LICENSE"
  "leaflet-minimap@3.6.1|minimap|BSD-2-Clause|dist/Control.MiniMap.min.js:Control.MiniMap.min.js dist/Control.MiniMap.min.css:Control.MiniMap.min.css dist/images:images LICENSE.txt:LICENSE.txt"
  "leaflet-mouse-position@1.2.0|mouse-position|MIT|src/L.Control.MousePosition.js:L.Control.MousePosition.js src/L.Control.MousePosition.css:L.Control.MousePosition.css MIT-LICENCE.txt:MIT-LICENCE.txt"
  "leaflet-draw@1.0.2|draw|MIT|dist/leaflet.draw.js:leaflet.draw.js dist/leaflet.draw.css:leaflet.draw.css dist/images:images"
  "leaflet.heat@0.2.0|heat|BSD-2-Clause|dist/leaflet-heat.js:leaflet-heat.js LICENSE:LICENSE"
)

rm -rf "${STATIC:?}"/*/
manifest="$work/manifest.json"
echo "[" >"$manifest"
first=1
for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r spec dest licence pairs <<<"$entry"
  tarball=$(cd "$work" && npm pack "$spec" --silent 2>/dev/null | tail -n 1)
  unpack="$work/${dest}-pkg"
  mkdir -p "$unpack"
  tar --warning=no-unknown-keyword -xzf "$work/$tarball" -C "$unpack"
  mkdir -p "$STATIC/$dest"
  files=()
  for pair in $pairs; do
    src=${pair%%:*}
    dst=${pair#*:}
    mkdir -p "$(dirname "$STATIC/$dest/$dst")"
    cp -R "$unpack/package/$src" "$STATIC/$dest/$dst"
    files+=("\"$dest/$dst\"")
  done
  name=${spec%@*}
  version=${spec##*@}
  [ $first -eq 1 ] || echo "," >>"$manifest"
  first=0
  printf '  {"name": "%s", "version": "%s", "npm": "%s", "licence": "%s", "folder": "%s", "files": [%s]}' \
    "$name" "$version" "$spec" "$licence" "$dest" "$(IFS=,; echo "${files[*]}")" >>"$manifest"
done
printf '\n]\n' >>"$manifest"
cp "$manifest" "$STATIC/MANIFEST.json"
echo "static/ re-created from the npm registry: $(find "$STATIC" -type f | wc -l) files, $(du -sh "$STATIC" | cut -f1)"
# Leaflet and the Map page's plugins as one file (geo.maps.assets.BUNDLED_SCRIPTS); a test checks it.
PYTHONPATH="$(dirname "$STATIC")" "${PYTHON:-.venv/bin/python}" -c "from geo.maps.assets import write_map_bundle; print('wrote', write_map_bundle())"
