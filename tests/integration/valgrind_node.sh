# gridnode under valgrind memcheck while it serves and syncs a small tree,
# over plain CoAP and over DTLS: no invalid reads or writes, no leaks.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed"
VG="valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no"

mknode c city 4401
mknode d district 440106 c
mknode s street 440106012 d
mknode g grid 440106012001001 s
enrol_tree c d s g

vstart() {
	$VG --log-file="$T/$1.vg" "$GRIDNODE" -d "$T/$1" >>"$T/$1.log" 2>&1 &
	echo $! >"$T/$1.pid"
	PIDS="$PIDS $!"
}
vstart c; vstart d; vstart s; vstart g
sleep 3   # valgrind is slow to start

A=$(ctl "$T/g" ticket add --category 0102 --title "under valgrind")
ctl "$T/g" resident add --name "V" --phone 13800000000 --birth-year 1950 >/dev/null
head -c 200000 /dev/urandom >"$T/p.jpg"
ctl "$T/g" ticket attach "$A" "$T/p.jpg" >/dev/null
wait_for 120 sh -c "'$GRIDCTL' -d '$T/d' ticket show '$A' >/dev/null 2>&1" || fail "no sync"
ctl "$T/d" ticket update "$A" --assignee roads >/dev/null
wait_for 120 same_digest 440106012001001 g s d c || fail "no convergence under valgrind"
wait_for 60 test -f "$T/d/blobs/$(b2sum -l 256 "$T/p.jpg" | cut -c1-2)/$(b2sum -l 256 "$T/p.jpg" | cut -d' ' -f1)" ||
	fail "blob did not travel under valgrind"

for n in g s d c; do
	pid=$(cat "$T/$n.pid")
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	rc=$?
	grep -E "ERROR SUMMARY|definitely lost|indirectly lost|Invalid" "$T/$n.vg" | sed "s/^/$n: /"
	[ "$rc" != 99 ] || { cat "$T/$n.vg"; fail "$n: valgrind found errors"; }
	grep -q "ERROR SUMMARY: 0 errors" "$T/$n.vg" || { cat "$T/$n.vg"; fail "$n: valgrind errors"; }
done
echo ok
