# Devices post SenML to their grid node with plain coap-client (libcoap3-bin):
# a reading over threshold opens exactly one ticket, repeats and a flapping
# sensor open no more, recovery is noted in the ticket's history and the
# asset's state goes back; malformed SenML gets a CoAP error and changes
# nothing; unknown and revoked devices are refused and counted.  First over
# plain coap:// (insecure, ?d=ID), then over coaps:// with the device's PSK
# (coap-client -u dev:ID -k KEY), SenML JSON and CBOR.  The device tickets
# travel to the street like any other.
. "$(dirname "$0")/lib.sh"

mknode s street 440106012
mknode g grid 440106012023001 s
dport=$(free_port)
printf '[devices]\nlisten = coap://127.0.0.1:%s\n' "$dport" >>"$T/g/gridnode.conf"
start s
start g

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
asset_state() { ctl "$T/g" asset show "$1" --json | json_field state; }
rejects() { ctl "$T/g" status; }

A=$(ctl "$T/g" asset add --code 0603 --name "Chebei river gauge" --address "Chebei Rd 12" \
	--lat 23.13 --lon 113.37)
J=$(ctl "$T/g" device add --asset "$A" --json)
ID=$(echo "$J" | json_field id)
KEY=$(echo "$J" | json_field key)
assert_eq "$(echo "$J" | json_field identity)" "dev:$ID" "PSK identity"
assert_eq "$(echo "$J" | json_field kind)" water "kind from the asset's class"
assert_eq "${#KEY}" 32 "key length"

# post BODY [CT [DEVICE [PATH]]]: coap-client's reply and errors (it exits 0 either way)
post() {
	printf '%s' "$1" >"$T/body"
	"$COAP_CLIENT" -B 5 -m post -t "${2:-110}" -f "$T/body" \
		"coap://127.0.0.1:$dport/${4:-v1/dev/readings}?d=${3:-$ID}" 2>&1 || true
}
tickets() { count g; }

wait_for 10 sh -c "'$COAP_CLIENT' -B 2 -m get coap://127.0.0.1:$dport/.well-known/core 2>&1 |
	grep -q v1/dev/readings" || fail "the device port does not answer"

say "registration"
out=$(post '{"model":"WL-200","fw":"1.4.2"}' 50 "$ID" v1/dev/reg)
echo "$out"
echo "$out" | grep -q "\"device\":\"$ID\"" || fail "registration: $out"
ctl "$T/g" device show "$ID" | grep -q 'WL-200' || fail "registration info not kept"

say "under the threshold: nothing"
out=$(post '[{"bn":"urn:dev:gauge7:","n":"level","u":"cm","v":50}]')
echo "$out"
echo "$out" | grep -q '"trips":0' || fail "reading under threshold: $out"
assert_eq "$(tickets)" 0 "tickets after a normal reading"

say "over the threshold: one ticket, dispatched, asset in alarm"
out=$(post '[{"bn":"urn:dev:gauge7:","n":"level","u":"cm","v":92}]')
echo "$out"
TID=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["opened"][0])') ||
	fail "no ticket opened: $out"
assert_eq "$(tickets)" 1 "tickets after crossing"
ctl "$T/g" ticket show "$TID" --json >"$T/t.json"
assert_eq "$(json_field status <"$T/t.json")" dispatched "device ticket dispatched by the rules"
assert_eq "$(json_field category <"$T/t.json")" 0406 "event class from the threshold"
assert_eq "$(json_field source <"$T/t.json")" device "ticket source"
assert_eq "$(asset_state "$A")" alarm "asset state while over"

say "repeats and a flapping sensor: no more tickets"
for v in 95 99 85; do
	post "[{\"n\":\"level\",\"u\":\"cm\",\"v\":$v}]" | grep -q '"trips":0' || fail "repeat $v tripped"
done
out=$(post '[{"n":"level","v":95},{"n":"level","v":75},{"n":"level","v":90},{"n":"level","v":79}]')
echo "$out"
echo "$out" | grep -q '"watched":4,"stale":0,"trips":0,"recoveries":0' ||
	fail "flapping inside the band: $out"
