#!/usr/bin/env bash
# apt_install PACKAGE...: install Debian packages with apt-get, through sudo when not root.
# Sourced by the scripts that install what the tests need (install-browser.sh, postgis.sh).

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "error: installing $* needs root or sudo; install them with apt-get and rerun." >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
