# ticket_json.sh - every --json output parses and has the keys that
# docs/gridctl-json.md promises.
. "$GM_TOP/tests/integration/lib.sh"
use_asan_gridctl
D=$T/g
S=$T/s

say "init"
ctl "$D" --json init --level grid --code 440106012001001 --parent coap://127.0.0.1:5683 \
	2>/dev/null >"$T/init.json"
json_keys dir level code <"$T/init.json"
assert_eq "$(json_get 'd["code"]' <"$T/init.json")" 440106012001001 "init code"
ctl "$S" init --level street --code 440106012 >/dev/null 2>&1

say "records: add, show, list"
ctl "$D" --json ticket add --category 0102 --title "bin, \"quoted\" \\ and 中文" --lat 23.13 \
	--lon 113.26 --priority 2 --deadline 2030-01-01 >"$T/add.json"
json_keys id <"$T/add.json"
TK=$(json_get 'd["id"]' <"$T/add.json")
ctl "$D" ticket update "$TK" --status registered --no-dispatch --note "seen" >/dev/null
ctl "$D" ticket show "$TK" --json >"$T/show.json"
cols="category title descr lat lon address source priority status assignee deadline created closed"
json_keys id scope deleted history $cols <"$T/show.json"
assert_eq "$(json_get 'd["title"]' <"$T/show.json")" 'bin, "quoted" \ and 中文' "title survives JSON"
assert_eq "$(json_get 'd["lat"]' <"$T/show.json")" 23.13 "lat"
assert_eq "$(json_get 'd["deleted"]' <"$T/show.json")" False "deleted"
json_get 'd["history"]' <"$T/show.json" >/dev/null
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for h in d["history"]:
    for k in ("at", "clock", "node", "actor", "set", "lost", "note"):
        assert k in h, (k, h)
    assert isinstance(h["set"], dict) and isinstance(h["lost"], list)
    assert isinstance(h["clock"], int)
assert d["history"][1]["set"] == {"status": "registered"}, d["history"][1]
assert d["history"][1]["note"] == "seen"
' "$T/show.json" || fail "history entries"
ctl "$D" --json ticket show "$TK" | json_keys id history   # global --json too
ctl "$D" ticket list --json | json_keys id scope $cols

ctl "$D" --json asset add --code 0101 --name "manhole 7" --lat 23.1 --lon 113.2 >"$T/asset.json"
json_keys id <"$T/asset.json"
AS=$(json_get 'd["id"]' <"$T/asset.json")
ctl "$D" asset show "$AS" --json | json_keys id scope deleted history code name state
ctl "$D" asset list --json | json_keys id scope code state
ctl "$D" --json household add --head "Li" | json_keys id
ctl "$D" household list --json | json_keys id scope address head
ctl "$D" --json resident add --name "Zhang San" --sex M --birth-year 1950 | json_keys id
RS=$(ctl "$D" resident list --json | json_get 'd[0]["id"]')
ctl "$D" resident list --json | json_keys id scope name sex birth_year
ctl "$D" resident show "$RS" --json | json_keys id scope deleted history name
ctl "$D" category list --json | json_keys id
ctl "$D" ticket list --status closed --json | json_get 'd == []' | grep -q True ||
	fail "an empty list is []"

say "a deleted record"
ctl "$D" asset delete "$AS" >/dev/null
ctl "$D" asset show "$AS" --json >"$T/del.json"
assert_eq "$(json_get 'd["deleted"]' <"$T/del.json")" True "deleted flag"
assert_eq "$(json_get 'd["history"][-1].get("deleted")' <"$T/del.json")" True "delete entry"
assert_eq "$(json_get 'all(h.get("erased") for h in d["history"][:-1])' <"$T/del.json")" True \
	"erased entries"

say "digest, export, import"
ctl "$D" --json digest >"$T/dg.json"
json_keys digest records <"$T/dg.json"
json_get 'd["digest"]' <"$T/dg.json" | grep -Eq '^[0-9a-f]{64}$' || fail "digest is not hex"
ctl "$D" --json export -o "$T/x.gmx" >"$T/ex.json"
json_keys file batches changes bytes cursor <"$T/ex.json"
[ "$(json_get 'd["bytes"]' <"$T/ex.json")" = "$(wc -c <"$T/x.gmx")" ] || fail "export bytes"
ctl "$S" --json import "$T/x.gmx" >"$T/im.json"
json_keys batches_applied batches_duplicate batches_refused changes_applied \
	changes_superseded changes_refused <"$T/im.json"
assert_eq "$(json_get 'd["batches_applied"]' <"$T/im.json")" "$(json_get 'd["batches"]' <"$T/ex.json")" \
	"batches applied"