assert_eq "$(tickets)" 1 "tickets after repeats"

say "recovery: noted in the ticket's history, asset state back"
out=$(post '[{"n":"level","u":"cm","v":60}]')
echo "$out"
echo "$out" | grep -q '"recoveries":1' || fail "no recovery: $out"
ctl "$T/g" ticket show "$TID" | tee "$T/show.txt" | grep -q "recovered: device $ID: level = 60 cm, back below 70 cm" ||
	{ cat "$T/show.txt"; fail "recovery not in the ticket's history"; }
assert_eq "$(asset_state "$A")" normal "asset state after recovery"
assert_eq "$(tickets)" 1 "tickets after recovery"

say "over again while the ticket is open: a note, not a ticket"
post '[{"n":"level","u":"cm","v":88}]' | grep -q '"notes":1' || fail "no note on the open ticket"
assert_eq "$(tickets)" 1 "tickets after a second crossing"
ctl "$T/g" ticket show "$TID" | grep -q "again" || fail "second crossing not noted"

say "malformed SenML: a CoAP error with a diagnostic, nothing changes"
before=$(digest g)
state_before=$(asset_state "$A")
expect_code() {
	out=$(post "$@")
	echo "  $out"
	echo "$out" | grep -q "^$code " || fail "expected $code for $1: $out"
	echo "$out" | grep -q "$why" || fail "expected '$why' for $1: $out"
}
code=4.00 why="not JSON" expect_code '[{"n":"level","v":99}'
code=4.00 why="no value" expect_code '[{"n":"level"}]'
code=4.00 why="no name" expect_code '[{"v":99}]'
code=4.00 why="must be a number" expect_code '[{"n":"level","v":"99"}]'
code=4.00 why="plausible range" expect_code '[{"n":"level","v":99},{"n":"level","v":1e7}]'
code=4.00 why="expected cm" expect_code '[{"n":"level","u":"m","v":0.99}]'
code=4.00 why="ahead of this node" expect_code '[{"n":"level","v":99,"t":86400}]'
code=4.00 why="versions 1 to 10" expect_code '[{"bver":12,"n":"level","v":99}]'
code=4.15 why="Content-Format 110" expect_code '[{"n":"level","v":99}]' 60
big=$(python3 -c 'print("[" + ",".join("{\"n\":\"level\",\"v\":50}" for _ in range(1000)) + "]")')
code=4.13 why="larger than 16 KiB" expect_code "$big"
assert_eq "$(digest g)" "$before" "digest after malformed posts"
assert_eq "$(asset_state "$A")" "$state_before" "asset state after malformed posts"
assert_eq "$(tickets)" 1 "tickets after malformed posts"
rejects | grep -q "device SenML malformed *5 " ||
	{ rejects; fail "malformed posts not counted"; }
rejects | grep -q "device reading absurd *3 " || fail "absurd readings not counted"

say "unknown and revoked devices are refused and counted"
code=4.01 why="unknown device nobody" expect_code '[{"n":"level","v":99}]' 110 nobody
J2=$(ctl "$T/g" device add --asset "$A" --json)
ID2=$(echo "$J2" | json_field id)
ctl "$T/g" device revoke "$ID2"
code=4.03 why="was revoked" expect_code '[{"n":"level","v":99}]' 110 "$ID2"
rejects | grep -q "device unknown *1 " || fail "unknown device not counted"
rejects | grep -q "device revoked *1 " || fail "revoked device not counted"
assert_eq "$(tickets)" 1 "tickets after refused devices"

say "the device ticket travels to the street"
wait_for 30 same_digest 440106012023001 g s || fail "the street did not get the device's changes"
ctl "$T/s" ticket show "$TID" | grep -q "recovered" || fail "history not at the street"

