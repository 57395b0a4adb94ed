# exchange.sh - sneakernet sync between a grid, its street, a sibling grid
# and the district above, with gridctl export/import: digests per scope
# agree, re-imports change nothing, each node gets only what it holds,
# residents stop at the street, and a concurrent edit resolves the same way
# on both sides with the loser visible in history.
. "$GM_TOP/tests/integration/lib.sh"
use_asan_gridctl
G=$T/grid1 G2=$T/grid2 S=$T/street D=$T/district
GC=440106012001001
ctl "$G" init --level grid --code $GC --parent coap://127.0.0.1:5683 >/dev/null
ctl "$G2" init --level grid --code 440106012001002 --parent coap://127.0.0.1:5683 >/dev/null
ctl "$S" init --level street --code 440106012 --parent coap://127.0.0.1:5684 >/dev/null
ctl "$D" init --level district --code 440106 --parent coap://127.0.0.1:5685 >/dev/null

# digest_eq A B SCOPE: both nodes hold the same records of SCOPE
digest_eq() {
	a=$(ctl "$1" digest --scope "$3")
	b=$(ctl "$2" digest --scope "$3")
	assert_eq "$a" "$b" "digest of $3 on $(basename "$1") and $(basename "$2")"
}

# import_json DIR FILE: imports, prints the --json summary
import_json() {
	ctl "$1" --json import "$2"
}

say "the grid works offline"
A=$(ctl "$G" ticket add --category 0102 --title "bin at gate 3")
B=$(ctl "$G" ticket add --category 0101 --title "shed on the lawn" --priority 2)
ctl "$G" ticket update "$B" --status registered --no-dispatch --note "seen it" >/dev/null
ctl "$G" asset add --code 0101 --name "manhole 7" --lat 23.1 --lon 113.2 >/dev/null
# sensitive fields need an enrolled node (privacy.sh); these travel in clear
H=$(ctl "$G" household add --head "Zhang San")
ctl "$G" resident add --name "Zhang San" --household "$H" --birth-year 1949 >/dev/null

say "grid -> street"
ctl "$G" --json export -o "$T/g1.gmx" >"$T/ex1.json"
N1=$(json_get 'd["batches"]' <"$T/ex1.json")
C1=$(json_get 'd["cursor"]' <"$T/ex1.json")
[ "$N1" -ge 2 ] || fail "expected the shared and the residents' batch, got $N1"
import_json "$S" "$T/g1.gmx" >"$T/im1.json"
assert_eq "$(json_get 'd["batches_applied"]' <"$T/im1.json")" "$N1" "batches applied"
assert_eq "$(json_get 'd["batches_refused"] + d["changes_refused"]' <"$T/im1.json")" 0 "refused"
digest_eq "$G" "$S" $GC
ctl "$S" resident list --json | json_get 'd[0]["name"]' | grep -q "Zhang San" ||
	fail "the street holds the grid's residents"

say "re-import is a no-op"
before=$(ctl "$S" digest)
import_json "$S" "$T/g1.gmx" >"$T/im2.json"
assert_eq "$(json_get 'd["batches_applied"]' <"$T/im2.json")" 0 "batches applied again"
assert_eq "$(json_get 'd["batches_duplicate"]' <"$T/im2.json")" "$N1" "duplicates"
assert_eq "$(json_get 'd["changes_applied"]' <"$T/im2.json")" 0 "changes applied again"
assert_eq "$(ctl "$S" digest)" "$before" "street digest after re-import"
import_json "$G" "$T/g1.gmx" >"$T/im3.json"   # a node's own export coming back
assert_eq "$(json_get 'd["batches_duplicate"]' <"$T/im3.json")" "$N1" "own batches"

say "street -> grid: only what the grid holds"
ctl "$S" ticket update "$A" --assignee sanitation >/dev/null
SA=$(ctl "$S" ticket add --category 0102 --title "for grid 1" --scope $GC)
SS=$(ctl "$S" ticket add --category 0102 --title "the street's own")
SB=$(ctl "$S" ticket add --category 0102 --title "for grid 2" --scope 440106012001002)
ctl "$S" --json export --for $GC -o "$T/s1.gmx" >"$T/ex2.json"
import_json "$G" "$T/s1.gmx" >"$T/im4.json"
assert_eq "$(json_get 'd["batches_refused"] + d["changes_refused"]' <"$T/im4.json")" 0 "refused"
assert_eq "$(ctl "$G" ticket show "$A" --json | json_get 'd["assignee"]')" sanitation "assignee"
ctl "$G" ticket show "$SA" >/dev/null
expect_exit 1 ctl "$G" ticket show "$SS"
expect_exit 1 ctl "$G" ticket show "$SB"
digest_eq "$G" "$S" $GC
ctl "$S" export --for 440106012001002 -o "$T/s2.gmx" >/dev/null
ctl "$G2" import "$T/s2.gmx" >/dev/null
ctl "$G2" ticket show "$SB" >/dev/null
expect_exit 1 ctl "$G2" ticket show "$A"
digest_eq "$G2" "$S" 440106012001002

