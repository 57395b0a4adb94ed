# cli_args.sh - gridctl refuses bad arguments with exit 2 (usage) or 1
# (the operation failed) and one line on stderr, never a crash.  Runs the
# sanitizer build of gridctl when there is one, so a bad argument that
# reads out of bounds or leaks fails here too.
. "$GM_TOP/tests/integration/lib.sh"
use_asan_gridctl
D=$T/g

say "node directory"
ctl "$D" init --level grid --code 440106012001001 --parent coap://127.0.0.1:5683 >/dev/null
TK=$(ctl "$D" ticket add --category 0102 --title "bin at gate 3")
case $TK in 440106012001001-0*) ;; *) fail "ticket id '$TK'" ;; esac

say "global options and commands"
expect_exit 2 "$GRIDCTL" --bogus
expect_exit 2 "$GRIDCTL" -d
expect_exit 2 "$GRIDCTL" -d "$D" --actor
expect_exit 2 "$GRIDCTL" -d "$D"
expect_exit 2 "$GRIDCTL" -d "$D" frobnicate
expect_exit 2 "$GRIDCTL" -d "$D" ticket
expect_exit 2 "$GRIDCTL" -d "$D" ticket frobnicate
expect_exit 2 env -u GRIDMESH_DIR "$GRIDCTL" ticket list
expect_exit 1 "$GRIDCTL" -d "$T/nowhere" ticket list
"$GRIDCTL" --help | grep -q "ticket add" || fail "--help lists no commands"

say "unknown options and missing values"
expect_exit 2 ctl "$D" ticket add --bogus
expect_exit 2 ctl "$D" ticket add --category 0102 --title
expect_exit 2 ctl "$D" ticket add --category
# no --category: the classifier proposes one, or says none matches (exit 1)
expect_exit 1 ctl "$D" ticket add --title x
expect_exit 2 ctl "$D" ticket add --category 0102 --title x stray
expect_exit 2 ctl "$D" ticket update "$TK" --bogus 1
expect_exit 2 ctl "$D" ticket update "$TK"
expect_exit 2 ctl "$D" ticket update
expect_exit 2 ctl "$D" ticket show
expect_exit 2 ctl "$D" ticket list --status
expect_exit 2 ctl "$D" ticket comment "$TK"
expect_exit 2 ctl "$D" export
expect_exit 2 ctl "$D" export -o
expect_exit 2 ctl "$D" import
expect_exit 2 ctl "$D" digest extra
expect_exit 2 ctl "$D" asset add --name lamp
expect_exit 2 ctl "$D" resident add --sex
expect_exit 2 ctl "$T/x" init --level grid

say "bad numbers, codes and times"
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --priority 9
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --priority 0
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --priority abc
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --priority 2x
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --priority ''
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --priority 99999999999999999999
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --lat 91 --lon 1
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --lat nan --lon 1
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --lat 1e999 --lon 1
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --lat 23
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --deadline tomorrow
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --deadline 2024-13-45
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --deadline -5
expect_exit 2 ctl "$D" ticket add --category 0102 --title x --source pigeon
expect_exit 2 ctl "$D" ticket add --category 0102 --title ''
expect_exit 2 ctl "$D" ticket update "$TK" --priority 6
expect_exit 2 ctl "$D" ticket update "$TK" --deadline yesterday
expect_exit 2 ctl "$D" ticket update "$TK" --status bogus
expect_exit 2 ctl "$D" ticket list --status bogus
expect_exit 2 ctl "$D" ticket list --scope 44a
expect_exit 2 ctl "$D" digest --scope 12345
expect_exit 2 ctl "$D" export --since -1 -o "$T/x.gmx"
expect_exit 2 ctl "$D" export --since abc -o "$T/x.gmx"
expect_exit 2 ctl "$D" export --for 4401x -o "$T/x.gmx"
expect_exit 2 ctl "$D" resident add --name A --id-card 123
expect_exit 2 ctl "$D" resident add --name A --id-card 110105194912310021
expect_exit 2 ctl "$D" resident add --name A --birth-year 1700
expect_exit 2 ctl "$D" resident add --name A --sex X
expect_exit 2 ctl "$D" asset add --code 0101 --state weird
expect_exit 2 ctl "$T/x" init --level town --code 4401
expect_exit 2 ctl "$T/x" init --level grid --code 12345
expect_exit 2 ctl "$T/x" init --level street --code 4401060121
expect_exit 2 ctl "$T/x" init --level district --code 44a106
expect_exit 2 ctl "$T/x" init --level grid --code 440106012001001 --parent http://x
[ ! -e "$T/x/gridmesh.db" ] || fail "a refused init left a store behind"

say "operations that fail: exit 1, one line"
expect_exit 1 ctl "$D" ticket add --category 9999 --title x
expect_exit 1 ctl "$D" ticket add --category 0102 --title x --scope 440106012001002
expect_exit 1 ctl "$D" ticket show no-such-ticket
expect_exit 1 ctl "$D" ticket update no-such-ticket --priority 2
expect_exit 1 ctl "$D" ticket update "$TK" --category 9999
expect_exit 1 ctl "$D" init --level grid --code 440106012001001
expect_exit 1 ctl "$D" import "$T/no-such-file"
printf 'not a bundle' >"$T/junk.gmx"
expect_exit 1 ctl "$D" import "$T/junk.gmx"
: >"$T/empty.gmx"
expect_exit 1 ctl "$D" import "$T/empty.gmx"
expect_exit 1 ctl "$D" export -o "$T/no/such/dir/x.gmx"

say "nothing above changed the node"
assert_eq "$(ctl "$D" --json ticket list | json_get 'len(d)')" 1 "tickets after refusals"
