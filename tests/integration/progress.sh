# Long work shows a progress line on a terminal (rewritten in place with
# \r) and nothing when standard error is not a terminal: gridctl import of
# a bundle, gridctl sync catching up.  script(1) gives the command a pty.
. "$(dirname "$0")/lib.sh"

command -v script >/dev/null 2>&1 || { echo "(script(1) missing: skipped)"; exit 0; }
# tty CMD...: runs CMD on a pseudo-terminal, its output in $T/tty.out
tty() {
	script -qec "$*" /dev/null >"$T/tty.out" 2>&1 </dev/null || true
}

mknode s street 440106012
mknode g grid 440106012001001 s
i=0
while [ $i -lt 5 ]; do
	ctl "$T/g" ticket add --category 0102 --title "bin $i" >/dev/null
	ctl "$T/g" seal >/dev/null
	i=$((i + 1))
done
ctl "$T/g" export -o "$T/g.gmx" >/dev/null

say "import on a terminal: a progress line, then the summary"
ctl "$T/s2" init --level street --code 440106012 >/dev/null 2>&1
tty "$GRIDCTL" -d "$T/s2" import "$T/g.gmx"
od -c "$T/tty.out" | head -20
grep -q "$(printf '\r')$T/g.gmx: imported 5 / 5 batches" "$T/tty.out" || fail "no progress line on a tty"
grep -q "imported 5 batches (5 changes applied" "$T/tty.out" || fail "no summary on a tty"

say "import to a file or pipe: the summary only"
ctl "$T/s3" init --level street --code 440106012 >/dev/null 2>&1
ctl "$T/s3" import "$T/g.gmx" >"$T/out" 2>"$T/err"
[ ! -s "$T/err" ] || { cat "$T/err"; fail "import wrote to stderr without a tty"; }
grep -q "$(printf '\r')" "$T/out" && fail "carriage return without a tty"
grep -q "^imported 5 batches" "$T/out" || fail "summary"

say "sync catching up on a terminal: a progress line"
start s
wait_for 10 grep -q "street node 440106012 up" "$T/s.log" || fail "street did not start"
tty "$GRIDCTL" -d "$T/g" sync
od -c "$T/tty.out" | head -20
grep -q "$(printf '\r')sync: [0-9]* / 5 batches up, [0-9]* down" "$T/tty.out" || fail "no sync progress on a tty"
grep -q "synced with coap://127.0.0.1:[0-9]*: 5 batches up" "$T/tty.out" || fail "no sync summary on a tty"

say "sync without a terminal: the summary only"
ctl "$T/g" ticket add --category 0102 --title "one more" >/dev/null
ctl "$T/g" sync >"$T/out" 2>"$T/err"
[ ! -s "$T/err" ] || { cat "$T/err"; fail "sync wrote to stderr without a tty"; }
grep -q "^synced with .*1 batches up" "$T/out" || fail "sync summary"
echo ok
