# Backup while gridnode runs, restore, and get back in step: a grid is
# backed up, both it and its street go on working and sync, then the grid
# is restored from the old backup.  Restarted, it converges with the
# street, and what it had made after the backup (and sent up) comes back
# to it; it issues no ticket id twice; nobody's history grows duplicates.
. "$(dirname "$0")/lib.sh"

mknode s street 440106012
mknode g grid 440106012001001 s
start s
start g

A=$(ctl "$T/g" ticket add --category 0102 --title "bin at gate 3")
B=$(ctl "$T/g" ticket add --category 0110 --title "pothole")
wait_for 20 same_digest 440106012001001 g s || fail "initial sync"

say "online backup while gridnode runs: consistent, 0600, keys only on request"
ctl "$T/g" backup -o "$T/g.bak" | grep -q "without the secret keys" || fail "backup says nothing of keys"
[ "$(stat -c %a "$T/g.bak")" = 600 ] || fail "backup is not 0600"
sqlite3 "$T/g.bak" "PRAGMA integrity_check" | grep -qx ok || fail "backup not consistent"
sqlite3 "$T/g.bak" "SELECT name FROM gm_backup_files" >"$T/files"
grep -qx gridnode.conf "$T/files" || fail "backup lacks gridnode.conf"
# a key file must not be in it unless asked for
ctl "$T/g" keygen >/dev/null
ctl "$T/g" backup -o "$T/g-nokey.bak" >/dev/null
sqlite3 "$T/g-nokey.bak" "SELECT name FROM gm_backup_files" | grep -q node.key && fail "node.key in a backup without --with-keys"
umask 022
ctl "$T/g" backup -o "$T/g-keys.bak" --with-keys | grep -q "WITH the secret keys" || fail "with keys"
[ "$(stat -c %a "$T/g-keys.bak")" = 600 ] || fail "backup with keys is not 0600"
sqlite3 "$T/g-keys.bak" "SELECT name FROM gm_backup_files" | grep -qx node.key || fail "no node.key with --with-keys"
rm "$T/g/node.key" "$T/g/node.pub"

say "an enrolled node's identity files come back byte for byte (keys only from --with-keys)"
ctl "$T/c" init --level city --code 4401 >/dev/null 2>&1
ctl "$T/c" keygen >/dev/null
ctl "$T/c" enrol self >/dev/null
ctl "$T/e" init --level district --code 440106 >/dev/null 2>&1
ctl "$T/c" enrol child "$T/e" >/dev/null
ctl "$T/e" backup -o "$T/e.bak" --with-keys >/dev/null
ctl "$T/e2" restore "$T/e.bak" >/dev/null
for f in node.key node.pub node.cert parent.cert chain root.pub; do
	cmp -s "$T/e/$f" "$T/e2/$f" || fail "$f not restored as it was"
	[ "$(stat -c %a "$T/e2/$f")" = 600 ] || fail "restored $f is not 0600"
done
ctl "$T/e2" certs | grep -q "^enrolled" || fail "restored node is not enrolled"
ctl "$T/e" backup -o "$T/e-nokey.bak" >/dev/null
ctl "$T/e3" restore "$T/e-nokey.bak" | grep -q "holds no node.key" || fail "no warning about the missing key"
[ ! -e "$T/e3/node.key" ] || fail "a key restored from a backup without keys"
# the city has no parent: nothing to reclaim, ids free at once
ctl "$T/c" backup -o "$T/c.bak" >/dev/null
ctl "$T/c2" restore "$T/c.bak" >/dev/null
ctl "$T/c2" ticket add --category 0102 --title "city ticket" >/dev/null || fail "restored city refuses ids"

say "after the backup: the grid adds and edits, the street edits, they sync"
C=$(ctl "$T/g" ticket add --category 0102 --title "made after the backup")
ctl "$T/g" ticket update "$A" --status registered --no-dispatch --note "grid, after backup" >/dev/null
ctl "$T/s" ticket update "$B" --assignee roads --note "street, after backup" >/dev/null
wait_for 20 same_digest 440106012001001 g s || fail "sync after the backup"
ctl "$T/s" ticket show "$C" >/dev/null || fail "street lacks the grid's new ticket"
hist() { ctl "$T/$1" ticket show "$2" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["history"]))'; }
hA=$(hist s "$A")
stop g

say "restore the grid from the old backup into a new directory"
expect_fail ctl "$T/s" restore "$T/g.bak" -d "$T/s" | grep -q "already holds a store" || fail "restore over a store"
ctl "$T/g2" restore "$T/g.bak" >"$T/restore.out"
cat "$T/restore.out"
grep -q "restored grid node 440106012001001" "$T/restore.out" || fail "restore output"
cp "$T/g/port" "$T/g2/port"
expect_fail ctl "$T/g2" ticket show "$C" >/dev/null
# its ids may have been issued after the backup: none until it has them back
expect_fail ctl "$T/g2" ticket add --category 0102 --title "too early" | grep -q "sync" || fail "early ticket add not refused with a reason"
ctl "$T/g2" status | grep -q "from a backup at" || fail "status does not say restored"

say "restarted: converges, and gets back what it had made after the backup"
start g2
wait_for 30 same_digest 440106012001001 g2 s || fail "restored grid does not converge"
ctl "$T/g2" ticket show "$C" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert t["title"] == "made after the backup", t' || fail "the grid's own post-backup ticket did not come back"
ctl "$T/g2" ticket show "$A" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert t["status"] == "registered", t' || fail "the grid's own post-backup edit did not come back"
ctl "$T/g2" ticket show "$B" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert t["assignee"] == "roads", t' || fail "the street's edit did not reach the restored grid"
wait_for 10 sh -c "! $GRIDCTL -d $T/g2 status | grep -q 'from a backup at'" || fail "reclaim never finished"

say "new ids after the restore skip the ones it had issued; no history duplicates"
D=$(ctl "$T/g2" ticket add --category 0102 --title "after the restore")
[ "$D" != "$C" ] && [ "$D" != "$A" ] && [ "$D" != "$B" ] || fail "ticket id $D issued twice"
ctl "$T/g2" ticket update "$A" --note "grid, after restore" --priority 2 >/dev/null
wait_for 20 same_digest 440106012001001 g2 s || fail "post-restore edits"
assert_eq "$(hist s "$A")" "$((hA + 1))" "history of $A at the street (no duplicate entries)"
assert_eq "$(hist g2 "$A")" "$((hA + 1))" "history of $A at the restored grid"
assert_eq "$(ctl "$T/s" ticket show "$D" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["title"])')" \
	"after the restore" "new ticket at the street"
echo ok
