#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on loopback for the tests (Debian's `postgresql` package).
#   source <(scripts/pg-test-cluster.sh start [PORT])   starts it (if not running) and sets SMEV2_TEST_PG_URL:
#                                      `start` prints `export SMEV2_TEST_PG_URL=<url>` (also: eval "$(… start)")
#   scripts/pg-test-cluster.sh url [PORT]     starts it likewise and prints the bare URL
#                                      (SMEV2_TEST_PG_URL=$(scripts/pg-test-cluster.sh url))
#   scripts/pg-test-cluster.sh stop
# The cluster lives in $SMEV2_PG_DIR (default /tmp/smev2-pg), on port $SMEV2_PG_PORT (default 55432), trust auth on 127.0.0.1 only, fsync
# off (tests only). Run as root it runs the server as the `postgres` user the package creates.
set -euo pipefail
DIR=${SMEV2_PG_DIR:-/tmp/smev2-pg}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "PostgreSQL not installed (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-start}" in
  start|url)
    PORT=${2:-${SMEV2_PG_PORT:-55432}}
    if [ -f "$DIR/data/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
      :
    else
      rm -rf "$DIR"; mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
      as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; exit 1; }
      as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
        -o "-k $DIR -p $PORT -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null \
        || { cat "$DIR/server.log" >&2; exit 1; }
    fi
    PORT=$(sed -n 4p "$DIR/data/postmaster.pid")
    URL="postgres://postgres@127.0.0.1:$PORT/postgres"
    if [ "${1:-start}" = url ]; then echo "$URL"; else echo "export SMEV2_TEST_PG_URL=$URL"; fi
    ;;
  stop)
    [ -d "$DIR/data" ] && as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null || true
    ;;
  *) echo "usage: source <($0 start [PORT]) | $0 url [PORT] | $0 stop" >&2; exit 2 ;;
esac
