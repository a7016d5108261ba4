#!/bin/sh
# `make run`: the embedded default.  Starts (and on exit stops) a private
# PostgreSQL cluster under var/pg unless QUJAT_DB points at another one,
# migrates, seeds the demo university once, and runs Kore in the foreground
# on http://127.0.0.1:8080.  Ctrl-C stops Kore, then PostgreSQL.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

mkdir -p var/log var/run var/store
if [ -z "${QUJAT_DB:-}" ]; then
	sh tools/pg.sh start var/pg
	QUJAT_DB=$(sh tools/pg.sh dsn var/pg)
	trap 'sh tools/pg.sh stop var/pg; echo "qujat: PostgreSQL stopped"' EXIT
	trap 'exit 130' INT TERM HUP
fi
export QUJAT_DB
export QUJAT_HOME="$top"
export QUJAT_VAR="$top/var"

bin/qujat migrate
if [ ! -f var/demo-users.txt ]; then
	bin/qujat seed-demo --people tools/demo-people.tsv \
	    --out var/demo-users.txt
else
	echo "qujat: demo users already seeded; credentials in var/demo-users.txt"
fi

echo "qujat: serving http://127.0.0.1:8080 (Ctrl-C to stop)"
# Kore runs in a session of its own and hears Ctrl-C from this script
# only.  Were its workers to get the terminal's SIGINT too, they could
# exit before the parent reads its own: Kore keeps one pending signal, the
# workers' SIGCHLD replaces the SIGINT, and the parent serves on without
# workers.  The parent, told once, stops its workers itself.
kore= stop=
trap 'stop=1; [ -z "$kore" ] || kill -TERM "$kore" 2>/dev/null || true' \
    INT TERM HUP
setsid kore -f -n -r -c kore.conf &
kore=$!
[ -z "$stop" ] || kill -TERM "$kore" 2>/dev/null || true
while kill -0 "$kore" 2>/dev/null; do
	wait "$kore" || true
done
trap - INT TERM HUP
