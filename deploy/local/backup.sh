#!/usr/bin/env bash
# Back up and restore Waspada's PostgreSQL database: the schemas auth, intake, scoring and notify
# (WASPADA_BACKUP_SCHEMAS), with their schema_migrations, so a restore knows its schema versions.
#   deploy/local/backup.sh backup [FILE]          # default .local/backups/waspada-<UTC time>.dump
#   deploy/local/backup.sh restore FILE [DBNAME]  # into DBNAME (default: the stack's), recreated empty
# WASPADA_DATABASE_URL names the server and database (env.sh's default: the local stack). Stop the
# services before a restore into their database (make down S="intake scoring notify console").
# What of Kafka to keep, and what is rebuilt: docs/operations.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$HERE/env.sh"
PG_DUMP="${PG_DUMP:-$PG_BIN/pg_dump}"
PG_RESTORE="${PG_RESTORE:-$PG_BIN/pg_restore}"
PSQL="${PSQL:-$PG_BIN/psql}"
DSN="$WASPADA_DATABASE_URL"
SERVER_DSN="${DSN%/*}/postgres"
DB="${DSN##*/}"
# The services' schemas (a test or benchmark may add others to the same database for a while).
read -r -a SCHEMAS <<< "${WASPADA_BACKUP_SCHEMAS:-auth intake scoring notify}"

say() { printf '[backup] %s\n' "$*"; }
die() { printf '[backup] ERROR: %s\n' "$*" >&2; exit 1; }

versions() {  # the applied migrations of every schema, as "schema/file"
  local schema
  for schema in "${SCHEMAS[@]}"; do
    "$PSQL" -X -q -tA -v ON_ERROR_STOP=1 "$1" -c "SELECT '$schema/' || name FROM \"$schema\".schema_migrations ORDER BY name"
  done
}

case "${1:-}" in
  backup)
    out="${2:-$WASPADA_LOCAL/backups/waspada-$(date -u +%Y%m%dT%H%M%SZ).dump}"
    mkdir -p "$(dirname "$out")"
    # Custom format: compressed, restorable table by table; one consistent snapshot of the database.
    "$PG_DUMP" --format=custom --no-owner "${SCHEMAS[@]/#/--schema=}" --file="$out" "$DSN"
    versions "$DSN" > "$out.versions"
    say "wrote $out ($(du -h "$out" | cut -f1)); schema versions in $out.versions:"
    sed 's/^/[backup]   /' "$out.versions"
    ;;
  restore)
    file="${2:-}"; [[ -f "$file" ]] || die "usage: backup.sh restore FILE [DBNAME] (no file ${file:-given})"
    target="${3:-$DB}"
    "$PSQL" -X -q -v ON_ERROR_STOP=1 "$SERVER_DSN" -c "DROP DATABASE IF EXISTS \"$target\" WITH (FORCE)" \
      -c "CREATE DATABASE \"$target\""
    "$PG_RESTORE" --exit-on-error --no-owner --dbname="${SERVER_DSN%/*}/$target" "$file"
    restored="$(versions "${SERVER_DSN%/*}/$target")"
    if [[ -f "$file.versions" && "$restored" != "$(cat "$file.versions")" ]]; then
      die "restored schema versions differ from the backup's ($file.versions)"
    fi
    say "restored $file into database $target; schema versions:"
    printf '%s\n' "$restored" | sed 's/^/[backup]   /'
    say "start the services (make up): they apply newer migrations and consume Kafka from their committed offsets"
    ;;
  *) die "usage: backup.sh backup [FILE] | restore FILE [DBNAME]" ;;
esac
