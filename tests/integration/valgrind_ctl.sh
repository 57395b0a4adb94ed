# valgrind_ctl.sh - gridctl under valgrind memcheck on representative
# commands, their error paths included: no memory errors (invalid reads or
# writes, uninitialised values) and nothing definitely or indirectly lost.
. "$GM_TOP/tests/integration/lib.sh"

command -v valgrind >/dev/null || fail "valgrind is not installed (tools/deps.sh test)"

N=0
# vg EXPECTED_RC ARGS... : gridctl ARGS under memcheck; valgrind's own
# findings exit 99 and are shown, the command's status must be EXPECTED_RC
vg() {
	want=$1
	shift
	N=$((N + 1))
	set +e
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--log-file="$T/vg.$N.log" "$GRIDCTL" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	if [ $rc = 99 ] || [ -s "$T/vg.$N.log" ]; then
		cat "$T/vg.$N.log" >&2
		fail "memcheck: gridctl $*"
	fi
	[ "$rc" = "$want" ] || { cat "$T/err" >&2; fail "gridctl $*: exit $rc, expected $want"; }
	echo "  ok (exit $rc)  gridctl $*"
}

G=$T/grid
S=$T/street

say "init and enrolment: a city, its district and street, the grid"
mknode c city 4401
mknode d district 440106 c
mknode street street 440106012 d
vg 0 -d "$G" init --level grid --code 440106012023001
echo street >"$G/parent_name"
vg 0 -d "$T/c" keygen
vg 0 -d "$T/c" enrol self
vg 0 -d "$T/c" enrol child "$T/d"
vg 0 -d "$T/d" enrol child "$S"
vg 0 -d "$S" enrol child "$G"

say "tickets, residents (sealed with the street key), assets"
vg 0 -d "$G" ticket add --category 0102 --title "overflowing bin, gate 3" --lat 23.13 --lon 113.26 \
	--reporter "Zhang San" --phone 13800000000
TID=$(cat "$T/out")
vg 0 -d "$G" ticket update "$TID" --status registered --note "seen it"
vg 0 -d "$G" ticket update "$TID" --status dispatched --assignee sanitation
vg 0 -d "$G" ticket comment "$TID" "called the depot"
vg 0 -d "$G" ticket show "$TID"
vg 0 -d "$G" --json ticket show "$TID"
vg 0 -d "$G" ticket list --status dispatched
vg 0 -d "$G" household add --address "3-201 Liwan Rd" --head "Chen Jie"
vg 0 -d "$G" resident add --name "陈杰" --sex M --birth-year 1948 --tags elderly_alone
RID=$(cat "$T/out")
vg 0 -d "$G" resident show "$RID"
vg 0 -d "$G" asset add --code 0101 --name "water meter" --lat 23.1 --lon 113.2
AID=$(cat "$T/out")
vg 0 -d "$G" asset update "$AID" --state damaged --note "cracked"
vg 0 -d "$G" --json asset list
vg 0 -d "$G" category list

# shared digests: the street also holds per-grid resident counts of its
# own; the grid's scope includes the reference data (certificates) the
# street sends down, hence the bundle back
say "export, import twice, back down, digests agree"
vg 0 -d "$G" export -o "$T/grid.gmx"
vg 0 -d "$S" import "$T/grid.gmx"
vg 0 -d "$S" import "$T/grid.gmx"
vg 0 -d "$S" export --for 440106012023001 -o "$T/down.gmx"
vg 0 -d "$G" import "$T/down.gmx"
vg 0 -d "$S" ticket show "$TID"
vg 0 -d "$G" digest --shared --scope 440106012023001
DG=$(cat "$T/out")
vg 0 -d "$S" digest --shared --scope 440106012023001
assert_eq "$(cat "$T/out")" "$DG" "digest after import"
vg 0 -d "$S" resident erase "$RID"

say "error paths"
head -c 100 "$T/grid.gmx" >"$T/cut.gmx"
vg 1 -d "$S" import "$T/cut.gmx"
printf 'not a bundle' >"$T/junk.gmx"
vg 1 -d "$S" import "$T/junk.gmx" "$T/missing.gmx"
vg 1 -d "$G" ticket show 440106012023001-999999
vg 1 -d "$G" ticket update "$TID" --status closed
vg 1 -d "$G" ticket add --title "no category"
vg 2 -d "$G" ticket add --title "bad priority" --priority 9
vg 1 -d "$T/nowhere" ticket list
vg 1 -d "$G" init --level grid --code 440106012023001
echo "valgrind_ctl: $N gridctl runs clean under memcheck"
