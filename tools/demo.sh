#!/bin/sh
# `make demo`: one complete academic-leave case through the HTTP API, sealed
# into its archive package, verified offline.  Starts a private PostgreSQL
# in var/demo/pg (fresh every run) and Kore on a free loopback port (or
# QUJAT_DEMO_PORT), migrates, seeds the demo university, runs build/demo
# (tools/demo.c: the demo users sign with their own keys from certs/dev),
# leaves the sealed package in var/demo/, prints its path and the verdict
# of `bin/qujat verify-archive`, and stops Kore and PostgreSQL on the way
# out, whatever happens.  The Makefile target builds everything first.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
demo=var/demo

kore_pid=""
cleanup() {
	if [ -n "$kore_pid" ]; then
		kill -TERM "$kore_pid" 2>/dev/null || true
		wait "$kore_pid" 2>/dev/null || true
	fi
	sh tools/pg.sh stop "$demo/pg" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh demo each run; an old package is replaced by the new one.
[ -f "$demo/pg/data/postmaster.pid" ] && sh tools/pg.sh stop "$demo/pg"
rm -rf "$demo"
mkdir -p "$demo"
chmod 755 var "$demo" 2>/dev/null || true

echo "demo: starting PostgreSQL in $demo/pg"
sh tools/pg.sh start "$demo/pg"
QUJAT_DB=$(sh tools/pg.sh dsn "$demo/pg")
export QUJAT_DB
export QUJAT_HOME="$top"
export QUJAT_VAR="$top/$demo"
export QUJAT_TICK_MS=200
bin/qujat migrate >"$demo/migrate.log" 2>&1
bin/qujat seed-demo --people tools/demo-people.tsv \
    --out "$demo/demo-users.txt" >/dev/null

port=${QUJAT_DEMO_PORT:-$(build/demo --free-port)}
cat >"$demo/kore.conf" <<EOF
server plain {
	bind 127.0.0.1 $port
	tls no
}
load $top/build/qujat.so qj_worker_init
workers 2
worker_max_connections 256
worker_death_policy restart
pidfile $top/$demo/kore.pid
http_body_max 12582912
http_server_version qujat
task_threads 8
domain * {
	attach plain
	accesslog $top/$demo/access.log
	route ^/ qj_http
}
EOF
echo "demo: starting Kore on http://127.0.0.1:$port"
kore -f -n -r -c "$demo/kore.conf" >"$demo/kore.log" 2>&1 &
kore_pid=$!
i=0
until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$kore_pid" 2>/dev/null; then
		echo "demo: Kore did not start; see $demo/kore.log" >&2
		tail -n 20 "$demo/kore.log" >&2
		exit 1
	fi
	sleep 0.1
done

build/demo "http://127.0.0.1:$port" "$demo" | tee "$demo/demo.log"
package=$(tail -n 1 "$demo/demo.log")
[ -f "$package" ] || { echo "demo: no package" >&2; exit 1; }

echo
echo "sealed package: $top/$package"
echo "\$ bin/qujat verify-archive $package --trust certs/dev/trust/root.pem"
bin/qujat verify-archive "$package" --trust certs/dev/trust/root.pem
