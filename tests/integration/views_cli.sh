# gridctl calendar, limit, deadlines on ticket add, and the aggregated
# views (tickets, assets, kpi, overdue) as tables and as JSON.
. "$(dirname "$0")/lib.sh"

D=$T/district
ctl "$D" init --level district --code 440106 >/dev/null

say "calendar: set, show, refuse nonsense, working-time arithmetic"
ctl "$D" calendar set workday_start=09:00 workday_end=18:00 workdays=1-5 utc_offset=+08:00 >/dev/null
ctl "$D" calendar show --json >"$T/cal.json"
python3 - "$T/cal.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
assert c == {"workday_start": "09:00", "workday_end": "18:00", "workdays": "1-5",
             "utc_offset": "+08:00", "workday_minutes": 540}, c
PY
expect_fail ctl "$D" calendar set workdays=0 | grep -q "workdays: '0' is not" || fail "bad workdays"
expect_fail ctl "$D" calendar set workday_start=19:00 | grep -q "after workday_start" ||
	fail "start after end accepted"
expect_fail ctl "$D" calendar set colour=blue | grep -q "no calendar setting" || fail "bad key"
# Friday 2024-01-05 16:00 +08:00 + 4 working hours = Monday 11:00
assert_eq "$(ctl "$D" calendar add 1704441600 4wh)" "2024-01-08T11:00:00+08:00" "4wh over a weekend"
assert_eq "$(ctl "$D" calendar add 1704441600 1wd)" "2024-01-08T16:00:00+08:00" "1wd"
assert_eq "$(ctl "$D" calendar add 1704441600 2h)" "2024-01-05T18:00:00+08:00" "2h"
expect_fail ctl "$D" calendar add 1704441600 4x >/dev/null

say "time limits: shipped table, set only at the city"
ctl "$D" limit list | grep -q "^handle-0102 .*4wh" || fail "handle-0102 not listed"
expect_fail ctl "$D" limit set --stage handle --category 0102 --duration 3wh |
	grep -q "set on the city node" || fail "district may not set limits"
C=$T/city
ctl "$C" init --level city --code 4401 >/dev/null
assert_eq "$(ctl "$C" limit set --stage handle --category 0102 --duration 3wh --note test)" \
	"handle-0102" "limit key"
ctl "$C" limit list --json | python3 -c '
import json, sys
rows = {r["id"]: r for r in json.load(sys.stdin)}
assert rows["handle-0102"]["duration"] == "3wh", rows["handle-0102"]
assert rows["dispatch-p1"]["priority"] == 1 and rows["dispatch-p1"]["duration"] == "10m"
'
expect_fail ctl "$C" limit set --stage fix --duration 1h >/dev/null
expect_fail ctl "$C" limit set --stage handle --duration 4 >/dev/null

say "ticket add takes its deadline from the category's limit"
T1=$(ctl "$D" ticket add --category 0102 --title "bin overflowing" --scope 440106012023001 \
	--lat 23.13 --lon 113.26 --priority 2)
ctl "$D" ticket show "$T1" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
# 30 working minutes to dispatch and 4 working hours: at least 4.5 h away
assert t["deadline"] - t["created"] >= 4.5 * 3600, t
'
T2=$(ctl "$D" ticket add --category 0401 --title "road collapse" --scope 440106012023002 \
	--priority 1 --deadline 2020-01-01)
T3=$(ctl "$D" ticket add --category 0104 --title "street not swept" --scope 440106013001001)
T4=$(ctl "$D" ticket add --category 0104 --title "leaves" --scope 440106013001001 --deadline 2020-01-01)
ctl "$D" ticket update "$T4" --status rejected --note "duplicate" >/dev/null
T5=$(ctl "$D" ticket add --category 0201 --title "posters" --scope 440106013001002)
for s in registered dispatched in_progress resolved verified closed; do
	ctl "$D" ticket update "$T5" --status $s >/dev/null
done
ctl "$D" asset add --code 0101 --state damaged --scope 440106012023001 >/dev/null
ctl "$D" asset add --code 0101 --scope 440106012023001 >/dev/null
ctl "$D" asset add --code 0118 --scope 440106013001001 >/dev/null

say "views as JSON: the numbers"
ctl "$D" view tickets --by status --json >"$T/status.json"
python3 - "$T/status.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
rows = {r[0]: dict(zip(v["columns"], r)) for r in v["rows"]}
assert rows["reported"]["count"] == 3, rows
assert rows["rejected"]["rejected"] == 1 and rows["closed"]["closed"] == 1, rows
assert rows["reported"]["overdue"] == 1, rows          # the road collapse, due 2020
assert v["total"]["count"] == 5 and v["total"]["open"] == 3, v["total"]
assert abs(v["total"]["closure_rate"] - 0.25) < 1e-9, v["total"]
PY
ctl "$D" view tickets --by street,category --status open --json >"$T/open.json"
python3 - "$T/open.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
got = {(r[0], r[1]): r[2] for r in v["rows"]}
assert got == {("440106012", "0102"): 1, ("440106012", "0401"): 1, ("440106013", "0104"): 1}, got
assert v["names"]["category"]["0102"] == "暴露垃圾", v["names"]
PY
ctl "$D" view tickets --by grid --overdue --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
assert [r[0] for r in v["rows"]] == ["440106012023002"], v["rows"]
'
ctl "$D" view kpi --json | python3 -c '
import json, sys
k = json.load(sys.stdin)
assert (k["tickets"], k["open"], k["closed"], k["rejected"], k["assets"], k["assets_not_normal"]) \
	== (5, 3, 1, 1, 3, 1), k
'
ctl "$D" view overdue --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
assert v["total"] == 1 and v["rows"][0]["title"] == "road collapse", v
'
ctl "$D" view assets --by class,state --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
assert v["rows"] == [["0101", "damaged", 1], ["0101", "normal", 1], ["0118", "normal", 1]], v["rows"]
'
ctl "$D" view tickets --by day --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
assert v["total"]["opened"] == 5 and v["total"]["closed"] == 1, v["total"]
'

say "views as tables"
ctl "$D" view tickets --by street,category --status open | tee "$T/open.txt"
head -1 "$T/open.txt" | grep -q "^street  *category  *name  *count  *open  *overdue" ||
	fail "table header"
grep -q "^total " "$T/open.txt" || fail "table total line"
ctl "$D" view kpi | grep -q "closure_rate  *25.00%" || fail "kpi text"
ctl "$D" view overdue | grep -q "road collapse" || fail "overdue text"

say "bad view arguments"
expect_fail ctl "$D" view tickets --by colour | grep -q "by: 'colour' is not one of" ||
	fail "bad dimension"
expect_fail ctl "$D" view gadgets | grep -q "no view 'gadgets'" || fail "bad view"
expect_fail ctl "$D" view tickets --status lost >/dev/null
expect_fail ctl "$D" view overdue --limit 0 >/dev/null
echo "views_cli: ok"
