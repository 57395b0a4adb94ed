# kill -9 of a random node at random moments while grid workers keep
# writing and the tree keeps syncing, then a restart; CYCLES times (20 in
# make test, more in make soak).  In the end every acknowledged ticket is
# at every node that should hold it, all digests agree and every store
# passes PRAGMA integrity_check.
. "$(dirname "$0")/lib.sh"
CYCLES=${CYCLES:-20}

mknode d district 440106
mknode s1 street 440106012 d
mknode s2 street 440106013 d
mknode g11 grid 440106012001001 s1
mknode g12 grid 440106012001002 s1
mknode g21 grid 440106013001001 s2
NODES="d s1 s2 g11 g12 g21"
for n in $NODES; do start $n; done

# grid workers: a ticket every few tens of ms; an id is printed only when
# gridctl acknowledged it (exit 0), and that is what must never be lost
(
	i=0
	while [ ! -f "$T/stop" ]; do
		i=$((i + 1))
		for g in g11 g12 g21; do
			id=$("$GRIDCTL" -d "$T/$g" ticket add --category 0102 --title "w$i" 2>/dev/null) &&
				echo "$g $id" >>"$T/acked"
		done
		# the district dispatches now and then
		if [ $((i % 7)) = 0 ] && [ -s "$T/acked" ]; then
			last=$(tail -n 1 "$T/acked" | cut -d' ' -f2)
			"$GRIDCTL" -d "$T/d" ticket update "$last" --assignee "team-$i" >/dev/null 2>&1 || true
		fi
		sleep 0.03
	done
) &
WRITER=$!
PIDS="$PIDS $WRITER"

for c in $(seq 1 "$CYCLES"); do
	victim=$(echo $NODES | tr ' ' '\n' | shuf -n 1)
	sleep "$(printf '0.%03d' $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 400 )))"
	stop "$victim" KILL
	intact "$victim" || fail "cycle $c: $victim's store damaged"
	sleep "0.$(( $(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 3 ))"
	start "$victim"
	echo "cycle $c: killed and restarted $victim"
done
touch "$T/stop"
wait "$WRITER" 2>/dev/null || true

nacked=$(wc -l <"$T/acked")
say "$nacked acknowledged tickets; waiting for convergence"
for g in g11 g12 g21; do
	code=$(ctl "$T/$g" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
	street=$( [ "$g" = g21 ] && echo s2 || echo s1 )
	wait_for 120 same_digest "$code" "$g" "$street" d || fail "$g did not converge"
done
assert_eq "$(count d)" "$nacked" "the district holds every acknowledged ticket"
cut -d' ' -f2 "$T/acked" | sort >"$T/want"
ctl "$T/d" ticket list --json | python3 -c '
import json, sys
for t in json.load(sys.stdin): print(t["id"])' | sort >"$T/have"
cmp -s "$T/want" "$T/have" || fail "acknowledged tickets missing at the district"
for n in $NODES; do
	intact "$n" || fail "$n damaged"
done
echo ok
