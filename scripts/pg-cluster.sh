#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `pg-cluster.sh start DIR` creates one in DIR
# (initdb, then pg_ctl start), listening on a Unix socket in DIR only (no TCP port), and
# prints the libpq connection string to use ("host=DIR port=5432 user=truce"); `pg-cluster.sh
# stop DIR` stops it and deletes DIR. PostgreSQL refuses to run as root: when run as root, the
# cluster belongs to the unprivileged user `nobody`. Debian's postgresql package (installed
# by the Makefile) provides initdb and pg_ctl under /usr/lib/postgresql/VERSION/bin.
# `pg-cluster.sh replica PRIMARY_DIR DIR` makes a streaming replica of the cluster in
# PRIMARY_DIR (pg_basebackup -R), a hot standby on a socket in DIR, and prints its connection
# string; stop it the same way.
set -eu
cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg-cluster.sh start|stop DIR | replica PRIMARY_DIR DIR" >&2; exit 2; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "pg-cluster.sh: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }
as() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; else "$@"; fi; }
case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown nobody:nogroup "$dir"
  chmod 0755 "$dir"
  as "$bin/initdb" -D "$dir/data" -U truce --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  # Tests want speed, not durability across a power cut (TRUCE_PG_DURABLE=1, for the
  # benchmarks, keeps PostgreSQL's defaults); many connections for many servers.
  fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ -n "${TRUCE_PG_DURABLE:-}" ] && fast=""
  as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $dir $fast -c max_connections=300 -c wal_level=replica -c max_wal_senders=4" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "host=$dir port=5432 user=truce"
  ;;
replica)
  primary=$dir dir=${3:-}
  [ -n "$dir" ] || { echo "usage: pg-cluster.sh replica PRIMARY_DIR DIR" >&2; exit 2; }
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown nobody:nogroup "$dir"
  chmod 0755 "$dir"
  as "$bin/pg_basebackup" -D "$dir/data" -h "$primary" -p 5432 -U truce -R -X stream -c fast \
    >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $dir -c fsync=off -c max_connections=300 -c hot_standby=on" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "host=$dir port=5432 user=truce"
  ;;
stop)
  [ -d "$dir/data" ] && as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*) echo "usage: pg-cluster.sh start|stop DIR | replica PRIMARY_DIR DIR" >&2; exit 2 ;;
esac
