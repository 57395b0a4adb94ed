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

# use_asan_gridctl: run the sanitizer build of gridctl (make integration
# builds it), so a memory error or leak on the path a test takes fails it
use_asan_gridctl() {
	if [ -x "${GM_TOP:-.}/build/asan/gridctl" ]; then
		GRIDCTL=$GM_TOP/build/asan/gridctl
		export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1
	fi
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

# expect_exit CODE CMD... : the command must exit with CODE and say why on
# exactly one line of stderr, nothing on stdout
expect_exit() {
	want=$1
	shift
	set +e
	"$@" >"$T/.out" 2>"$T/.err"
	got=$?
	set -e
	[ "$got" = "$want" ] || { cat "$T/.out" "$T/.err" >&2; fail "exit $got, not $want: $*"; }
	[ ! -s "$T/.out" ] || { cat "$T/.out" >&2; fail "output on stdout: $*"; }
	[ "$(wc -l <"$T/.err")" = 1 ] || { cat "$T/.err" >&2; fail "not one line on stderr: $*"; }
	grep -q '[a-z]' "$T/.err" || fail "empty message: $*"
	echo "ok ($got): $* -> $(cat "$T/.err")"
}

# json_keys KEY... < JSON : stdin parses as JSON, and the object (or every
# object of an array) has each KEY; a KEY a.b looks inside member a
json_keys() {
	python3 -c '
import json, sys
doc = json.load(sys.stdin)
objs = doc if isinstance(doc, list) else [doc]
if not objs:
    sys.exit("empty JSON array")
for o in objs:
    for k in sys.argv[1:]:
        v = o
        for part in k.split("."):
            if not isinstance(v, dict) or part not in v:
                sys.exit("no key %r in %s" % (k, json.dumps(o)[:300]))
            v = v[part]
' "$@" || fail "JSON keys $*"
}

# json_get EXPR < JSON : prints a value, EXPR in Python over `d`, e.g. 'd["id"]'
json_get() {
	python3 -c 'import json, sys; d = json.load(sys.stdin); print('"$1"')'
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
