# A street whose disk fills up, then goes read-only: it says so clearly,
# refuses new writes, keeps serving reads, and catches up once space
# returns, with nothing lost.  (Needs mount: a small tmpfs.)
. "$(dirname "$0")/lib.sh"

mnt="$T/disk"
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=4m tmpfs "$mnt" 2>/dev/null; then
	echo "cannot mount a tmpfs here (not root?)" >&2
	exit 1
fi
cleanup_mount() { umount -l "$mnt" 2>/dev/null || true; }
trap 'cleanup_mount; cleanup' EXIT

mknode s street 440106012
mknode g grid 440106012001001 s
# the street lives on the small disk
mv "$T/s" "$mnt/s"
ln -s "$mnt/s" "$T/s"
start s
start g
A=$(ctl "$T/g" ticket add --category 0102 --title "before the disk filled")
wait_for 20 same_digest 440106012001001 g s || fail "initial sync"

say "the disk fills up"
dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null || true
expect_fail ctl "$T/s" ticket add --category 0102 --title "street write on a full disk" |
	tee "$T/err"
grep -q "full or read-only" "$T/err" || fail "no clear message: $(cat "$T/err")"
for i in 1 2 3 4 5; do ctl "$T/g" ticket add --category 0103 --title "grid write $i" >/dev/null; done
sleep 3
say "reads still work"
ctl "$T/s" ticket show "$A" >/dev/null || fail "the street cannot read"
out=$($COAP_CLIENT -m get "coap://127.0.0.1:$(cat "$T/s/port")/v1/status" 2>&1)
echo "$out" | grep -q '"code":"440106012"' || fail "the street stopped serving: $out"
kill -0 "$(cat "$T/s.pid")" || fail "the street died"

say "space returns: it catches up"
rm -f "$mnt/filler"
wait_for 60 same_digest 440106012001001 g s || fail "no catch-up after space returned"
assert_eq "$(count s)" 6 "every grid write arrived"

say "read-only: a store SQLite cannot open in WAL mode is refused clearly"
stop s
mount -o remount,ro "$mnt" || fail "cannot remount read-only"
ctl "$T/g" ticket add --category 0104 --title "while read-only" >/dev/null
expect_fail ctl "$T/s" ticket add --category 0102 --title "street write, read-only" | tee "$T/err"
grep -q "full or read-only" "$T/err" || fail "no clear message: $(cat "$T/err")"
expect_fail "$GRIDNODE" -d "$T/s" | tee "$T/err"
grep -q "full or read-only\|unable to open" "$T/err" || fail "gridnode: no clear message"
mount -o remount,rw "$mnt"
start s
wait_for 60 same_digest 440106012001001 g s || fail "no catch-up after read-write again"
assert_eq "$(count s)" 7 "the read-only write arrived"
stop s
stop g
intact s || fail "store damaged"
echo ok
