#!/usr/bin/env bash
# One backup of the PostGIS store: pg_dump in custom format (compressed, restored table by table with
# pg_restore), checked readable, then the dumps older than the retention removed. Run by the systemd
# timer or cron line of docs/DEPLOY.md; tests/deploy/test_backup.py runs it and restores its dump.
#
#   CM_BACKUP_URL   the store's postgresql:// URL (a role that may read every table; the standby's
#                   URL works too and keeps the load off the primary)
#   CM_BACKUP_DIR   where the dumps go (default /var/backups/ceasefire)
#   CM_BACKUP_DAYS  how many days of dumps to keep (default 14)
#
# Prints the dump's path. PostgreSQL's client programs are taken from PATH, else from Debian's
# newest /usr/lib/postgresql/*/bin (pg_dump must be as new as the server).
set -euo pipefail

url=${CM_BACKUP_URL:?set CM_BACKUP_URL to the postgresql:// URL of the store}
dir=${CM_BACKUP_DIR:-/var/backups/ceasefire}
days=${CM_BACKUP_DAYS:-14}

if ! command -v pg_dump >/dev/null 2>&1; then
  newest=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$newest" ]; then
    echo "error: no pg_dump on PATH nor under /usr/lib/postgresql; install Debian's postgresql-client." >&2
    exit 1
  fi
  PATH=/usr/lib/postgresql/$newest/bin:$PATH
fi

mkdir -p "$dir"
name=ceasefire-$(date -u +%Y%m%dT%H%M%SZ).dump
# Written under a temporary name and renamed when whole: a dump cut off midway is never taken for one.
pg_dump --format=custom --file="$dir/.$name.partial" "$url"
pg_restore --list "$dir/.$name.partial" >/dev/null
mv "$dir/.$name.partial" "$dir/$name"
find "$dir" -maxdepth 1 -name 'ceasefire-*.dump' -mtime "+$days" -delete
echo "$dir/$name"
