# A street restored from a backup gets back what its grids had sent it
# after the backup, residents included (they stop at the street, so no
# one above it holds them), even when its log has grown past the grids'
# cursors before they reconnect, which hides the restore from them.
. "$(dirname "$0")/lib.sh"

mknode s street 440106012
mknode g grid 440106012001001 s
start s
start g
G=440106012001001
R1=$(ctl "$T/g" resident add --name "Li Wei" --birth-year 1950 --sex M)
wait_for 20 sh -c "[ \"\$($GRIDCTL -d $T/g digest --scope $G)\" = \"\$($GRIDCTL -d $T/s digest --scope $G)\" ]" ||
	fail "initial sync"

say "backup of the street; then the grid registers and edits residents and a ticket"
ctl "$T/s" backup -o "$T/s.bak" >/dev/null
R2=$(ctl "$T/g" resident add --name "Wang Fang" --birth-year 1990)
ctl "$T/g" resident update "$R1" --birth-year 1951 >/dev/null
ctl "$T/g" ticket add --category 0102 --title "after the street's backup" >/dev/null
wait_for 20 sh -c "[ \"\$($GRIDCTL -d $T/g digest --scope $G)\" = \"\$($GRIDCTL -d $T/s digest --scope $G)\" ]" ||
	fail "sync after the backup"
ctl "$T/s" resident show "$R2" >/dev/null || fail "street lacks the new resident"
stop g
stop s

say "restore the street; it works on (its log grows) before the grid is back"
ctl "$T/s2" restore "$T/s.bak" >/dev/null
cp "$T/s/port" "$T/s2/port"
expect_fail ctl "$T/s2" resident show "$R2" >/dev/null
i=0
while [ $i -lt 12 ]; do
	ctl "$T/s2" ticket add --category 0102 --title "street work $i" --scope $G >/dev/null
	ctl "$T/s2" seal >/dev/null
	i=$((i + 1))
done
start s2
wait_for 10 grep -q "street node 440106012 up" "$T/s2.log" || fail "restored street did not start"
start g

say "the grid sends everything again; the street has its residents back"
wait_for 30 sh -c "[ \"\$($GRIDCTL -d $T/g digest --scope $G)\" = \"\$($GRIDCTL -d $T/s2 digest --scope $G)\" ]" ||
	fail "restored street and grid do not converge"
ctl "$T/s2" resident show "$R2" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["name"] == "Wang Fang", r' || fail "resident made after the street's backup not back"
ctl "$T/s2" resident show "$R1" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["birth_year"] == 1951, r' || fail "resident edit made after the street's backup not back"
grep -q "restored from a backup: asking 440106012001001 to send everything again" "$T/s2.log" ||
	fail "the street does not say it asked the grid"
grep -q "went back in time" "$T/g.log" || fail "the grid does not say it resent"
echo ok
