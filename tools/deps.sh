#!/bin/sh
# Installs the Debian 12 packages Qujat needs, when any is missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu

PACKAGES="kore postgresql postgresql-contrib libpq-dev libssl-dev openssl \
libxml2-dev libxml2-utils libxslt1-dev libxmlsec1-dev xmlsec1 libzip-dev \
libjansson-dev libargon2-dev libcurl4-openssl-dev check pkg-config gcc make \
curl zip unzip wrk util-linux procps"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "qujat: missing Debian packages:$missing" >&2
	echo "qujat: run as root:  apt-get update && $cmd" >&2
	exit 1
fi
echo "qujat: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $cmd; then
	apt-get update
	$cmd
fi
