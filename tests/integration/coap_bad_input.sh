# Malformed and hostile CoAP input to a running street: every case gets a
# CoAP error, is counted, and the node keeps serving its real child; a
# flood from one peer leaves its memory bounded.
. "$(dirname "$0")/lib.sh"

mknode s street 440106012
mknode g grid 440106012001001 s
start s
start g
PORT=$(cat "$T/s/port")
URI="coap://127.0.0.1:$PORT"
ctl "$T/g" ticket add --category 0102 --title "before" >/dev/null
wait_for 20 same_digest 440106012001001 g s || fail "initial sync"

# case NAME EXPECTED_CODE COAP-CLIENT-ARGS...: the reply must carry the code
case_() {
	name=$1 want=$2
	shift 2
	out=$($COAP_CLIENT "$@" 2>&1 || true)
	echo "$name: $(echo "$out" | head -c 120)"
	echo "$out" | grep -q "$want" || fail "$name: expected $want, got: $out"
}

head -c 64 /dev/urandom >"$T/junk"
printf '\x96\xa3gmb\x01' >"$T/truncated"      # a bundle cut short
head -c 6000000 /dev/zero >"$T/huge"           # over max_body_kb (4096 KiB)
printf '\xdd\xff\xff\xff\xff' >"$T/liar"       # an array claiming 4 billion items

case_ "unknown path"          4.04 -m get "$URI/v1/nothing"
case_ "wrong method"          4.05 -m put -e x "$URI/v1/up?c=440106012001001"
case_ "not a child"           4.03 -m get "$URI/v1/down?c=440106013001001&a=0"
case_ "no child named"        4.03 -m get "$URI/v1/down"
case_ "bad cursor"            4.00 -m get "$URI/v1/down?c=440106012001001&a=-5"
case_ "garbage bundle"        4.00 -m post -t 42 -f "$T/junk" "$URI/v1/up?c=440106012001001"
case_ "truncated bundle"      4.00 -m post -t 42 -f "$T/truncated" "$URI/v1/up?c=440106012001001"
case_ "lying array header"    4.00 -m post -t 42 -f "$T/liar" "$URI/v1/up?c=440106012001001"
case_ "wrong content-format"  4.15 -m post -t 50 -e '{"a":1}' "$URI/v1/up?c=440106012001001"
case_ "garbage registration"  4.00 -m post -t 42 -f "$T/junk" "$URI/v1/reg"
case_ "oversized body"        4.13 -m post -t 42 -f "$T/huge" "$URI/v1/up?c=440106012001001"
case_ "bad blob hash"         4.00 -m get "$URI/v1/blob?c=440106012001001&h=xyz"
case_ "blob without range"    4.00 -m post -t 42 -e x "$URI/v1/blob?c=440106012001001&h=$(printf '%064d' 0)"
case_ "bad view"              4.00 -m get "$URI/views/tickets?by=nonsense"

say "a block-wise upload with a gap, as raw datagrams"
python3 - "$PORT" <<'PY'
import socket, sys, struct, os
port = int(sys.argv[1])
def opts(items):
    # CoAP options (number, value) in ascending order, with extended fields
    out, last = b"", 0
    for num, val in items:
        d, l = num - last, len(val)
        last = num
        def nib(x):
            return (x, b"") if x < 13 else (13, bytes([x - 13]))
        dn, dx = nib(d)
        ln, lx = nib(l)
        out += bytes([(dn << 4) | ln]) + dx + lx + val
    return out
def pdu(mid, block_num, more, payload):
    tok = os.urandom(4)
    hdr = bytes([0x44, 0x02]) + struct.pack(">H", mid) + tok      # CON POST, tkl 4
    b1 = (block_num << 4) | (0x08 if more else 0) | 2              # SZX 2 = 64 bytes
    o = opts([(11, b"v1"), (11, b"up"), (12, b"\x2a"), (15, b"c=440106012001001"),
              (27, bytes([b1]))])
    return hdr + o + b"\xff" + payload
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(pdu(0x1001, 3, True, b"\x00" * 64), ("127.0.0.1", port))  # block 3 first: a gap
reply = s.recv(2048)
code = reply[1]
print("gap reply code %d.%02d" % (code >> 5, code & 0x1f))
assert (code >> 5, code & 0x1f) == (4, 8), "want 4.08 Request Entity Incomplete"
PY

say "a flood from one peer: the real child still syncs, memory stays bounded"
rss() { awk '/VmRSS/ {print $2}' "/proc/$(cat "$T/s.pid")/status"; }
before=$(rss)
python3 - "$PORT" <<'PY'
import socket, sys, struct, os
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5000):
    mid = i & 0xffff
    # NON GET v1/down?c=...: cheap to send, each one handled
    p = bytes([0x54, 0x01]) + struct.pack(">H", mid) + os.urandom(4)
    p += bytes([0xb2]) + b"v1" + bytes([0x04]) + b"down"
    p += bytes([0x4d, 0x04]) + b"c=440106012001001&a=0"
    s.sendto(p, ("127.0.0.1", port))
    if i % 200 == 0:
        s.sendto(os.urandom(40), ("127.0.0.1", port))   # and junk datagrams
PY
ctl "$T/g" ticket add --category 0103 --title "during the flood" >/dev/null
wait_for 30 same_digest 440106012001001 g s || fail "the real child could not sync"
after=$(rss)
echo "street RSS before $before kB, after the flood $after kB"
[ $((after - before)) -lt 20000 ] || fail "memory grew by $((after - before)) kB"
kill -0 "$(cat "$T/s.pid")" || fail "the street died"

say "every refusal was counted"
ctl "$T/s" status
n=$(ctl "$T/s" status --json | python3 -c 'import json,sys; print(sum(r["count"] for r in json.load(sys.stdin)["rejected"]))')
[ "$n" -ge 12 ] || fail "only $n refusals counted"
echo ok
