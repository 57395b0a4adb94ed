# faultproxy.sh - tools/faultproxy between a UDP sender and an echo peer:
# clean pass-through at zero rates, delays inside the configured range,
# fault rates near the configured ones over thousands of datagrams, the
# same fault sequence for the same seed, replies routed back to the right
# client, counters on SIGUSR1, and a partition toggled by SIGUSR2.
. "$GM_TOP/tests/integration/lib.sh"

PROBE="python3 $GM_TOP/tests/tools/udpprobe.py"
FAULTPROXY=${FAULTPROXY:-faultproxy}

# wait_for FILE TEXT: until TEXT shows up in FILE (5 s at most)
wait_for() {
	i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "no '$2' in $1: $(cat "$1")"
		sleep 0.05
	done
}

ECHO_PORT=$(free_port)
$PROBE echo "$ECHO_PORT" >"$T/echo.out" 2>&1 &
PIDS="$PIDS $!"
wait_for "$T/echo.out" ready

# proxy NAME ARGS...: starts a proxy in front of the echo peer; sets PX_PORT, PX_PID
proxy() {
	name=$1
	shift
	PX_PORT=$(free_port)
	"$FAULTPROXY" --listen "127.0.0.1:$PX_PORT" --upstream "127.0.0.1:$ECHO_PORT" "$@" \
		2>"$T/$name.err" &
	PX_PID=$!
	PIDS="$PIDS $PX_PID"
	wait_for "$T/$name.err" ready
}

# stop NAME: SIGTERM, wait, and the exit counters must be there
stop() {
	kill -TERM "$PX_PID"
	wait "$PX_PID" || fail "$1: faultproxy exited $?"
	grep -q "faultproxy: exit:" "$T/$1.err" || fail "$1: no exit counters"
}

# stat NAME up|down FIELD: a counter from the proxy's last report
stat() {
	grep "^faultproxy: $2 " "$T/$1.err" | tail -n 1 |
		awk -v f="$3" '{ for (i = 3; i < NF; i += 2) if ($i == f) print $(i + 1) }'
}

# probe NAME ARGS...: runs the sender; its key=value results become R_key
probe() {
	name=$1
	shift
	$PROBE send "$PX_PORT" "$@" >"$T/$name.probe" || fail "$name: sender failed"
	cat "$T/$name.probe"
	eval "$(sed 's/^/R_/' "$T/$name.probe")"
}

# near WHAT X Y EXPECTED TOL: X/Y within TOL of EXPECTED
near() {
	awk -v x="$2" -v y="$3" -v e="$4" -v t="$5" -v w="$1" 'BEGIN {
		r = y ? x / y : 0
		printf "    %-22s %6.4f (configured %s)\n", w, r, e
		exit !(r >= e - t && r <= e + t) }' || fail "$1: $2/$3 not within $5 of $4"
}

say "zero rates: clean pass-through, two clients"
proxy clean
probe clean -n 2000 --clients 2
assert_eq "$R_unique" 2000 "every datagram back"
assert_eq "$R_received" 2000 "nothing extra"
assert_eq "$R_corrupt$R_misrouted$R_dups$R_reordered" 0000 "corrupt/misrouted/dup/reordered"
stop clean
assert_eq "$(stat clean up in) $(stat clean up fwd)" "2000 2000" "up counters"
assert_eq "$(stat clean down in) $(stat clean down fwd)" "2000 2000" "down counters"
grep -q "seen 2" "$T/clean.err" || fail "two clients expected: $(cat "$T/clean.err")"

say "delay 100-300 ms each way: round trips of 200-600 ms, jitter reorders"
proxy delay --delay-ms 100-300 --seed 3
probe delay -n 300 --clients 1 --gap-us 2000 --quiet-ms 1000
stop delay
assert_eq "$R_unique" 300 "every datagram back"
[ "$R_rtt_min_ms" -ge 199 ] || fail "round trip $R_rtt_min_ms ms < 200"
[ "$R_rtt_max_ms" -le 700 ] || fail "round trip $R_rtt_max_ms ms > 600 (+100 slack)"
[ "$R_reordered" -gt 0 ] || fail "jitter reordered nothing"

