# A city moving onto gridmesh: the 10,000 real MyLA311 requests imported
# with their lifecycle, re-imported without change, exported as Open311,
# GeoJSON and CSV, the Open311 file read back by another node; bad files
# refused with line numbers and nothing half-imported.
. "$(dirname "$0")/lib.sh"

LA=${GRIDMESH_DATA:-$GM_TOP/data}/la311-2020-01-requests.csv
A=$T/la
ctl "$A" init --level city --code 4401 >/dev/null
ctl "$A" calendar set utc_offset=-08:00 >/dev/null

say "import the LA 311 file"
out=$(ctl "$A" import-csv "$LA")
echo "$out"
assert_eq "$out" "10000 rows: 10000 new, 0 updated, 0 unchanged, 0 refused" "first import"
out=$(ctl "$A" import-csv "$LA")
assert_eq "$out" "10000 rows: 0 new, 0 updated, 10000 unchanged, 0 refused" "re-import"
ctl "$A" view tickets --by status --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
got = {r[0]: r[1] for r in v["rows"]}
# Closed 9,723, Cancelled 244, Open 16, Pending 15 + Referred Out 2
assert got == {"closed": 9723, "rejected": 244, "registered": 16, "dispatched": 17}, got
'
ctl "$A" ticket show 4401-LA1-1523590121 | tee "$T/show.txt"
grep -q "scope 440106019419849" "$T/show.txt" || fail "APC/NC/cell scope"
grep -q "status=resolved note=\"serviced 2020-01-02T00:00:00-08:00\"" "$T/show.txt" ||
	fail "serviced step in the history"
grep -q "status=closed closed=1577983380 note=\"closed 2020-01-02T08:43:00-08:00\"" "$T/show.txt" ||
	fail "closed step in the history"
ctl "$A" view tickets --by source --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
got = {r[0]: r[1] for r in v["rows"]}
assert got["hotline"] == 4548 + 48 + 2 + 1 and got["grid_worker"] == 2088, got
assert got["citizen_app"] == 2299 + 1014, got
'

# a ticket with a reporter: the exports must not carry who reported it
ctl "$A" ticket add --category 0102 --title 'rubbish <by> "the gate"' --scope 440101001001001 \
	--lat 34.05 --lon -118.25 --reporter "Maria Lopez" --phone 2135550199 >/dev/null

say "Open311 export"
ctl "$A" export-open311 -o "$T/o311.json"
python3 - "$T/o311.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
reqs = d["requests"]
assert len(d["services"]) == 50 and len(reqs) == 10001, (len(d["services"]), len(reqs))
need = {"service_request_id", "status", "status_notes", "service_code", "description",
        "lat", "long", "address", "requested_datetime", "updated_datetime",
        "expected_datetime", "agency_responsible"}
for r in reqs:
    assert need <= set(r), set(r) ^ need
    assert r["status"] in ("open", "closed"), r["status"]
assert sum(r["status"] == "open" for r in reqs) == 34
r = [r for r in reqs if r["service_request_id"] == "4401-LA1-1523590121"][0]
assert r["status_notes"] == "closed" and r["service_code"] == "0103", r
assert r["requested_datetime"] == "2020-01-01T00:05:00-08:00", r
assert r["agency_responsible"] == "BOS", r
PY
if grep -q -e "Maria Lopez" -e 2135550199 "$T/o311.json"; then fail "reporter in the export"; fi

say "Open311 import into another node: the same tickets"
B=$T/other
ctl "$B" init --level city --code 4401 >/dev/null
ctl "$B" calendar set utc_offset=-08:00 >/dev/null
assert_eq "$(ctl "$B" import-open311 "$T/o311.json")" \
	"10001 requests: 10001 new, 0 updated, 0 unchanged, 0 refused" "open311 import"
assert_eq "$(ctl "$B" import-open311 "$T/o311.json")" \
	"10001 requests: 0 new, 0 updated, 10001 unchanged, 0 refused" "open311 re-import"
ctl "$A" export-csv -o "$T/a.csv" --now 1578153600
ctl "$B" export-csv -o "$T/b.csv" --now 1578153600
cmp "$T/a.csv" "$T/b.csv" || fail "Open311 round trip changed tickets"
if grep -q -e "Maria Lopez" -e 2135550199 "$T/b.csv"; then fail "reporter travelled"; fi

