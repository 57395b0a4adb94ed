# kill -9 of the street at random moments while its grid uploads large
# batches (and while it forwards them to the district), restart after each
# kill: stores stay intact, nothing is lost, nothing is applied twice.
. "$(dirname "$0")/lib.sh"
GRIDBENCH=${GRIDBENCH:-gridbench}
ROUNDS=${ROUNDS:-4}
PER=6000

mknode d district 440106
mknode s street 440106012 d
mknode g grid 440106012001001 s
start d
start s
start g

total=0
for r in $(seq 1 "$ROUNDS"); do
	"$GRIDBENCH" --fill "$T/g" -n $PER --data "$GRIDMESH_DATA" >/dev/null
	total=$((total + PER))
	# somewhere in the upload, the apply or the forward to the district
	delay=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 250 ))
	sleep "$(printf '0.%03d' "$delay")"
	say "round $r: kill -9 the street after ${delay} ms"
	stop s KILL
	sqlite3 "$T/s/gridmesh.db" 'PRAGMA integrity_check' | grep -qx ok || fail "street store damaged"
	start s
done

wait_for 120 same_digest 440106012001001 g s d || fail "no convergence after the kills"
assert_eq "$(count d)" $total "district holds every ticket once"
assert_eq "$(count s)" $total "street holds every ticket once"
for n in g s d; do
	sqlite3 "$T/$n/gridmesh.db" 'PRAGMA integrity_check' | grep -qx ok || fail "$n damaged"
done
say "no change was applied twice: one history entry per ticket at the district"
sqlite3 "$T/d/gridmesh.db" 'SELECT count(*) FROM batches WHERE origin != 0' >/dev/null
for id in 000001 000777 $(printf '%06d' $total); do
	ctl "$T/d" ticket show "440106012001001-$id" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert len(t["history"]) == 1, t["history"]
'
done
grep -c "push from" "$T/s.log" || true
echo ok
