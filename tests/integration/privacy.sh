# An enrolled tree with DTLS links: residents' sensitive values never reach
# the district or the city, in their stores or on the wire; they are
# sealed at rest on the grid and the street; the city sees per-grid
# aggregates that match the grids; erasure removes every copy; a node with
# the wrong key is refused and counted while the others carry on.
. "$(dirname "$0")/lib.sh"

mknode c city 4401
mknode d district 440106 c
mknode s street 440106012 d
mknode g1 grid 440106012001001 s
mknode g2 grid 440106012001002 s
enrol_tree c d s g1 g2

# a tap between the street and the district records every datagram
tap_port=$(free_port)
dport=$(cat "$T/d/port")
python3 - "$tap_port" "$dport" "$T/tap.bin" <<'PY' &
import socket, sys, select
lp, up, out = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3], "ab", buffering=0)
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); front.bind(("127.0.0.1", lp))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); back.connect(("127.0.0.1", up))
client = None
while True:
    r, _, _ = select.select([front, back], [], [])
    if front in r:
        d, client = front.recvfrom(65536); out.write(d); back.send(d)
    if back in r:
        d = back.recv(65536); out.write(d)
        if client: front.sendto(d, client)
PY
PIDS="$PIDS $!"
sqlite3 "$T/s/gridmesh.db" "UPDATE meta SET v = 'coaps://127.0.0.1:$tap_port' WHERE k = 'parent'"

for n in c d s g1 g2; do start $n; done

say "residents with sensitive fields at both grids"
P=$(ctl "$T/g1" resident add --name "Wang Wu" --id-card 11010519491231002X \
	--phone 13800138000 --address "Room 1203, Building 7, Dongfeng Road" \
	--tags elderly_alone,disabled --birth-year 1949)
for i in 1 2 3 4 5 6; do
	ctl "$T/g1" resident add --name "g1 resident $i" --birth-year 1950 --tags elderly_alone \
		--phone "1390000000$i" >/dev/null
done
for i in 1 2 3 4 5; do
	ctl "$T/g2" resident add --name "g2 resident $i" --birth-year 2015 --phone "1370000000$i" >/dev/null
done
ctl "$T/g1" ticket add --category 0102 --title "a ticket too" >/dev/null

wait_for 30 same_digest 440106012001001 g1 s d c || fail "g1's shared records did not converge"
wait_for 30 same_digest 440106012001002 g2 s d c || fail "g2's shared records did not converge"
assert_eq "$(ctl "$T/s" resident list --json | grep -c '"id"')" 12 "the street holds the residents"
assert_eq "$(ctl "$T/c" resident list --json | grep -c '"id"' || true)" 0 "the city holds none"

say "no sensitive value above the street, on disk or on the wire"
for n in d c; do
	for f in "$T/$n"/gridmesh.db*; do
		for v in 13800138000 11010519491231002X "Dongfeng Road" "Wang Wu" 1390000000; do
			! grep -q "$v" "$f" || fail "$v found in $f"
		done
	done
done
[ -s "$T/tap.bin" ] || fail "the tap saw no traffic"
for v in 13800138000 11010519491231002X "Dongfeng Road" "Wang Wu" gridmesh; do
	! grep -q "$v" "$T/tap.bin" || fail "$v seen on the street->district wire"
done
say "sealed at rest on the grid and the street"
for n in g1 s; do
	for f in "$T/$n"/gridmesh.db*; do
		for v in 13800138000 11010519491231002X "Dongfeng Road"; do
			! grep -q "$v" "$f" || fail "$v in clear in $f"
		done
	done
done
ctl "$T/s" resident show "$P" | grep -q "13800138000" || fail "the street cannot read it back"

say "the city's aggregates match the grids"
agg() { sqlite3 "$T/$1/gridmesh.db" "SELECT residents, by_age, by_tag FROM resident_agg WHERE id = '$2'"; }
wait_for 30 sh -c "[ \"\$(sqlite3 '$T/c/gridmesh.db' \"SELECT count(*) FROM resident_agg\")\" = 2 ]" ||
	fail "aggregates did not reach the city"
assert_eq "$(agg c 440106012001001)" "$(agg g1 440106012001001)" "g1 aggregate at the city"
assert_eq "$(agg c 440106012001002)" "$(agg g2 440106012001002)" "g2 aggregate at the city"
agg c 440106012001001
agg c 440106012001001 | grep -q '^7|.*"60-79":7.*"disabled":null.*"elderly_alone":7' ||
	fail "g1's counts are wrong or not suppressed"
agg c 440106012001002 | grep -q '^5|{"0-17":5' || fail "g2's counts are wrong"

say "erasure removes every copy"
sealed_phone=$(sqlite3 "$T/g1/gridmesh.db" "SELECT phone FROM person WHERE id = '$P'")
case $sealed_phone in enc1:*) ;; *) fail "phone not sealed: $sealed_phone" ;; esac
ctl "$T/g1" resident erase "$P"
wait_for 30 sh -c "! '$GRIDCTL' -d '$T/s' resident list | grep -q 'Wang Wu'" ||
	fail "the erasure did not reach the street"
sleep 0.5
for n in g1 s; do
	sqlite3 "$T/$n/gridmesh.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	for f in "$T/$n"/gridmesh.db*; do
		for v in "Wang Wu" "$sealed_phone"; do
			! grep -q "$v" "$f" || fail "erased value still in $f"
		done
	done
done
wait_for 30 sh -c "sqlite3 '$T/c/gridmesh.db' \"SELECT residents FROM resident_agg WHERE id = '440106012001001'\" | grep -qx 6" ||
	fail "the city's aggregate did not follow the erasure"

say "a node with the wrong key is refused, counted, and the others carry on"
cp -r "$T/g2" "$T/rogue"
rm -f "$T/rogue/node.key" "$T/rogue.pid"
ctl "$T/rogue" keygen >/dev/null
stop g2
expect_fail ctl "$T/rogue" sync
wait_for 10 sh -c "'$GRIDCTL' -d '$T/s' status | grep -q 'DTLS handshake failed'" ||
	fail "the wrong key was not counted"
ctl "$T/g1" ticket add --category 0103 --title "still flowing" >/dev/null
wait_for 30 same_digest 440106012001001 g1 s d c || fail "g1 stopped syncing"
echo ok
