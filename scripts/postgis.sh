#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster on this machine, for trying the PostGIS store and for its
# tests (issue 14). Debian's packages; the server listens on 127.0.0.1 only, trusts local users (it
# holds nothing but test data) and runs as an unprivileged user: PostgreSQL refuses to run as root,
# so under root it runs as CM_PG_USER (default: nobody).
#
#   scripts/postgis.sh install  install Debian's PostgreSQL and PostGIS packages if missing
#   scripts/postgis.sh start    install the packages if missing, create the cluster once, start it,
#                               create the database with PostGIS; print its URL
#   scripts/postgis.sh url      print the URL (postgresql://cm@127.0.0.1:PORT/ceasefire)
#   scripts/postgis.sh stop     stop the server (the data stays for the next start)
#   scripts/postgis.sh clean    stop the server and remove the cluster
#
# Settings (environment): CM_PG_PORT (54329), CM_PG_DIR (/tmp/cm-postgis-PORT: a folder the
# unprivileged user can reach, as a home under /root is not), CM_PG_USER (nobody, under root).
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"

port=${CM_PG_PORT:-54329}
dir=${CM_PG_DIR:-/tmp/cm-postgis-$port}
data=$dir/data
database=ceasefire
role=cm

# The newest PostgreSQL Debian installed, and its PostGIS package.
version() { ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1; }

as_server() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "${CM_PG_USER:-nobody}" -- "$@"
  else
    "$@"
  fi
}

install() {
  local v need=()
  v=$(version)
  [ -n "$v" ] || need+=(postgresql)
  if [ -z "$v" ] || [ ! -e "/usr/share/postgresql/$v/extension/postgis.control" ]; then
    need+=("postgresql-${v:-15}-postgis-3")
  fi
  [ ${#need[@]} -eq 0 ] && return 0
  apt_install "${need[@]}"
  v=$(version)
  if [ ! -e "/usr/share/postgresql/$v/extension/postgis.control" ]; then
    echo "error: PostgreSQL $v has no PostGIS after installing ${need[*]}." >&2
    exit 1
  fi
}

url() { echo "postgresql://$role@127.0.0.1:$port/$database"; }

running() { [ -f "$data/postmaster.pid" ] && as_server "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "${1:-}" in
  install)
    install
    echo "PostgreSQL $(version) with PostGIS: /usr/lib/postgresql/$(version)/bin"
    ;;
  start)
    install
    bin=/usr/lib/postgresql/$(version)/bin
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$dir"
      if [ "$(id -u)" -eq 0 ]; then
        chown "${CM_PG_USER:-nobody}:" "$dir"
      fi
      as_server "$bin/initdb" -D "$data" -U "$role" --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    fi
    if ! running; then
      as_server "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    fi
    psql=("$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U "$role" -v ON_ERROR_STOP=1)
    if [ -z "$("${psql[@]}" -d postgres -tAc "select 1 from pg_database where datname = '$database'")" ]; then
      "${psql[@]}" -d postgres -c "create database $database"
    fi
    "${psql[@]}" -d "$database" -c "set client_min_messages = warning" -c "create extension if not exists postgis"
    url
    ;;
  url)
    url
    ;;
  stop | clean)
    v=$(version)
    bin=/usr/lib/postgresql/$v/bin
    if [ -n "$v" ] && running; then
      as_server "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    if [ "$1" = clean ]; then
      rm -rf "$dir"
    fi
    ;;
  *)
    echo "usage: $0 install|start|url|stop|clean" >&2
    exit 2
    ;;
esac
