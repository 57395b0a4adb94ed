# Replacing a node's key loses nothing and stays secure, with real gridnode
# processes over DTLS: a grid worker's laptop is lost, the street revokes
# its key, a new laptop is enrolled for the same grid.  The new laptop
# issues no id before it has its grid's records back, then gets them (and
# works on) without an id colliding; the old laptop, come back, has its
# edits after the revocation refused and counted while what it made before
# stays everywhere (even handed over late); a rebuilt district enrolled
# again takes all of that history.
. "$(dirname "$0")/lib.sh"

G=440106012001001
mknode c city 4401
mknode d district 440106 c
mknode s street 440106012 d
mknode g grid $G s
enrol_tree c d s g
for n in c d s g; do start $n; done

# ids: the sequence number of a ticket id
seqno() { echo "${1##*-}" | sed 's/^0*//'; }
tickets() { ctl "$T/$1" ticket list --json | python3 -c 'import json,sys; print(" ".join(sorted(t["id"] for t in json.load(sys.stdin))))'; }
title() { ctl "$T/$1" ticket show "$2" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["title"])'; }

say "the grid works and syncs"
A=$(ctl "$T/g" ticket add --category 0102 --title "bin at gate 3")
B=$(ctl "$T/g" ticket add --category 0110 --title "pothole")
wait_for 30 same_digest $G g s d c || fail "the grid's records did not converge"
old_key=$(head -c 16 "$T/g/node.pub")

say "offline, the laptop makes one more ticket; then it is lost"
stop g
F=$(ctl "$T/g" ticket add --category 0401 --title "made offline before the loss")
ctl "$T/g" seal >/dev/null
sleep 1.2
ctl "$T/s" revoke $G --reason "laptop lost" >"$T/revoke.out"
cat "$T/revoke.out"
grep -q "revoked key $old_key of $G" "$T/revoke.out" || fail "revoke does not name the key"

say "a new laptop for the same grid: the enrolment says it replaces a key"
mknode gn grid $G s
ctl "$T/s" enrol child "$T/gn" >"$T/enrol.out"
cat "$T/enrol.out"
grep -q "this replaces key $old_key of $G" "$T/enrol.out" || fail "no replacement line at enrolment"
secure gn
ctl "$T/s" certs | tee "$T/certs.out"
grep -q "key $old_key  revoked from" "$T/certs.out" || fail "certs does not show the revoked key"
ctl "$T/s" --json certs | python3 -c '
import json, sys
g = [c for c in json.load(sys.stdin) if c["code"] == sys.argv[1]][0]
keys = {k["key"]: k for k in g["keys"]}
assert g["trusted"], g
assert len(keys) == 2, keys
assert keys[sys.argv[2]]["revoked_at"] > 0 and not keys[sys.argv[2]]["current"], keys
assert [k for k in keys.values() if k["current"] and not k["revoked_at"]], keys
' $G "$old_key" || fail "certs --json: the keys of $G"

say "before its first sync it issues no id"
expect_fail ctl "$T/gn" ticket add --category 0102 --title "too early" >"$T/early.out"
grep -q "replace an earlier key of $G" "$T/early.out" || fail "early ticket add: no reclaim message"
grep -q "sync first" "$T/early.out" || fail "early ticket add: does not say to sync"
ctl "$T/gn" status | grep -q "re-keyed" || fail "status does not say re-keyed"

say "it syncs: its grid's records come back, the same as the street's"
start gn
wait_for 30 same_digest $G gn s || fail "the new laptop did not get its grid's records"
for t in $A $B; do ctl "$T/gn" ticket show "$t" >/dev/null || fail "$t did not come back"; done
wait_for 15 sh -c "! '$GRIDCTL' -d '$T/gn' status | grep -q re-keyed" || fail "reclaim never finished"

say "new tickets: no id collides, not even with the lost laptop's unsent one"
D=$(ctl "$T/gn" ticket add --category 0102 --title "from the new laptop")
E=$(ctl "$T/gn" ticket add --category 0103 --title "and another")
for t in $A $B $F; do
	[ "$t" != "$D" ] && [ "$t" != "$E" ] || fail "id $t issued twice"