say "a grid cannot edit what is not its own, even when it holds a copy"
ctl "$S" export -o "$T/all.gmx" >/dev/null
ctl "$G2" import "$T/all.gmx" >/dev/null
expect_exit 1 ctl "$G2" ticket update "$A" --priority 1
grep -q "outside 440106012001002" "$T/.err" || fail "scope message"
expect_exit 1 ctl "$G" ticket add --category 0102 --title x --scope 440106012001002
ctl "$G2" ticket update "$SB" --priority 1 >/dev/null   # its own: fine

say "concurrent edits of one field: same winner on both sides, loser in history"
ctl "$G" ticket update "$A" --status registered --no-dispatch --note "grid says register" >/dev/null
ctl "$S" ticket update "$A" --status rejected --note "street says duplicate" >/dev/null
ctl "$G" ticket update "$B" --priority 1 >/dev/null          # different fields of B
ctl "$S" ticket update "$B" --assignee police >/dev/null
ctl "$G" --json export --since "$C1" -o "$T/g2.gmx" >"$T/ex3.json"
import_json "$S" "$T/g2.gmx" >/dev/null
ctl "$S" export --for $GC -o "$T/s3.gmx" >/dev/null
import_json "$G" "$T/s3.gmx" >/dev/null
digest_eq "$G" "$S" $GC
sg=$(ctl "$G" ticket show "$A" --json | json_get 'd["status"]')
ss=$(ctl "$S" ticket show "$A" --json | json_get 'd["status"]')
assert_eq "$sg" "$ss" "status of $A after merging"
for n in "$G" "$S"; do
	ctl "$n" ticket show "$A" >"$T/show.txt"
	[ "$(grep -c 'lost to a concurrent edit' "$T/show.txt")" = 1 ] ||
		{ cat "$T/show.txt"; fail "one loser marked in $(basename "$n")"; }
	grep -q "status=registered" "$T/show.txt" || fail "grid's value kept in history"
	grep -q "status=rejected" "$T/show.txt" || fail "street's value kept in history"
	lost=$(ctl "$n" ticket show "$A" --json | json_get '[h["set"]["status"] for h in d["history"] if h["lost"]]')
	[ "$lost" = "['registered']" ] || [ "$lost" = "['rejected']" ] || fail "lost: $lost"
	ctl "$n" ticket show "$B" --json >"$T/b.json"
	assert_eq "$(json_get 'd["priority"], d["assignee"]' <"$T/b.json")" "1 police" \
		"both edits of $B survive"
done

say "an export since a cursor carries only what is new"
# g2.gmx (exported --since the first export's cursor) into a fresh node:
# the grid's new edits and what it got from the street, none of the first
ctl "$T/fresh" init --level street --code 440106012 >/dev/null 2>&1
N3=$(json_get 'd["batches"]' <"$T/ex3.json")
import_json "$T/fresh" "$T/g2.gmx" | json_get 'd["batches_applied"]' | grep -qx "$N3" ||
	fail "fresh import of the since-cursor export"
assert_eq "$(ctl "$T/fresh" resident list --json | json_get 'len(d)')" 0 "residents of the first export"
assert_eq "$(ctl "$T/fresh" ticket show "$B" --json | json_get 'd["title"], d["priority"]')" \
	"None 1" "only the new edit of $B"
C4=$(ctl "$G" --json export -o "$T/g3.gmx" | json_get 'd["cursor"]')
ctl "$G" --json export --since "$C4" -o "$T/g4.gmx" | json_get 'd["batches"]' | grep -qx 0 ||
	fail "nothing new should mean an empty export"

say "street -> district: tickets and assets, no residents"
ctl "$S" export --for 440106 -o "$T/up.gmx" >/dev/null
import_json "$D" "$T/up.gmx" >"$T/im5.json"
assert_eq "$(json_get 'd["batches_refused"] + d["changes_refused"]' <"$T/im5.json")" 0 "refused"
assert_eq "$(ctl "$D" resident list --json | json_get 'len(d)')" 0 "residents above the street"
assert_eq "$(ctl "$D" household list --json | json_get 'len(d)')" 0 "households above the street"
assert_eq "$(ctl "$D" ticket list --json | json_get 'sorted(t["id"] for t in d)')" \
	"$(ctl "$S" ticket list --json | json_get 'sorted(t["id"] for t in d)')" "tickets at the district"
ctl "$D" ticket show "$A" --json | json_get 'd["status"]' | grep -qx "$ss" || fail "district status"
before=$(ctl "$D" digest)
import_json "$D" "$T/up.gmx" | json_get 'd["batches_applied"]' | grep -qx 0 || fail "re-import"
assert_eq "$(ctl "$D" digest)" "$before" "district digest after re-import"
