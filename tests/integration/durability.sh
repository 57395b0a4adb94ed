# durability.sh - brief rule 7: an import killed with SIGKILL at a random
# moment leaves the store consistent (SQLite's integrity check passes, and
# every batch is in completely or not at all), and importing the same file
# again completes it, ending in the digest of a node that imported it
# without interruption.  GM_SEED repeats the kill times.
. "$GM_TOP/tests/integration/lib.sh"
N=${GM_DURABILITY_TICKETS:-20000}
SEED=${GM_SEED:-$$}
TESTFILL=${TESTFILL:-$GM_TOP/build/testfill}
SRC=$T/grid REF=$T/reference V=$T/victim
say "seed $SEED (GM_SEED=$SEED repeats it), $N tickets"

ms() { date +%s%3N; }
q() { sqlite3 "$V/gridmesh.db" "$1"; }

say "a grid with $N tickets, exported"
ctl "$SRC" init --level grid --code 440106012001001 --parent coap://127.0.0.1:5683 >/dev/null
"$TESTFILL" "$SRC" "$N" 200
NB=$(ctl "$SRC" --json export -o "$T/big.gmx" | json_get 'd["batches"]')
[ "$NB" -ge 20 ] || fail "want many batches to kill between, got $NB"

say "reference: an import nobody interrupts"
ctl "$REF" init --level street --code 440106012 >/dev/null 2>&1
t0=$(ms)
ctl "$REF" import "$T/big.gmx" >/dev/null
tref=$(( $(ms) - t0 ))
DREF=$(ctl "$REF" digest)
assert_eq "$(ctl "$REF" --json ticket list | json_get 'len(d)')" "$N" "tickets at the reference"
say "uninterrupted import: $tref ms"

say "the victim: imports killed at random moments"
# Timing on a shared machine varies a lot, so the kill time adapts: an
# import that finished before its kill tells how long a whole one takes
# now, and the victim starts over until enough kills have landed in the
# middle of an import.  The loop ends on such a kill, leaving a half-done
# import for the last step to complete.
NEED=4
victim() {
	rm -rf "$V"
	ctl "$V" init --level street --code 440106012 >/dev/null 2>&1
}
victim
est=$tref kills=0 midway=0 round=0 restarts=0
while [ "$round" -lt 40 ]; do
	round=$((round + 1))
	prev=$(q 'SELECT count(*) FROM batches')
	# somewhere inside what is left (reading and skipping the batches
	# already in takes a little too)
	left=$(( est * (NB - prev) / NB + est / 4 + 20 ))
	delay=$(awk -v s="$SEED" -v i="$round" -v l="$left" \
		'BEGIN { srand(s * 131 + i); printf "%.3f", l * (0.05 + 0.6 * rand()) / 1000 }')
	t0=$(ms)
	"$GRIDCTL" -d "$V" import "$T/big.gmx" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	took=$(( $(ms) - t0 ))
	check=$(q 'PRAGMA integrity_check')
	assert_eq "$check" ok "integrity after kill $round"
	applied=$(q 'SELECT count(*) FROM batches')
	tickets=$(q 'SELECT count(*) FROM ticket')
	changes=$(q 'SELECT coalesce(sum(nchanges), 0) FROM batches')
	# each batch is one transaction: its record changes are all in, or none
	assert_eq "$tickets" "$changes" "tickets vs changes of the batches held, kill $round"
	[ "$applied" -ge "$prev" ] || fail "batches went from $prev to $applied"
	ctl "$V" digest >/dev/null || fail "store does not open after kill $round"
	say "round $round: kill after ${delay}s (exit $rc): $prev -> $applied of $NB batches"
	[ "$rc" = 137 ] && kills=$((kills + 1))
	if [ "$rc" = 137 ] && [ "$applied" -gt "$prev" ] && [ "$applied" -lt "$NB" ]; then
		midway=$((midway + 1))
		[ "$midway" -ge "$NEED" ] && break
	fi
	if [ "$applied" -ge "$NB" ]; then
		# finished before the kill: a whole import takes less than we thought
		est=$(( took * NB / (NB - prev) * 3 / 4 ))
		restarts=$((restarts + 1))
		victim
	fi
done
say "$kills kills, $midway in the middle of an import, $restarts fresh starts"
[ "$midway" -ge "$NEED" ] || fail "too few kills landed mid-import ($midway)"

say "import again: completes, same state as the reference"
ctl "$V" --json import "$T/big.gmx" >"$T/last.json"
assert_eq "$(json_get 'd["batches_applied"] + d["batches_duplicate"]' <"$T/last.json")" "$NB" \
	"batches accounted for"
assert_eq "$(json_get 'd["batches_refused"]' <"$T/last.json")" 0 "batches refused"
assert_eq "$(q 'PRAGMA integrity_check')" ok "integrity at the end"
assert_eq "$(ctl "$V" digest)" "$DREF" "digest of the victim vs the reference"
assert_eq "$(ctl "$V" --json import "$T/big.gmx" | json_get 'd["batches_applied"]')" 0 \
	"a last re-import changes nothing"
assert_eq "$(ctl "$V" digest)" "$DREF" "digest after the last re-import"
