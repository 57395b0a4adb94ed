# lib.sh - sourced by integration tests.  Gives each test a scratch folder,
# helpers to make nodes and check output, and cleans up every process the
# test started, whatever happens.
set -eu

T=$(mktemp -d "${TMPDIR:-/tmp}/gridmesh-it-XXXXXX")
PIDS=""
GRIDCTL=${GRIDCTL:-gridctl}
GRIDNODE=${GRIDNODE:-gridnode}

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	sleep 0.2
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	[ -n "${GM_KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

say() {
	echo "--- $*"
}

# ctl DIR ARGS... : gridctl on a node directory
ctl() {
	d=$1
	shift
	"$GRIDCTL" -d "$d" "$@"
}

# expect_fail CMD... : the command must exit non-zero
expect_fail() {
	if "$@" >"$T/.out" 2>&1; then
		cat "$T/.out" >&2
		fail "expected failure: $*"
	fi
	cat "$T/.out"
}

# assert_eq A B MSG
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: '$1' != '$2'"
}

# free_port: a UDP port nobody listens on (racy but fine on a test box)
free_port() {
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 ))
		if ! ss -uln 2>/dev/null | grep -q ":$p "; then
			echo "$p"
			return
		fi
	done
}
