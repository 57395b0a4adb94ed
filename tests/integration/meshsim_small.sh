# meshsim on a small tree (1 city, 2 districts, 2 streets each, 2 grids
# each: 15 gridnode processes): writes at the grids, dispatches from every
# level, a grid and a street taken offline and brought back; every node
# must end in step with digests equal to its parent's.  Correctness only:
# no time limit but meshsim's own timeout.  Then: Ctrl-C stops every
# process it started, and bad arguments are refused.
. "$(dirname "$0")/lib.sh"
MESHSIM=${MESHSIM:-meshsim}

say "a small tree converges, offline nodes included"
"$MESHSIM" --shape 1,2,2,2 --writes 2000 --dispatch 48 --rounds 4 \
	--offline 440101001001002:1 --offline 440102002:2 \
	--work "$T/mesh" --timeout 120 --json >"$T/out.json" || fail "meshsim failed"
cat "$T/out.json"
python3 - "$T/out.json" <<'PY' || fail "meshsim's figures"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["in_step"] is True and r["nodes"] == 15, r
assert r["writes"] == 2000 and r["dispatches"] == 48, r
assert r["since_restart_s"] >= 0 and r["converge_s"] >= r["since_restart_s"], r
assert r["grid_rss_kb"] > 0 and r["city_rss_kb"] > 0, r
PY
[ -d "$T/mesh" ] && fail "the work folder was not removed"

say "every link's bytes counted through relays"
"$MESHSIM" --shape 1,1,1,2 --writes 200 --bytes --work "$T/bytes" --timeout 60 --json \
	>"$T/bytes.json" || fail "meshsim --bytes failed"
python3 - "$T/bytes.json" <<'PY' || fail "no bytes counted"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["load_bytes"] > 1000 and r["total_bytes"] >= r["load_bytes"], r
PY

say "Ctrl-C while it waits stops every gridnode it started"
"$MESHSIM" --shape 1,1,2,2 --writes 100 --offline 440101001001001:60 --work "$T/held" \
	>"$T/held.out" 2>&1 &
M=$!
PIDS="$PIDS $M"
wait_for 60 grep -q "last write" "$T/held.out" || { cat "$T/held.out"; fail "no load"; }
n=$(pgrep -f "gridnode -d $T/held/" | wc -l)
assert_eq "$n" 7 "gridnodes running (1 + 1 + 2 + 4, one grid offline)"
kill -INT "$M"
if wait "$M"; then fail "an interrupted meshsim exited 0"; fi
cat "$T/held.out"
grep -q "interrupted" "$T/held.out" || fail "no word of the interruption"
assert_eq "$(pgrep -f "gridnode -d $T/held/" | wc -l)" 0 "gridnodes left after Ctrl-C"

say "bad arguments"
expect_fail "$MESHSIM" --shape 2,1,1,1
expect_fail "$MESHSIM" --shape 1,4,4
expect_fail "$MESHSIM" --shape 1,1,1,1 --offline 4499:3
expect_fail "$MESHSIM" --writes many
echo ok
