# lib.sh - sourced by integration tests.  Gives each test a scratch folder,
# helpers to make nodes and check output, and cleans up every process the
# test started, whatever happens.
set -eu

T=$(mktemp -d "${TMPDIR:-/tmp}/gridmesh-it-XXXXXX")
PIDS=""
GRIDCTL=${GRIDCTL:-gridctl}
GRIDNODE=${GRIDNODE:-gridnode}
COAP_CLIENT=${COAP_CLIENT:-coap-client-gnutls}

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	sleep 0.2
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	[ -n "${GM_KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
# a signal (run-integration.sh's timeout) ends the test, and EXIT cleans up
trap 'exit 1' INT TERM

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

# ---------------------------------------------------------------- live nodes
# Short CoAP timeouts so a dead peer is noticed in seconds (issue 3).
FAST_CONF='[coap]
ack_timeout_ms = 1000
ack_random_factor_pct = 100
max_retransmit = 1
[sync]
poll_s = 2
poll_observing_s = 10
backoff_min_ms = 200
backoff_max_s = 1
watch_ms = 50
[security]
insecure = true'

# mknode NAME LEVEL CODE [PARENT_NAME]: a node directory $T/NAME with a
# listen port of its own (in $T/NAME/port) and its parent's as parent.
mknode() {
	name=$1 level=$2 code=$3 parent=${4:-}
	port=$(free_port)
	args="--level $level --code $code"
	[ "$level" = grid ] || args="$args --listen coap://127.0.0.1:$port"
	[ -n "$parent" ] && args="$args --parent coap://127.0.0.1:$(cat "$T/$parent/port")"
	"$GRIDCTL" -d "$T/$name" init $args >/dev/null 2>&1 || fail "init $name"
	echo "$port" >"$T/$name/port"
	[ -n "$parent" ] && echo "$parent" >"$T/$name/parent_name"
	printf '%s\n' "$FAST_CONF" >"$T/$name/gridnode.conf"
}

# start NAME: gridnode on $T/NAME in the background, log in $T/NAME.log
start() {
	"$GRIDNODE" -d "$T/$1" -v >>"$T/$1.log" 2>&1 &
	echo $! >"$T/$1.pid"
	PIDS="$PIDS $!"
}

# stop NAME [SIGNAL]
stop() {
	pid=$(cat "$T/$1.pid")
	kill "-${2:-TERM}" "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# wait_for SECONDS CMD...: retries CMD every 0.2 s until it succeeds
wait_for() {
	limit=$1
	shift
	end=$(( $(date +%s) + limit ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# digest NAME [SCOPE]: what NAME holds of SCOPE that travels above the
# street (residents stop there, so a grid and the city compare the rest)
digest() {
	if [ -n "${2:-}" ]; then
		"$GRIDCTL" -d "$T/$1" digest --shared --scope "$2"
	else
		"$GRIDCTL" -d "$T/$1" digest --shared
	fi
}

# same_digest SCOPE NAME...: all nodes hold the same records of SCOPE
same_digest() {
	scope=$1
	shift
	first=$(digest "$1" "$scope") || return 1
	[ -n "$first" ] || return 1
	for n in "$@"; do
		d=$(digest "$n" "$scope") || return 1
		[ "$d" = "$first" ] || return 1
	done
}

# count NAME: live tickets held by NAME
count() {
	"$GRIDCTL" -d "$T/$1" ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# enrolled NAME...: keys and certificates for a whole tree made with
# mknode (parents before children), links switched to coaps://
enrol_tree() {
	for n in "$@"; do
		lvl=$("$GRIDCTL" -d "$T/$n" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["level"])')
		if [ "$lvl" = city ]; then
			ctl "$T/$n" keygen >/dev/null
			ctl "$T/$n" enrol self >/dev/null
		else
			parent=$(cat "$T/$n/parent_name")
			ctl "$T/$parent" enrol child "$T/$n" >/dev/null
		fi
		secure "$n"
	done
}

# secure NAME: its links are coaps:// (no plain UDP); needs its enrolment
secure() {
	sqlite3 "$T/$1/gridmesh.db" "UPDATE meta SET v = replace(v, 'coap://', 'coaps://')
		WHERE k IN ('parent', 'listen')"
	sed -i 's/^insecure = true/insecure = false/' "$T/$1/gridnode.conf"
}

# intact NAME: PRAGMA integrity_check says ok (waiting out a writer's lock)
intact() {
	[ "$(sqlite3 -cmd '.timeout 10000' "$T/$1/gridmesh.db" 'PRAGMA integrity_check')" = ok ]
}
