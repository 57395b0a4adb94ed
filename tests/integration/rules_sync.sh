#!/bin/sh
# rules_sync.sh - rule changes made at the city reach a grid by sneakernet
# (export --for / import, city -> district -> street -> grid) and change
# the grid's next classification and dispatch; a conflict that arrives the
# same way is refused by name until a lower node settles it.
. "$(dirname "$0")/lib.sh"

C=$T/city D=$T/district S=$T/street G=$T/grid
GRID=440106012023001
ctl "$C" init --level city --code 4401 >/dev/null
ctl "$D" init --level district --code 440106 >/dev/null 2>&1
ctl "$S" init --level street --code 440106012 >/dev/null 2>&1
ctl "$G" init --level grid --code $GRID >/dev/null 2>&1

# carry DIR's changes for node CODE into NEXT: city -> district -> street -> grid
down() {
	ctl "$C" export --for 440106 -o "$T/c.gmx" >/dev/null
	ctl "$D" import "$T/c.gmx" >/dev/null
	ctl "$D" export --for 440106012 -o "$T/d.gmx" >/dev/null
	ctl "$S" import "$T/d.gmx" >/dev/null
	ctl "$S" export --for $GRID -o "$T/s.gmx" >/dev/null
	ctl "$G" import "$T/s.gmx" >/dev/null
}

# new_ticket TITLE: a ticket at the grid, category proposed from the title,
# then registered (which dispatches it); prints its id
new_ticket() {
	id=$(ctl "$G" ticket add --title "$1" 2>>"$T/add.err")
	ctl "$G" ticket update "$id" --status registered 2>>"$T/reg.err" >/dev/null
	echo "$id"
}

field() {
	ctl "$1" ticket show "$2" | sed -n "s/^  $3 *//p"
}

say "shipped rules: 垃圾桶满了 is exposed rubbish, dispatched to sanitation in 4 h"
T1=$(new_ticket "小区门口垃圾桶满了")
assert_eq "$(field "$G" "$T1" category)" 0102 "proposed category"
grep -q "category 0102" "$T/add.err" || fail "ticket add did not say which category and why"
assert_eq "$(field "$G" "$T1" status)" dispatched "status after registration"
assert_eq "$(field "$G" "$T1" assignee)" sanitation "assignee by the shipped rule"
ctl "$G" ticket show "$T1" | grep -q 'note="dispatched by rule sanitation-0102 (sanitation, 4 h)"' ||
	fail "the rule used is not in the ticket's history"

say "the city changes the rule and adds a phrase; the grid has not heard yet"
ctl "$C" rule add dispatch --name sanitation-0102 --assignee city-env-bureau --hours 2 >/dev/null
ctl "$C" rule add classify --name bin-slang --class 0102 --lang zh --phrases "桶爆了" \
	--weight 6 >/dev/null
ctl "$C" rule list dispatch | grep -q "sanitation-0102 .*city-env-bureau .*4401" ||
	fail "city does not list its own override"
T2=$(new_ticket "垃圾桶满了没人收")
assert_eq "$(field "$G" "$T2" assignee)" sanitation "grid before the sync"
ctl "$G" classify "楼下的桶爆了" | grep -q "verdict: none" || fail "grid knew the phrase early"

say "sneakernet city -> district -> street -> grid"
down
ctl "$G" rule list dispatch --all | grep -q "sanitation-0102 .*4401  \[in_effect\]" ||
	fail "the city's override is not in effect at the grid"
T3=$(new_ticket "垃圾桶满了没人收")
assert_eq "$(field "$G" "$T3" assignee)" city-env-bureau "grid dispatch after the sync"
ctl "$G" ticket show "$T3" |
	grep -q 'note="dispatched by rule 4401:sanitation-0102 (city-env-bureau, 2 h)"' ||
	fail "history does not name the city's rule"
ctl "$G" classify "楼下的桶爆了" | grep -q "verdict: clear -> 0102" ||
	fail "the city's new phrase does not classify at the grid"

say "importing the same files again changes nothing"
ctl "$G" import "$T/s.gmx" | grep -q "0 batches" || fail "re-import applied batches"

say "a conflict made at the city is refused at the grid, by name"
ctl "$C" rule add dispatch --name dumping-a --class 0103 --area 440106 --assignee team-a \
	--hours 8 >/dev/null
ctl "$C" rule add dispatch --name dumping-b --class 0103 --area 440106 --assignee team-b \
	--hours 8 >/dev/null
down
T4=$(new_ticket "路边有人乱倒建筑垃圾")
assert_eq "$(field "$G" "$T4" status)" registered "registered, not dispatched, on a conflict"
grep -q "conflicting dispatch rules for class 0103.*4401:dumping-a.*4401:dumping-b" \
	"$T/reg.err" || fail "registration did not name the conflicting rules"
expect_fail ctl "$G" ticket dispatch "$T4" | grep -q "4401:dumping-a (team-a, 8 h), 4401:dumping-b" ||
	fail "ticket dispatch did not name the conflicting rules"
expect_fail ctl "$G" rules check | grep -q "conflict: dispatch rules 4401:dumping-a" ||
	fail "rules check at the grid did not list the conflict"
expect_fail ctl "$C" rules check >/dev/null

say "the district settles it for its subtree; the grid dispatches again"
ctl "$D" rule disable dispatch dumping-b | grep -q "440106:dumping-b disabled" ||
	fail "district disable"
down
ctl "$G" rules check | grep -q "no conflicts" || fail "conflict still reported at the grid"
ctl "$G" ticket dispatch "$T4" | grep -q "dispatched by rule 4401:dumping-a (team-a, 8 h)" ||
	fail "dispatch after the district's fix"
assert_eq "$(field "$G" "$T4" assignee)" team-a "assignee after the fix"
# the conflict lives only inside 440106: once the district's record travels
# up, the city sees it settled too
ctl "$D" export --for 4401 -o "$T/up.gmx" >/dev/null
ctl "$C" import "$T/up.gmx" >/dev/null
ctl "$C" rules check | grep -q "no conflicts" || fail "city still reports a settled conflict"

say "city and grid agree on the grid's records and every reference table"
ctl "$G" export --for 440106012 -o "$T/g.gmx" >/dev/null
ctl "$S" import "$T/g.gmx" >/dev/null
ctl "$S" export --for 440106 -o "$T/s2.gmx" >/dev/null
ctl "$D" import "$T/s2.gmx" >/dev/null
ctl "$D" export --for 4401 -o "$T/d2.gmx" >/dev/null
ctl "$C" import "$T/d2.gmx" >/dev/null
assert_eq "$(ctl "$C" digest --scope $GRID)" "$(ctl "$G" digest --scope $GRID)" "digests"
echo PASS
