#!/bin/sh
# deps.sh [build|test] - make sure the Debian packages gridmesh needs are
# installed.  As root it installs what is missing (apt-get); otherwise it
# prints the one apt-get line to run and fails.
set -e
what=${1:-build}

# libcbor-dev: SenML in CBOR (content-format 112) from devices (node/senml.c)
build_pkgs="gcc make pkg-config libsqlite3-dev libsodium-dev libmsgpack-dev
 libcoap3-dev libcunit1-dev libinih-dev libjansson-dev libcsv-dev libzstd-dev
 libcbor-dev"
# test: coap-client for the protocol tests, sqlite3 for integrity checks,
# clang and its libFuzzer runtime for the fuzzers, python3 for test helpers
# (the UDP peers of the fault-proxy test), valgrind for the memcheck tests,
# chromium to render the dashboard page headless
test_pkgs="libcoap3-bin sqlite3 clang libclang-rt-dev python3 valgrind chromium"

pkgs=$build_pkgs
[ "$what" = test ] && pkgs="$build_pkgs $test_pkgs"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
		apt-get update >/dev/null 2>&1
		apt-get install -y --no-install-recommends $missing
	}
	exit 0
fi
echo "gridmesh needs these Debian packages; run as root:" >&2
echo "  apt-get install -y$missing" >&2
exit 1