done
[ "$(seqno "$D")" -gt "$(seqno "$F")" ] || fail "$D is not past the old laptop's ids"
wait_for 30 same_digest $G gn s d c || fail "the new laptop's tickets did not converge"

say "the old laptop comes back with edits after the revocation"
ctl "$T/g" ticket update "$A" --title "edited by whoever has the old laptop" >/dev/null
X=$(ctl "$T/g" ticket add --category 0102 --title "a ticket after the revocation")
expect_fail ctl "$T/g" sync >/dev/null
wait_for 10 sh -c "'$GRIDCTL' -d '$T/s' status | grep 'DTLS handshake failed' | grep -q 'key $old_key of $G revoked at'" ||
	{ ctl "$T/s" status; fail "the old laptop's handshake was not counted with its key"; }
say "handed over on a stick: what it made before stays, what after is refused"
ctl "$T/g" export -o "$T/old.gmx" >/dev/null
ctl "$T/s" import "$T/old.gmx" | tee "$T/import.out"
grep -Eq "^imported [1-9][0-9]* batches .* [1-9][0-9]* refused$" "$T/import.out" ||
	fail "the import should take the old history and refuse the later edits"
ctl "$T/s" status | tee "$T/status.out"
grep "signed by a revoked key" "$T/status.out" | grep -q "key $old_key of $G revoked at .*(laptop lost)" ||
	fail "status does not say which key and when"
ctl "$T/s" status --json | python3 -c '
import json, sys
r = {x["reason"]: x for x in json.load(sys.stdin)["rejected"]}
assert r["signed by a revoked key"]["count"] >= 1, r
' || fail "refusals not counted"
ctl "$T/s" ticket show "$X" >/dev/null 2>&1 && fail "a ticket made after the revocation got in"
wait_for 30 sh -c "'$GRIDCTL' -d '$T/gn' ticket show '$F' >/dev/null 2>&1" ||
	fail "the old laptop's offline ticket from before the loss did not reach the new one"
assert_eq "$(title gn "$A")" "bin at gate 3" "the revoked key's edit stayed out"
wait_for 30 same_digest $G gn s d c || fail "history differs between nodes"
held=$(tickets c)
assert_eq "$(tickets gn)" "$held" "the new laptop holds what the city holds"

say "the district server is rebuilt: a fresh store, a new key, the same code"
stop d
dport=$(cat "$T/d/port")
mknode d2 district 440106 c
sqlite3 "$T/d2/gridmesh.db" "UPDATE meta SET v = 'coap://127.0.0.1:$dport' WHERE k = 'listen'"
echo "$dport" >"$T/d2/port"
ctl "$T/c" enrol child "$T/d2" | grep -q "this replaces key" || fail "district replacement not flagged"
secure d2
start d2
wait_for 30 same_digest 440106 d2 c || fail "the rebuilt district did not get all history"
assert_eq "$(tickets d2)" "$held" "the rebuilt district holds every ticket"
ctl "$T/d2" status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
bad = [x for x in s["rejected"] if x["reason"] in ("authentication failed", "signed by a revoked key")]
assert not bad, bad
' || fail "the rebuilt district refused history"

say "the street takes the rebuilt district's certificate and syncs again"
stop s
ctl "$T/s" enrol request -o "$T/s.req" >/dev/null
ctl "$T/d2" enrol sign "$T/s.req" -o "$T/s.pkg" >/dev/null
ctl "$T/s" enrol install "$T/s.pkg" | tee "$T/install.out"
grep -q "the parent has a new key" "$T/install.out" || fail "no word of the parent's new key"
start s
Y=$(ctl "$T/gn" ticket add --category 0102 --title "after the district was rebuilt")
wait_for 30 same_digest $G gn s d2 c || fail "the tree did not converge after the rebuild"
ctl "$T/c" ticket show "$Y" >/dev/null || fail "a new ticket did not reach the city"
echo ok
