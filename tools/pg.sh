#!/bin/sh
# A private PostgreSQL 15 cluster in a directory, reachable only through a
# unix socket in DIR/sock (so it never clashes with another server's port).
#
#   sh tools/pg.sh start DIR    initdb on first use, start, create db "qujat"
#   sh tools/pg.sh stop DIR     fast shutdown
#   sh tools/pg.sh dsn DIR      print the libpq connection string
#
# As root, the cluster runs as the postgres user (initdb refuses root).
set -eu

cmd=${1:?usage: pg.sh start|stop|dsn DIR}
dir=$(realpath -m "${2:?usage: pg.sh start|stop|dsn DIR}")
port=5433
bin=/usr/lib/postgresql/15/bin

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case $cmd in
dsn)
	echo "host=$dir/sock port=$port dbname=qujat user=postgres"
	;;
start)
	mkdir -p "$dir/sock"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R postgres:postgres "$dir"
		if ! runuser -u postgres -- test -w "$dir"; then
			echo "pg.sh: the postgres user cannot reach $dir;" \
			    "make its parent directories searchable (chmod o+x)" >&2
			exit 1
		fi
	fi
	if [ ${#dir} -gt 80 ]; then
		echo "pg.sh: $dir is too long for a unix socket path" >&2
		exit 1
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres \
		    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		    { cat "$dir/initdb.log" >&2; exit 1; }
	fi
	if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
		    -t 60 -o "-p $port -k $dir/sock -c listen_addresses= \
		    -c max_connections=200 -c shared_buffers=128MB" \
		    start >/dev/null ||
		    { tail -n 20 "$dir/server.log" >&2; exit 1; }
	fi
	if ! as_pg "$bin/psql" -h "$dir/sock" -p $port -U postgres -d postgres \
	    -tAc "select 1 from pg_database where datname = 'qujat'" |
	    grep -q 1; then
		as_pg "$bin/createdb" -h "$dir/sock" -p $port -U postgres qujat
	fi
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop \
		    >/dev/null 2>&1 || true
	fi
	;;
*)
	echo "usage: pg.sh start|stop|dsn DIR" >&2
	exit 2
	;;
esac