say "DTLS-PSK: coap-client -u dev:ID -k KEY against coaps://"
stop g
sport=$(free_port)
sed -i "s|^listen = coap://127.0.0.1:$dport|listen = coaps://127.0.0.1:$sport|" "$T/g/gridnode.conf"
start g
B=$(ctl "$T/g" asset add --code 0305 --name "bin at gate 3")
J3=$(ctl "$T/g" device add --asset "$B" --json)
ID3=$(echo "$J3" | json_field id)
KEY3=$(echo "$J3" | json_field key)
# spost IDENTITY KEY BODY [CT]
spost() {
	printf '%s' "$3" >"$T/body"
	"$COAP_CLIENT" -B 3 -u "$1" -k "$2" -m post -t "${4:-110}" -f "$T/body" \
		"coaps://127.0.0.1:$sport/v1/dev/readings" 2>&1 || true
}
wait_for 10 sh -c "'$COAP_CLIENT' -B 2 -u 'dev:$ID3' -k '$KEY3' -m get coaps://127.0.0.1:$sport/.well-known/core 2>&1 |
	grep -q v1/dev/readings" || fail "the coaps:// device port does not answer"
out=$(spost "dev:$ID3" "$KEY3" '[{"n":"fill","u":"%","v":40}]')
echo "$out"
echo "$out" | grep -q "\"device\":\"$ID3\"" || fail "PSK post refused: $out"
# SenML CBOR (content-format 112): [{0: "fill", 1: "%", 2: 95}]
python3 -c 'import sys; sys.stdout.buffer.write(bytes([0x81,0xa3,0,0x64])+b"fill"+bytes([1,0x61])+b"%"+bytes([2,0x18,95]))' >"$T/cbor"
out=$("$COAP_CLIENT" -B 3 -u "dev:$ID3" -k "$KEY3" -m post -t 112 -f "$T/cbor" \
	"coaps://127.0.0.1:$sport/v1/dev/readings" 2>&1 || true)
echo "$out"
BT=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["opened"][0])') ||
	fail "CBOR fill over 90% opened no ticket: $out"
assert_eq "$(ctl "$T/g" ticket show "$BT" --json | json_field category)" 0102 "bin ticket class"
assert_eq "$(ctl "$T/g" ticket show "$BT" --json | json_field assignee)" sanitation "bin ticket dispatched"
assert_eq "$(asset_state "$B")" alarm "bin state"
spost "dev:$ID3" "$KEY3" '[{"n":"fill","u":"%","v":97}]' | grep -q '"trips":0' || fail "repeat over PSK tripped"
assert_eq "$(tickets)" 2 "one ticket per asset"

say "DTLS-PSK: unknown, revoked and wrong keys get no handshake, and are counted"
out=$(spost "dev:nobody" "$KEY3" '[{"n":"fill","v":99}]')
echo "$out"
! echo "$out" | grep -q '"device"' || fail "unknown identity got an answer"
rejects | grep -q "device unknown *2 " || { rejects; fail "unknown identity not counted"; }
ctl "$T/g" device revoke "$ID3"
out=$(spost "dev:$ID3" "$KEY3" '[{"n":"fill","v":99}]')
echo "$out"
! echo "$out" | grep -q '"device"' || fail "revoked device got an answer"
rejects | grep -q "device revoked *2 " || { rejects; fail "revoked identity not counted"; }
out=$(spost "dev:$ID" "0123456789abcdef0123456789abcdef" '[{"n":"level","v":99}]')
! echo "$out" | grep -q '"device"' || fail "wrong key got an answer"
wait_for 20 sh -c "'$GRIDCTL' -d '$T/g' status | grep -q 'device DTLS handshake failed'" ||
	fail "wrong key not counted"
assert_eq "$(tickets)" 2 "tickets after refused handshakes"
ctl "$T/g" device list

say "thresholds: listed, changed here, refused when they make no sense"
ctl "$T/g" threshold list --class 0603 | grep -q '^water-level ' || fail "threshold list"
expect_fail ctl "$T/g" threshold set water-level --clear 99 | grep -q "nothing would clear" ||
	fail "a clear value above the threshold was accepted"
ctl "$T/g" threshold set water-level --value 40 --clear 30
ctl "$T/g" threshold list --class 0603 | grep -q "^440106012023001:water-level .* 40.000000" ||
	fail "the grid's own threshold is not listed"
echo ok