FAULTS="--loss 0.3 --dup 0.05 --reorder 0.1 --corrupt 0.01 --delay-ms 0-5"

say "faults at 30% loss, 5% dup, 10% reorder, 1% corrupt, seed 42"
proxy faults1 $FAULTS --seed 42 --trace "$T/faults1.trace"
probe faults1 -n 4000 --clients 2
kill -USR1 "$PX_PID"
wait_for "$T/faults1.err" "faultproxy: stats:"
stop faults1
assert_eq "$(stat faults1 up in)" 4000 "every datagram reached the proxy"
assert_eq "$R_misrouted" 0 "replies to the wrong client"
for d in up down; do
	in=$(stat faults1 $d in)
	kept=$((in - $(stat faults1 $d drop)))
	near "$d loss" "$(stat faults1 $d drop)" "$in" 0.3 0.04
	near "$d dup" "$(stat faults1 $d dup)" "$kept" 0.05 0.02
	near "$d reorder" "$(stat faults1 $d reorder)" "$kept" 0.1 0.03
	near "$d corrupt" "$(stat faults1 $d corrupt)" "$kept" 0.01 0.01
done
# a round trip crosses two lossy hops: 0.7 * 0.7 survive
near "round trips back" "$R_unique" "$R_sent" 0.49 0.05
[ "$R_dups" -gt 0 ] && [ "$R_corrupt" -gt 0 ] && [ "$R_reordered" -gt 0 ] ||
	fail "the sender saw no duplicates, corruption or reordering"

say "same seed, same fault sequence; another seed, another"
proxy faults2 $FAULTS --seed 42 --trace "$T/faults2.trace"
probe faults2 -n 4000 --clients 2 >/dev/null
stop faults2
proxy faults3 $FAULTS --seed 43 --trace "$T/faults3.trace"
probe faults3 -n 4000 --clients 2 >/dev/null
stop faults3
# the two directions interleave by timing; each stream's fates do not
sort "$T/faults1.trace" >"$T/f1.sorted"
sort "$T/faults2.trace" >"$T/f2.sorted"
sort "$T/faults3.trace" >"$T/f3.sorted"
[ "$(wc -l <"$T/f1.sorted")" -gt 6000 ] || fail "trace too short"
cmp -s "$T/f1.sorted" "$T/f2.sorted" || fail "seed 42 twice gave different fault sequences"
cmp -s "$T/f1.sorted" "$T/f3.sorted" && fail "seeds 42 and 43 gave the same fault sequence"
for f in in drop dup reorder corrupt; do
	assert_eq "$(stat faults1 up $f)" "$(stat faults2 up $f)" "seed 42 twice: up $f"
done

say "partition on SIGUSR2: nothing passes until toggled back"
proxy part
kill -USR2 "$PX_PID"
wait_for "$T/part.err" "partition on"
probe part1 -n 200 --quiet-ms 300
assert_eq "$R_unique" 0 "datagrams through a partition"
kill -USR2 "$PX_PID"
wait_for "$T/part.err" "partition off"
probe part2 -n 200
assert_eq "$R_unique" 200 "datagrams after healing"
stop part
assert_eq "$(stat part up part)" 200 "partition drops counted"

say "bad arguments are refused"
expect_fail "$FAULTPROXY" --listen 127.0.0.1:1 --upstream 127.0.0.1:2 --loss 1.5
expect_fail "$FAULTPROXY" --listen 127.0.0.1:1 --upstream 127.0.0.1:2 --delay-ms 300-100
expect_fail "$FAULTPROXY" --listen nowhere --upstream 127.0.0.1:2
expect_fail "$FAULTPROXY" --upstream 127.0.0.1:2
echo "faultproxy: all checks passed"
