#!/usr/bin/env bash
# Local PostgreSQL + PostGIS for development and tests, kept under .data/ in the project folder.
#   scripts/localdb.sh ensure   install what is missing (Debian/Ubuntu), init and start the cluster
#   scripts/localdb.sh stop     stop the cluster
#   scripts/localdb.sh url      print the DATABASE_URL of the local cluster (the owner)
#   scripts/localdb.sh api-url  print the API_DATABASE_URL of the local cluster (the server's role)
# Roles: `doorstep` owns the tables (migrations, CLI); the API server logs in as
# `doorstep_api_login`, a member of `doorstep_api` (the group the migrations grant to), so that
# row-level security holds it to one campaign per transaction.
# The cluster runs as the `postgres` user when we are root, because initdb refuses root.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="$ROOT/.data"
PGDATA="$DATA/pg"
SOCK="$DATA/run"
PORT="${DOORSTEP_PG_PORT:-54329}"
DB="doorstep"
ROLE="doorstep"
API_GROUP="doorstep_api"
API_ROLE="doorstep_api_login"

url() { echo "postgresql://$ROLE@127.0.0.1:$PORT/$DB"; }
api_url() { echo "postgresql://$API_ROLE@127.0.0.1:$PORT/$DB"; }

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

have_postgis() {
  local bindir="$1" share
  share="$("$bindir/pg_config" --sharedir 2>/dev/null || true)"
  [ -n "$share" ] || share="$(dirname "$bindir")/../../share/postgresql/$(basename "$(dirname "$bindir")")"
  ls "$share"/extension/postgis.control >/dev/null 2>&1 \
    || ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL 15+ with PostGIS 3 is needed. Install it with your package manager, e.g.:" >&2
    echo "  brew install postgresql@16 postgis        (macOS)" >&2
    echo "or set DATABASE_URL to an existing PostGIS database." >&2
    exit 1
  fi
  echo "Installing PostgreSQL and PostGIS with apt-get ..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  local bindir ver
  if ! bindir="$(pg_bindir)"; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bindir="$(pg_bindir)"
  fi
  ver="$(basename "$(dirname "$bindir")")"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$ver-postgis-3" >/dev/null
}

run_pg() {  # run a PostgreSQL server binary as the cluster owner
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure() {
  local bindir
  if ! bindir="$(pg_bindir)" || ! have_postgis "$bindir"; then
    install_packages
    bindir="$(pg_bindir)"
  fi
  mkdir -p "$DATA" "$SOCK"
  if [ "$(id -u)" = 0 ]; then chown postgres "$DATA" "$SOCK"; fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    echo "Creating a local PostgreSQL cluster in $PGDATA ..."
    run_pg "$bindir/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 256MB
max_connections = 200
CONF
  fi
  if ! run_pg "$bindir/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    run_pg "$bindir/pg_ctl" -D "$PGDATA" -l "$DATA/postgres.log" -w -t 60 start >/dev/null
  fi
  local psql=("$bindir/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
  # Durable, as production must be: what was acknowledged survives a crash or a power cut.
  # Clusters made before this had fsync, synchronous_commit and full_page_writes off in
  # postgresql.conf: ALTER SYSTEM overrides them. The tests turn synchronous_commit off for
  # their own databases only.
  if [ "$("${psql[@]}" -c "show fsync")" != on ] \
     || [ "$("${psql[@]}" -c "show synchronous_commit")" != on ] \
     || [ "$("${psql[@]}" -c "show full_page_writes")" != on ]; then
    "${psql[@]}" -c "alter system set fsync = on" \
      -c "alter system set synchronous_commit = on" \
      -c "alter system set full_page_writes = on" -c "select pg_reload_conf()" >/dev/null
  fi
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='$ROLE'")" != 1 ]; then
    "${psql[@]}" -c "create role $ROLE login superuser" >/dev/null
  fi
  if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='$DB'")" != 1 ]; then
    "${psql[@]}" -c "create database $DB owner $ROLE" >/dev/null
  fi
  # The API server's login role: not superuser, not the owner, no BYPASSRLS. Its group is
  # made here too when the migrations have not run yet (they find it and grant it the tables).
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='$API_GROUP'")" != 1 ]; then
    "${psql[@]}" -c "create role $API_GROUP nologin" >/dev/null
  fi
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='$API_ROLE'")" != 1 ]; then
    "${psql[@]}" -c "create role $API_ROLE login in role $API_GROUP" >/dev/null
  fi
}

stop() {
  local bindir
  bindir="$(pg_bindir)" || exit 0
  if [ -f "$PGDATA/PG_VERSION" ]; then
    run_pg "$bindir/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
    echo "Local PostgreSQL stopped."
  fi
}

case "${1:-}" in
  ensure) ensure ;;
  stop) stop ;;
  url) url ;;
  api-url) api_url ;;
  *) echo "usage: $0 ensure|stop|url|api-url" >&2; exit 2 ;;
esac
