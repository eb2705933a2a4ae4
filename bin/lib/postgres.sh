#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the test suite.
#   source bin/lib/postgres.sh; pg_start; ...; pg_stop
# Installs Debian's postgresql when no server binaries exist. initdb and pg_ctl refuse to
# run as root, so as root they run as the postgres user on a data directory in /tmp.
PG_PORT="${PG_PORT:-54329}"
PG_DATA="${PG_DATA:-/tmp/grassroots-pg-${PG_PORT}}"

_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

_pg_as() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  local bin
  bin="$(_pg_bin)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    apt_install postgresql
    bin="$(_pg_bin)"
  fi
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    _pg_as "$bin/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DATA"
  mkdir -p "$PG_DATA"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG_DATA"
  _pg_as "$bin/initdb" -D "$PG_DATA" -U postgres -A trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  _pg_as "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 start \
    -o "-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" >/dev/null
  export PG_TEST_URL="postgres://postgres@127.0.0.1:${PG_PORT}/grassroots"
}

pg_stop() {
  local bin
  bin="$(_pg_bin)"
  [ -n "$bin" ] && [ -f "$PG_DATA/postmaster.pid" ] && \
    _pg_as "$bin/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_DATA"
}
