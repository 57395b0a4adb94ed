# A grid offline while both it and the district edit the same tickets:
# after it comes back every node converges and both edits stay visible in
# the history of each ticket, the losing one marked as lost.
. "$(dirname "$0")/lib.sh"

mknode d district 440106
mknode s street 440106012 d
mknode g grid 440106012001001 s
for n in d s g; do start $n; done

A=$(ctl "$T/g" ticket add --category 0102 --title "bin")
B=$(ctl "$T/g" ticket add --category 0110 --title "pothole")
wait_for 20 same_digest 440106012001001 g s d || fail "initial sync"

say "grid goes offline; both sides edit the same fields"
stop g
ctl "$T/g" ticket update "$A" --status registered --no-dispatch --note "grid: seen it" >/dev/null
ctl "$T/g" ticket update "$B" --priority 1 >/dev/null
sleep 0.05
ctl "$T/d" ticket update "$A" --status rejected --note "district: duplicate" >/dev/null
ctl "$T/d" ticket update "$B" --assignee roads >/dev/null
wait_for 20 same_digest 440106012001001 s d || fail "district edit did not reach the street"

say "grid back: converges"
start g
wait_for 30 same_digest 440106012001001 g s d || fail "no convergence after reconnect"

say "both status edits are in the history; the older one is marked lost"
for n in g s d; do
	ctl "$T/$n" ticket show "$A" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
sets = [h for h in t["history"] if "status" in h["set"]]
vals = [h["set"]["status"] for h in sets]
assert "registered" in vals and "rejected" in vals, vals
lost = [h["set"]["status"] for h in sets if "status" in h["lost"]]
assert len(lost) == 1, sets
assert t["status"] not in lost, (t["status"], lost)
notes = [h["note"] for h in t["history"] if h["note"]]
assert "grid: seen it" in notes and "district: duplicate" in notes, notes
'
	ctl "$T/$n" ticket show "$B" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert t["priority"] == 1 and t["assignee"] == "roads", t   # different fields: both survive
'
done
echo ok
