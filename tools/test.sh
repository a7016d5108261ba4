#!/bin/sh
# `make test`: runs the unit test binaries, then the integration test
# binaries, each printing Check's summary.  Every integration binary starts
# its own PostgreSQL and Kore under $QUJAT_TEST_ROOT; whatever a crashed
# binary leaves behind there is stopped and removed here.
#   sh tools/test.sh UNIT... -- INTEGRATION...
set -u
cd "$(dirname "$0")/.."

QUJAT_TEST_ROOT=$(mktemp -d /tmp/qujat-test.XXXXXX)
chmod 755 "$QUJAT_TEST_ROOT"
export QUJAT_TEST_ROOT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The integration tests load the sanitizer build of the server module
# (build/san/qujat.so) into Kore, with the runtimes preloaded.
export QUJAT_HARNESS_SAN=1
QUJAT_HARNESS_SAN_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so) $(${CC:-cc} -print-file-name=libubsan.so)"
export QUJAT_HARNESS_SAN_PRELOAD

cleanup() {
	for pid in "$QUJAT_TEST_ROOT"/*/kore*.pid; do
		[ -f "$pid" ] && kill -TERM "$(cat "$pid")" 2>/dev/null
	done
	for d in "$QUJAT_TEST_ROOT"/*/pg; do
		[ -d "$d" ] && sh tools/pg.sh stop "$d"
	done
	rm -rf "$QUJAT_TEST_ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=0
phase=unit
for t in "$@"; do
	if [ "$t" = "--" ]; then
		phase=integration
		continue
	fi
	echo "== $phase: $(basename "$t")"
	if ! "$t"; then
		echo "!! $(basename "$t") FAILED"
		failed=$((failed + 1))
	fi
done
if [ $failed -ne 0 ]; then
	echo "== $failed test binaries failed"
	exit 1
fi
echo "== all test binaries passed"
