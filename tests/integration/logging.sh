# What an operator reads in the logs at the default level: one line per
# event that matters (link up and down, batches pushed, received and
# applied, refusals with their reason), nothing per change; under the
# journal no timestamps and a syslog priority prefix on every line.
. "$(dirname "$0")/lib.sh"

mknode s street 440106012
mknode g grid 440106012001001 s

# start_quiet NAME [journal]: gridnode at the default level; with
# "journal", stderr is announced as the journal, as systemd does
start_quiet() {
	touch "$T/$1.log"
	if [ "${2:-}" = journal ]; then
		JOURNAL_STREAM=$(stat -c '%d:%i' "$T/$1.log") gridnode -d "$T/$1" >>"$T/$1.log" 2>&1 &
	else
		gridnode -d "$T/$1" >>"$T/$1.log" 2>&1 &
	fi
	echo $! >"$T/$1.pid"
	PIDS="$PIDS $!"
}

say "40 tickets made offline, then the grid's daemon starts"
i=0
while [ $i -lt 40 ]; do
	ctl "$T/g" ticket add --category 0102 --title "bin $i" >/dev/null
	i=$((i + 1))
done
start_quiet s journal
wait_for 10 grep -q "street node 440106012 up" "$T/s.log" || fail "street start line"
start_quiet g
wait_for 20 same_digest 440106012001001 g s || fail "no sync"
wait_for 5 grep -q "push from 440106012001001: 1 batches, 40 changes applied" "$T/s.log" ||
	fail "the street does not log the push it applied"
grep -q "pushed 1 batches (40 changes) to parent, acknowledged" "$T/g.log" || fail "grid: push line"
grep -q "link to parent coap://127.0.0.1:[0-9]* is up$" "$T/g.log" || fail "grid: link up line"
grep -q "child 440106012001001 registered from 127.0.0.1:" "$T/s.log" || fail "street: child line"

say "a change coming down is one line at the grid"
ctl "$T/s" ticket update 440106012001001-000001 --assignee sanitation >/dev/null
wait_for 20 same_digest 440106012001001 g s || fail "no sync down"
wait_for 5 grep -q "pulled 1 batches (1 changes applied, 0 superseded) from parent" "$T/g.log" ||
	fail "grid: pull line"

say "a refusal is logged once, at warn, with its reason"
$COAP_CLIENT -m get "coap://127.0.0.1:$(cat "$T/s/port")/v1/down?c=999" >/dev/null 2>&1 || true
wait_for 5 grep -q "refused not a child from 127.0.0.1:[0-9]*: c= must name a direct child" "$T/s.log" ||
	fail "refusal not logged with its reason"

say "journal lines: a priority prefix, no timestamp"
cat "$T/s.log"
grep -q '^<5>440106012 notice: street node 440106012 up' "$T/s.log" || fail "journal notice prefix"
grep -q '^<4>440106012 warn: refused not a child' "$T/s.log" || fail "journal warn prefix"
grep -v '^<[3-7]>440106012 ' "$T/s.log" && fail "a journal line without its prefix"
grep -q '^20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]* 440106012001001 notice: ' "$T/g.log" ||
	fail "file lines start with the time"

say "the link going down is one line, however many retries; coming back is one more"
stop s
ctl "$T/g" ticket add --category 0102 --title "while the street is away" >/dev/null
sleep 4
assert_eq "$(grep -c "link to parent .* is down" "$T/g.log")" 1 "link-down lines"
start_quiet s journal
wait_for 20 same_digest 440106012001001 g s || fail "no sync after the street came back"
wait_for 5 grep -q "link to parent .* is up again" "$T/g.log" || fail "link up again line"

say "no per-change spam: 41 tickets and an edit made a handful of lines"
cat "$T/g.log"
ng=$(wc -l <"$T/g.log")
ns=$(wc -l <"$T/s.log")
[ "$ng" -le 12 ] || fail "the grid logged $ng lines"
[ "$ns" -le 14 ] || fail "the street logged $ns lines"

say "over DTLS: a child that stops cleanly is not a failed handshake"
stop g
stop s
mknode c city 4401
mknode d district 440106 c
mknode s2 street 440106012 d
mknode g2 grid 440106012001001 s2
enrol_tree c d s2 g2
start_quiet s2
wait_for 10 grep -q "street node 440106012 up" "$T/s2.log" || fail "enrolled street start"
start_quiet g2
ctl "$T/g2" ticket add --category 0102 --title "over DTLS" >/dev/null
wait_for 20 grep -q "pushed .* to parent, acknowledged" "$T/g2.log" || fail "no push over DTLS"
stop g2
sleep 1
grep -q "DTLS handshake from .* failed" "$T/s2.log" && fail "a clean DTLS close logged as a failed handshake"
ctl "$T/s2" status | grep -q "DTLS handshake failed" && fail "a clean DTLS close counted as a refusal"

say "JOURNAL_STREAM naming another file: back to timestamps"
JOURNAL_STREAM=1:1 gridnode -d "$T/s" -c "$T/nope" 2>"$T/err" || true
grep -q '^20[0-9][0-9]-.* error: .*nope: No such file' "$T/err" || fail "timestamps when stderr is not the journal"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/err") gridnode -d "$T/s" -c "$T/nope" 2>>"$T/err" || true
grep -q '^<3>440106012 error: .*nope: No such file' "$T/err" || fail "journal error prefix"
echo ok
