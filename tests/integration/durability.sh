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
"$TESTFILL" "$SRC" "$N" 250
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
ctl "$V" init --level street --code 440106012 >/dev/null 2>&1
prev=0 kills=0 midway=0 round=0
while [ "$round" -lt 12 ]; do
	round=$((round + 1))
	# somewhere inside what is left of the import (reading and skipping the
	# batches already in takes a little too)
	left=$(( tref * (NB - prev) / NB + tref / 4 + 20 ))
	delay=$(awk -v s="$SEED" -v i="$round" -v l="$left" \
		'BEGIN { srand(s * 131 + i); printf "%.3f", l * (0.05 + 0.5 * rand()) / 1000 }')
	"$GRIDCTL" -d "$V" import "$T/big.gmx" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	check=$(q 'PRAGMA integrity_check')
	assert_eq "$check" ok "integrity after kill $round"
	applied=$(q 'SELECT count(*) FROM batches')
	tickets=$(q 'SELECT count(*) FROM ticket')
	changes=$(q 'SELECT coalesce(sum(nchanges), 0) FROM batches')
	# each batch is one transaction: its record changes are all in, or none
	assert_eq "$tickets" "$changes" "tickets vs changes of the batches held, kill $round"
	[ "$applied" -ge "$prev" ] || fail "batches went from $prev to $applied"
	ctl "$V" digest >/dev/null || fail "store does not open after kill $round"
	say "round $round: killed after ${delay}s (exit $rc): $applied of $NB batches in"
	[ "$rc" = 137 ] && kills=$((kills + 1))
	[ "$rc" = 137 ] && [ "$applied" -gt "$prev" ] && [ "$applied" -lt "$NB" ] &&
		midway=$((midway + 1))
	prev=$applied
	[ "$applied" -lt "$NB" ] || break
done
say "$kills kills, $midway of them in the middle of the import"
[ "$midway" -ge 2 ] || fail "too few kills landed mid-import ($midway)"

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
