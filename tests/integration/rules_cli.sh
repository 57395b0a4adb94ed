#!/bin/sh
# rules_cli.sh - gridctl classify / rule / rules check / ticket dispatch on
# one node: outputs, proposals, and clear one-line errors for bad input.
. "$(dirname "$0")/lib.sh"

G=$T/grid
GRID=440106012023001
ctl "$G" init --level grid --code $GRID >/dev/null 2>&1

say "classify shows the ranking and why"
out=$(ctl "$G" classify "manhole cover missing, sewage smell")
echo "$out"
echo "$out" | grep -q '^0404  score 10 ' || fail "ranking"
echo "$out" | grep -q '+5  "manhole"  (rule 0404-en-manhole)' || fail "reasons"
ctl "$G" classify --json "路灯不亮" >"$T/c.json"
grep -q '"verdict": "clear"' "$T/c.json" && grep -q '"class": "0408"' "$T/c.json" ||
	fail "classify --json"
ctl "$G" classify "楼下烧烤油烟" | grep -q "verdict: unsure" || fail "unsure verdict"
ctl "$G" classify "please call me" | grep -q "verdict: none" || fail "none verdict"

say "ticket add without --category: unsure and no-match are refused with candidates"
expect_fail ctl "$G" ticket add --title "楼下烧烤油烟" | grep -q "0116 .*score 5" ||
	fail "candidates not listed"
expect_fail ctl "$G" ticket add --title "please call me" | grep -q "give --category" ||
	fail "no-match message"
assert_eq "$(ctl "$G" ticket list --json | grep -c '"id"')" 0 "tickets made by refused adds"
id=$(ctl "$G" ticket add --title "dead cat on the sidewalk" --address "5 Main St" 2>"$T/e")
grep -q 'category 0117 .*"dead cat" +5' "$T/e" || fail "proposal not explained"

say "--no-dispatch leaves a registered ticket alone; ticket dispatch does it"
ctl "$G" ticket update "$id" --status registered --no-dispatch 2>"$T/e"
[ -s "$T/e" ] && fail "--no-dispatch still dispatched: $(cat "$T/e")"
ctl "$G" ticket dispatch --dry-run "$id" | grep -q "(dry run) .*sanitation-0117" || fail "dry run"
ctl "$G" ticket show "$id" | grep -q "status *registered" || fail "dry run wrote"
ctl "$G" ticket dispatch --json "$id" | grep -q '"rule": "sanitation-0117"' || fail "dispatch"
ctl "$G" ticket show "$id" | grep -q "status *dispatched" || fail "not dispatched"
# dispatched again (to the same rule) is allowed; a closed one is not
ctl "$G" ticket dispatch "$id" >/dev/null || fail "re-dispatch"

say "rules are edited by name; overrides list where they come from"
ctl "$G" rule add dispatch --name sanitation-0117 --assignee grid-worker-li >/dev/null
ctl "$G" rule list dispatch --all | grep -q "sanitation-0117 .*sanitation .*default  \[overridden by $GRID:sanitation-0117\]" ||
	fail "override not listed"
ctl "$G" rule disable classify 0117-en-carcass >/dev/null
ctl "$G" classify "dead cat" | grep -q "verdict: none" || fail "disabled rule still counts"
ctl "$G" rule enable classify 0117-en-carcass >/dev/null
ctl "$G" classify "dead cat" | grep -q "clear -> 0117" || fail "re-enabled rule"
ctl "$G" rule list classify --json | grep -q '"overridden_by"' &&
	fail "in-effect list shows overridden rules"
ctl "$G" rules check | grep -q "no conflicts" || fail "rules check"

say "bad input: one clear line and a non-zero exit"
expect_fail ctl "$G" rule add dispatch --name x --class 0999 --assignee a --hours 1 |
	grep -q "'0999' is not an event class" || fail "unknown class"
expect_fail ctl "$G" rule add dispatch --name x --class 01 --assignee a --hours 1 \
	--area 440107001001001 | grep -q "outside this node" || fail "area outside"
expect_fail ctl "$G" rule add dispatch --name x --class 01 --hours 1 |
	grep -q "needs assignee" || fail "missing field"
expect_fail ctl "$G" rule add dispatch --name x --weight 3 | grep -q "not an option of dispatch" ||
	fail "option of the other kind"
expect_fail ctl "$G" rule add classify --name "a b" --class 0102 --lang zh --phrases x \
	--weight 1 | grep -q "is not 1-48" || fail "bad name"
expect_fail ctl "$G" rule add classify --name y --class 0102 --lang fr --phrases x --weight 1 |
	grep -q "not zh or en" || fail "bad language"
expect_fail ctl "$G" rule add classify --name y --class 0102 --lang en --phrases "a||b" \
	--weight 1 | grep -q "nothing to match" || fail "bad phrase"
expect_fail ctl "$G" rule add classify --name y --class 0102 --lang en --phrases a \
	--weight 11 >/dev/null
expect_fail ctl "$G" rule add shipping --name y >/dev/null
expect_fail ctl "$G" rule disable dispatch no-such-rule | grep -q "no dispatch rule" ||
	fail "disable unknown"
expect_fail ctl "$G" ticket dispatch no-such-ticket >/dev/null
expect_fail ctl "$G" classify "" >/dev/null
n=$(expect_fail ctl "$G" rule add dispatch --name x --class 0999 --assignee a --hours 1 | wc -l)
assert_eq "$n" 1 "error lines"
echo PASS
