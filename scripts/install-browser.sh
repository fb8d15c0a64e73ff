#!/usr/bin/env bash
# Install Debian's Chromium and a font for the browser tests; does nothing when both are present.
# Playwright drives this binary (/usr/bin/chromium): its own browser download is not used.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -eq 0 ]; then
  echo "chromium and fonts-dejavu-core already installed: $(command -v chromium)"
  exit 0
fi

source "$(dirname "$0")/apt-install.sh"
apt_install "${need[@]}"
echo "installed ${need[*]}: $(command -v chromium)"
