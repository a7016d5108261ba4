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
	trap 'exit 130' INT TERM
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
kore -f -n -r -c kore.conf || true
