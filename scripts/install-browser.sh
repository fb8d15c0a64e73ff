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

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "error: installing ${need[*]} needs root or sudo; install them with apt-get and rerun." >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
echo "installed ${need[*]}: $(command -v chromium)"
