# A 3-level tree of real gridnode processes: offline tickets at grids and
# the district converge; each node holds exactly its scope; a ticket
# dispatched down reaches its grid and no sibling.
. "$(dirname "$0")/lib.sh"

mknode d district 440106
mknode s1 street 440106012 d
mknode s2 street 440106013 d
mknode g11 grid 440106012001001 s1
mknode g12 grid 440106012001002 s1
mknode g21 grid 440106013001001 s2
mknode g22 grid 440106013001002 s2

say "tickets made offline, before any daemon runs"
A=$(ctl "$T/g11" ticket add --category 0102 --title "bin at gate 3")
B=$(ctl "$T/g21" ticket add --category 0110 --title "pothole" --priority 2)
C=$(ctl "$T/d" ticket add --category 0401 --title "road collapse" --scope 440106012001002)
D=$(ctl "$T/d" ticket add --category 0504 --title "district-level case")
ctl "$T/g11" asset add --code 0101 --name "manhole 7" >/dev/null

for n in d s1 s2 g11 g12 g21 g22; do start $n; done

say "everything converges"
wait_for 20 same_digest 440106012001001 g11 s1 d || fail "g11's records did not reach the district"
wait_for 20 same_digest 440106013001001 g21 s2 d || fail "g21's records did not reach the district"
wait_for 20 same_digest 440106012001002 g12 s1 d || fail "the district's ticket did not reach g12"
assert_eq "$(count d)" 4 "district holds every ticket"
assert_eq "$(count s1)" 2 "street s1 holds its subtree"
assert_eq "$(count s2)" 1 "street s2 holds its subtree"
assert_eq "$(count g11)" 1 "g11 holds its own"
assert_eq "$(count g12)" 1 "g12 got the dispatched ticket"
assert_eq "$(count g22)" 0 "g22 got nothing"

say "a dispatch from the district reaches only its grid"
ctl "$T/d" ticket update "$A" --status registered --assignee sanitation --note "dispatched" >/dev/null
wait_for 20 sh -c "'$GRIDCTL' -d '$T/g11' ticket show '$A' | grep -q 'assignee *sanitation'" ||
	fail "dispatch did not reach g11"
wait_for 20 same_digest 440106012 s1 d || fail "s1 and d differ on s1's subtree"
ctl "$T/g12" ticket show "$A" >/dev/null 2>&1 && fail "g12 holds a sibling's ticket"
ctl "$T/s2" ticket show "$A" >/dev/null 2>&1 && fail "s2 holds another street's ticket"

say "status shows children and no backlog"
ctl "$T/s1" status
ctl "$T/s1" status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
kids = sorted(c["code"] for c in s["children"])
assert kids == ["440106012001001", "440106012001002"], kids
assert s["backlog_batches"] == 0, s
'
say "well-known/core lists the resources"
out=$($COAP_CLIENT -m get "coap://127.0.0.1:$(cat "$T/s1/port")/.well-known/core" 2>&1)
echo "$out"
echo "$out" | grep -q '</v1/up>;.*rt="gridmesh.up"' || fail "v1/up not listed"
echo "$out" | grep -q '</v1/bell>.*obs' || fail "v1/bell not listed as observable"

say "the district's views over CoAP, as a stock CoAP client reads them"
out=$($COAP_CLIENT -m get "coap://127.0.0.1:$(cat "$T/d/port")/views/tickets?by=status,grid" 2>&1)
echo "$out"
echo "$out" | python3 -c '
import json, sys
v = json.load(sys.stdin)
total = sum(r[v["columns"].index("count")] for r in v["rows"])
assert total == 4, v
' || fail "views/tickets over CoAP"
out=$($COAP_CLIENT -m get "coap://127.0.0.1:$(cat "$T/d/port")/views/tickets?by=nonsense" 2>&1)
echo "$out" | grep -q "4.00" || fail "a bad view query was not refused: $out"

say "clean shutdown on SIGTERM"
for n in g11 g12 g21 g22 s1 s2 d; do stop $n; done
grep -q "shutting down" "$T/d.log" || fail "no clean shutdown"
echo ok
