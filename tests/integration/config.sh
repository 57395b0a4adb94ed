# gridnode.conf as an operator meets it: the shipped example is exactly
# what the settings table says (it cannot drift), it is a valid file as it
# is and uncommented; a bad file is refused with file:line and gridnode
# does not start (exit 78); a bad reload keeps the running settings.
. "$(dirname "$0")/lib.sh"

top=${GM_TOP:?run me from tests/run-integration.sh}

say "dist/gridnode.conf.example is what tools/example-config.sh makes"
"$top/tools/example-config.sh" "$(command -v gridnode)" "$(command -v gridctl)" >"$T/example"
if ! diff -u "$top/dist/gridnode.conf.example" "$T/example"; then
	fail "the example config drifted from the settings table: tools/example-config.sh > dist/gridnode.conf.example"
fi

mknode s street 440106012
rm "$T/s/gridnode.conf"
say "the example is a valid file, commented out and uncommented"
ctl "$T/bare" init --level street --code 440106012 >/dev/null 2>&1
gridnode -d "$T/bare" -c "$top/dist/gridnode.conf.example" -n | grep -q "settings ok" || fail "example refused"
sed 's/^#\([a-z_]* =\)/\1/' "$top/dist/gridnode.conf.example" >"$T/uncommented"
n=$(grep -c '^[a-z_]* =' "$T/uncommented")
[ "$n" -gt 10 ] || fail "only $n settings in the example"
gridnode -d "$T/bare" -c "$T/uncommented" -n -v >"$T/dump1" || fail "uncommented example refused"
gridnode -d "$T/bare" -n -v >"$T/dump2"
# the first line names the file; the settings after it must be the defaults
tail -n +2 "$T/dump1" >"$T/set1"
tail -n +2 "$T/dump2" >"$T/set2"
cmp -s "$T/set1" "$T/set2" || { diff "$T/set1" "$T/set2"; fail "the example's values are not the defaults"; }

say "bad files: file:line, exit 78, and gridnode does not start"
check_bad() { # TEXT LINE WHY
	printf "$1" >"$T/s/gridnode.conf"
	set +e
	gridnode -d "$T/s" -n >"$T/out" 2>&1
	rc=$?
	set -e
	assert_eq "$rc" 78 "gridnode -n on '$1'"
	grep -q "$T/s/gridnode.conf:$2: $3" "$T/out" || { cat "$T/out"; fail "message for '$1'"; }
	# the daemon itself refuses to start, with the same line
	set +e
	timeout 10 gridnode -d "$T/s" >"$T/out" 2>&1
	rc=$?
	set -e
	assert_eq "$rc" 78 "gridnode start on '$1'"
	grep -q "gridnode.conf:$2: $3" "$T/out" || { cat "$T/out"; fail "start message for '$1'"; }
}
check_bad '[node]\nlog_level = loud\n' 2 "log_level: 'loud' is not error, warn, notice, info or debug"
check_bad '[sync]\npoll_s = 30\n\n# fine so far\npull_kb = 0\n' 5 "pull_kb: '0' is not a whole number from 1 to 65536"
check_bad '[coap]\nack_timeout_ms = 500\n' 2 "ack_timeout_ms: '500' is not a whole number from 1000"
check_bad '[security]\ninsecure = perhaps\n' 2 "insecure: 'perhaps' is not true or false"
check_bad '[node]\nparent = http://district:80\n' 2 "parent: 'http://district:80' is not coap://HOST:PORT"
check_bad '[sink]\npoll_s = 3\n' 2 "unknown setting \[sink\] poll_s"
check_bad '[sync]\npol_s = 3\n' 2 "unknown setting \[sync\] pol_s"
check_bad '[sync]\npoll_s\n' 2 "not an INI line"

say "a file named with -c must exist"
set +e
gridnode -d "$T/s" -c "$T/nope.conf" -n >"$T/out" 2>&1
rc=$?
set -e
assert_eq "$rc" 78 "missing -c file"
grep -q "nope.conf: No such file" "$T/out" || fail "missing -c message"

say "gridctl status says the file is bad"
printf '[sync]\npol_s = 3\n' >"$T/s/gridnode.conf"
ctl "$T/s" status 2>&1 | grep -q "warning: .*gridnode.conf:2: unknown setting" || fail "status warning"

say "SIGHUP: a bad file is refused and the running settings kept; a good one is applied"
printf '%s\n' "$FAST_CONF" >"$T/s/gridnode.conf"
port=$(cat "$T/s/port")
gridnode -d "$T/s" >"$T/s.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
wait_for 10 grep -q "street node 440106012 up" "$T/s.log" || fail "no start line"
printf '[sync]\npoll_s = never\n' >>"$T/s/gridnode.conf"
kill -HUP "$pid"
wait_for 10 grep -q "reload refused; keeping the running settings" "$T/s.log" || fail "bad reload not refused"
grep -q "gridnode.conf:.*: poll_s: 'never'" "$T/s.log" || fail "bad reload: no file:line"
kill -0 "$pid" || fail "gridnode died on a bad reload"
printf '%s\n[node]\nlog_level = info\n' "$FAST_CONF" >"$T/s/gridnode.conf"
kill -HUP "$pid"
wait_for 10 grep -q "settings reloaded from" "$T/s.log" || fail "good reload not applied"
kill "$pid"
wait "$pid" || fail "gridnode did not stop cleanly"
grep -q "shutting down" "$T/s.log" || fail "no stop line"
echo ok
