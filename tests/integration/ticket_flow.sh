# ticket_flow.sh - the ticket lifecycle through gridctl: every legal move
# is taken, every illegal one refused (exit 1, one line, nothing changes),
# and the history lists each transition with who made it.
. "$GM_TOP/tests/integration/lib.sh"
use_asan_gridctl
D=$T/g
ctl "$D" init --level grid --code 440106012001001 --parent coap://127.0.0.1:5683 >/dev/null

status() {
	ctl "$D" ticket show "$1" --json | json_get 'd["status"]'
}

# move ID TO: a legal move, status follows
move() {
	# the lifecycle by hand: no dispatch rules between the steps
	ctl "$D" ticket update "$1" --status "$2" --no-dispatch --note "to $2" >/dev/null
	assert_eq "$(status "$1")" "$2" "status after move to $2"
}

# refuse ID TO: an illegal move, status stays
refuse() {
	before=$(status "$1")
	expect_exit 1 ctl "$D" ticket update "$1" --status "$2"
	grep -q "cannot go from $before to $2" "$T/.err" || fail "message for $before -> $2"
	assert_eq "$(status "$1")" "$before" "status after refused move to $2"
}

say "the whole life of a ticket, with a failed verification and a reopen"
A=$(GRIDMESH_ACTOR=li ctl "$D" ticket add --category 0102 --title "bin at gate 3" --priority 2)
assert_eq "$(status "$A")" reported "new ticket"
refuse "$A" dispatched
refuse "$A" closed
refuse "$A" reported
move "$A" registered
refuse "$A" resolved
refuse "$A" verified
move "$A" dispatched
move "$A" dispatched             # handed to another assignee
move "$A" in_progress
refuse "$A" closed
refuse "$A" registered
move "$A" resolved
move "$A" dispatched             # verification failed
move "$A" in_progress
move "$A" resolved
move "$A" verified
refuse "$A" resolved
move "$A" closed
refuse "$A" in_progress
refuse "$A" rejected
move "$A" registered             # reopened

say "rejection and reopen"
B=$(ctl "$D" ticket add --category 0102 --title "duplicate of $A")
move "$B" rejected
refuse "$B" dispatched
refuse "$B" closed
move "$B" registered
move "$B" rejected

say "closing stamps the time; the history has every move, who and when"
C=$(ctl "$D" ticket add --category 0102 --title "short life")
for s in registered dispatched in_progress resolved verified closed; do
	GRIDMESH_ACTOR=wang ctl "$D" ticket update "$C" --status "$s" --no-dispatch >/dev/null
done
ctl "$D" ticket show "$C" --json >"$T/c.json"
json_keys closed created <"$T/c.json"
[ "$(json_get 'd["closed"] is not None and d["closed"] >= d["created"]' <"$T/c.json")" = True ] ||
	fail "closed time not set"
moves=$(json_get '",".join(h["set"].get("status", "") for h in d["history"])' <"$T/c.json")
assert_eq "$moves" "reported,registered,dispatched,in_progress,resolved,verified,closed" "history"
actors=$(json_get '",".join(sorted(set(h["actor"] for h in d["history"][1:])))' <"$T/c.json")
assert_eq "$actors" wang "actors"
n=$(ctl "$D" ticket show "$A" --json | json_get 'len(d["history"])')
assert_eq "$n" 12 "history entries of $A (creation + 11 moves)"
ctl "$D" ticket show "$A" | grep -q 'note="to verified"' || fail "text history lacks the note"

say "comments and other fields do not need a move"
ctl "$D" ticket comment "$A" "called the owner" >/dev/null
ctl "$D" ticket update "$A" --assignee sanitation --priority 1 >/dev/null
assert_eq "$(ctl "$D" ticket show "$A" --json | json_get 'd["assignee"]')" sanitation assignee
assert_eq "$(ctl "$D" ticket show "$A" --json | json_get 'd["history"][-2]["note"]')" \
	"called the owner" "comment in history"
assert_eq "$(status "$A")" registered "status after other edits"

say "lists filter by status"
assert_eq "$(ctl "$D" ticket list --status rejected --json | json_get '[t["id"] for t in d]')" \
	"['$B']" "rejected tickets"
assert_eq "$(ctl "$D" ticket list --status closed --json | json_get 'len(d)')" 1 "closed tickets"