say "CSV export"
overdue=$(ctl "$A" view kpi --now 1578153600 --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["overdue"])')
python3 - "$T/a.csv" "$overdue" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 10001, len(rows)
r = [r for r in rows if r["title"] == 'rubbish <by> "the gate"'][0]
assert r["category_name"] == "暴露垃圾" and r["open"] == "1", r
# the same "overdue" as the KPI view at the same moment
assert sum(r["overdue"] == "1" for r in rows) == int(sys.argv[2]) > 0, sys.argv[2]
PY

say "GeoJSON export"
ctl "$A" export-geojson -o "$T/map.geojson" 2>"$T/geo.err"
grep -q "11 without a location" "$T/geo.err" || fail "unlocated count"
python3 - "$T/map.geojson" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
assert g["type"] == "FeatureCollection"
f = g["features"]
assert len(f) == 9990, len(f)
for x in f:
    lon, lat = x["geometry"]["coordinates"]
    assert x["geometry"]["type"] == "Point" and -119 < lon < -118 and 33 < lat < 35, x
    assert x["properties"]["kind"] == "ticket" and x["id"] == x["properties"]["id"]
PY

say "bad files are refused with line numbers, the good rows go in"
head -1 "$LA" >"$T/bad.csv"
sed -n '2,3p' "$LA" >>"$T/bad.csv"
echo '1-900,Bulky Items,Closed,SR Created,2/30/20 9:00,,,,Call,BOS,,,,,,,,,,,,,,' >>"$T/bad.csv"
echo '1-901,Bulky Items,Vanished,SR Created,1/2/20 9:00,,,,Call,BOS,,,,,,,,,,,,,,' >>"$T/bad.csv"
echo 'x y,Bulky Items,Open,SR Created,1/2/20 9:00,,,,Call,BOS,,,,,,,,,,,,,,' >>"$T/bad.csv"
echo '1-902,Bulky Items,Open,SR Created,1/2/20 9:00,,,,Call,BOS,,,,,,,,,,,,,,' >>"$T/bad.csv"
N=$T/fresh
ctl "$N" init --level city --code 4401 >/dev/null
if ctl "$N" import-csv "$T/bad.csv" >"$T/bad.out" 2>"$T/bad.err"; then
	fail "a file with bad rows must exit non-zero"
fi
cat "$T/bad.out" "$T/bad.err"
grep -q "bad.csv:4: createddate '2/30/20 9:00'" "$T/bad.err" || fail "line 4 reason"
grep -q "bad.csv:5: status 'Vanished'" "$T/bad.err" || fail "line 5 reason"
grep -q "bad.csv:6: srnumber 'x y'" "$T/bad.err" || fail "line 6 reason"
assert_eq "$(cat "$T/bad.out")" "6 rows: 3 new, 0 updated, 0 unchanged, 3 refused" "bad file counts"
assert_eq "$(ctl "$N" view kpi --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tickets"])')" \
	3 "only whole records"

printf 'name,colour\nbob,blue\n' >"$T/notla.csv"
expect_fail ctl "$N" import-csv "$T/notla.csv" | grep -q "notla.csv:1: no column 'srnumber'" ||
	fail "not an LA file"
expect_fail ctl "$N" import-csv "$T/missing.csv" | grep -q "missing.csv" || fail "missing file"
printf '{"requests": [\n  {"service_request_id": 1,\n' >"$T/broken.json"
expect_fail ctl "$N" import-open311 "$T/broken.json" | grep -q "broken.json:3:" ||
	fail "JSON error with its line"
printf '[{"service_request_id": "a1", "service_code": "0102", "status": "open",
  "requested_datetime": "2020-01-02T09:00:00-08:00", "description": "ok"},
 {"service_request_id": "a2", "service_code": "9999", "status": "open",
  "requested_datetime": "2020-01-02T09:00:00-08:00"}]' >"$T/mixed.json"
expect_fail ctl "$N" import-open311 "$T/mixed.json" --prefix SF >"$T/mixed.out"
grep -q "request 2 (id a2): category '9999' is not an event class" "$T/mixed.out" ||
	fail "refused request reason"
grep -q "2 requests: 1 new, 0 updated, 0 unchanged, 1 refused" "$T/mixed.out" || fail "mixed counts"
ctl "$N" ticket show 4401-SF-a1 >/dev/null || fail "foreign id with the prefix"
expect_fail ctl "$N" import-open311 "$T/mixed.json" --prefix "S F" >/dev/null
echo "exports: ok"
