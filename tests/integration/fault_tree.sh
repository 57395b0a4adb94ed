# fault_tree.sh - sync over bad links (issue 7): a city, a district, two
# streets and four grids, every child's uplink through a tools/faultproxy
# of its own that loses 30% of the datagrams each way, duplicates 5%,
# reorders 10% and delays each by 100-300 ms (seeded: FAULT_SEED).  Every
# grid writes tickets, the district and the city dispatch down and edit a
# grid's ticket from above; all of it converges: every node holds the same
# records of each scope, every ticket exists once everywhere it belongs
# and with the same history (none lost, none applied twice).  One street
# is cut off meanwhile for PARTITION_S seconds while everybody keeps
# writing and the rest of the tree syncs; after healing, everything
# converges.  The proxies' counters show the faults happened,
# at about the configured rates.
. "$(dirname "$0")/lib.sh"

FAULTPROXY=${FAULTPROXY:-faultproxy}
SEED=${FAULT_SEED:-7100}
FAULTS="--loss 0.3 --dup 0.05 --reorder 0.1 --delay-ms 100-300"
PARTITION_S=${PARTITION_S:-20}
LIMIT=${LIMIT:-240}      # seconds to converge; typically a third of it

# A request gives up after 5 sends (1+2+4+8+16 s); the link then backs off
# to 4 s at most.  Polls are the safety net for lost bells.
FAULT_CONF='[coap]
ack_timeout_ms = 1000
ack_random_factor_pct = 100
max_retransmit = 4
[sync]
poll_s = 5
poll_observing_s = 20
backoff_min_ms = 500
backoff_max_s = 4
watch_ms = 50
[security]
insecure = false'

# node NAME LEVEL CODE [PARENT]: mknode, and code NAME says the code
node() {
	mknode "$@"
	echo "$3" >"$T/$1.code"
}
code() { cat "$T/$1.code"; }
street_of() { cat "$T/$1/parent_name"; }

node c city 4401
node d district 440106 c
node s1 street 440106012 d
node s2 street 440106013 d
node g11 grid 440106012001001 s1
node g12 grid 440106012001002 s1
node g21 grid 440106013001001 s2
node g22 grid 440106013001002 s2
NODES="c d s1 s2 g11 g12 g21 g22"
CHILDREN="d s1 s2 g11 g12 g21 g22"
GRIDS="g11 g12 g21 g22"
enrol_tree $NODES
for n in $NODES; do printf '%s\n' "$FAULT_CONF" >"$T/$n/gridnode.conf"; done

say "every uplink through a faultproxy of its own: $FAULTS, seeds from $SEED"
i=0
for n in $CHILDREN; do
	i=$((i + 1))
	p=$(free_port)
	up=$(cat "$T/$(cat "$T/$n/parent_name")/port")
	"$FAULTPROXY" --listen "127.0.0.1:$p" --upstream "127.0.0.1:$up" $FAULTS \
		--seed $((SEED + i)) 2>"$T/px_$n.err" &
	echo $! >"$T/px_$n.pid"
	PIDS="$PIDS $!"
	printf '[node]\nparent = coaps://127.0.0.1:%s\n' "$p" >>"$T/$n/gridnode.conf"
done
for n in $CHILDREN; do
	wait_for 5 grep -q ready "$T/px_$n.err" || fail "proxy of $n not ready: $(cat "$T/px_$n.err")"
done

# write NODE COUNT TAG: COUNT tickets of NODE's own scope, ids in $T/NODE.ids
write() {
	for k in $(seq 1 "$2"); do
		ctl "$T/$1" ticket add --category 0102 --title "$1 $3 $k" >>"$T/$1.ids"
	done
}

# converged: every grid's scope, every street's and the district's are the
# same at each node that holds them
converged() {
	for g in $GRIDS; do
		s=$(street_of "$g")
		same_digest "$(code "$g")" "$g" "$s" d c || return 1
	done
	same_digest "$(code s1)" s1 d c && same_digest "$(code s2)" s2 d c && same_digest 440106 d c
}

# edited NODE ID: NODE holds the city's edit of ticket ID
edited() {
	[ "$(ctl "$T/$1" ticket show "$2" --json | json_get 'd["assignee"]')" = sanitation ]
}
# elapsed SINCE: seconds from SINCE to now
elapsed() {
	echo $(( $(date +%s) - $1 ))
}

for n in $NODES; do start "$n"; done
t0=$(date +%s)

say "the grids write while the links come up; the district and the city dispatch down"
for g in $GRIDS; do write "$g" 15 a; done
ctl "$T/d" ticket add --category 0401 --title "from the district" --scope "$(code g12)" >>"$T/g12.ids"
ctl "$T/c" ticket add --category 0401 --title "from the city" --scope "$(code g22)" >>"$T/g22.ids"
A=$(head -n 1 "$T/g11.ids")     # to be edited behind the cut
B=$(head -n 1 "$T/g21.ids")     # and not
for id in "$A" "$B"; do
	wait_for "$LIMIT" ctl "$T/c" ticket show "$id" || fail "$id did not reach the city"
done
echo "the city holds a ticket of each street $(elapsed "$t0") s after the start"

say "street s1 cut off; everybody writes, the city edits from above"
kill -USR2 "$(cat "$T/px_s1.pid")"
wait_for 5 grep -q "partition on" "$T/px_s1.err" || fail "no partition"
tcut=$(date +%s)
for id in "$A" "$B"; do
	ctl "$T/c" ticket update "$id" --status registered --assignee sanitation \
		--note "dispatched by the city" --no-dispatch >/dev/null
done
ctl "$T/d" ticket add --category 0401 --title "during the cut" --scope "$(code g11)" >>"$T/g11.ids"
for g in $GRIDS; do write "$g" 5 b; done
# The rest of the tree goes on: the city's edit reaches g21, three hops
# down.  The cut lasts PARTITION_S, or until then.
wait_for "$LIMIT" edited g21 "$B" || fail "the city's edit did not reach g21 while s1 was cut off"
echo "the city's edit reached g21 $(elapsed "$tcut") s into the cut"
[ "$(elapsed "$tcut")" -ge "$PARTITION_S" ] || sleep $(( PARTITION_S - $(elapsed "$tcut") ))
crossed=$(ctl "$T/d" ticket list --scope "$(code g11)" --json |
	json_get 'sum(t["title"].startswith("g11 b") for t in d)')
assert_eq "$crossed" 0 "g11's tickets of the cut at the district before healing"
edited g11 "$A" && fail "the city's edit crossed the partition"
kill -USR2 "$(cat "$T/px_s1.pid")"
wait_for 5 grep -q "partition off" "$T/px_s1.err" || fail "no healing"
theal=$(date +%s)
echo "partition lasted $(( theal - tcut )) s"
wait_for "$LIMIT" converged || fail "no convergence $LIMIT s after healing"
echo "converged $(elapsed "$theal") s after healing, $(elapsed "$t0") s after the start"
edited g11 "$A" || fail "the city's edit did not reach g11 after healing"

say "every ticket once, everywhere it belongs, with one history"
# Every node of a grid's branch holds exactly the tickets written for the
# grid, the grid no others, and each ticket has the same history at the
# grid and the city: one entry per write, two for the ones the city edited.
for g in $GRIDS; do echo "$g $(code "$g") $(street_of "$g")"; done >"$T/grids"
python3 - "$GRIDCTL" "$T" "$A" "$B" <<'PY' || fail "tickets lost, doubled or misplaced"
import json, subprocess, sys
gridctl, T, edited = sys.argv[1], sys.argv[2], set(sys.argv[3:5])
def get(node, *args):
    out = subprocess.run([gridctl, "-d", T + "/" + node] + list(args) + ["--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)
bad = 0
def check(ok, what):
    global bad
    if not ok:
        print("FAIL:", what)
        bad = 1
everyone = []
for line in open(T + "/grids"):
    g, code, street = line.split()
    ids = open(T + "/" + g + ".ids").read().split()
    everyone += ids
    check(len(set(ids)) == len(ids), g + ": the same id twice")
    for n in (g, street, "d", "c"):
        held = sorted(t["id"] for t in get(n, "ticket", "list", "--scope", code))
        check(held == sorted(ids), "%s holds %d tickets of %s, %d written" % (n, len(held), g, len(ids)))
    check(len(get(g, "ticket", "list")) == len(ids), g + " holds tickets of others")
    for i in ids:
        want = 2 if i in edited else 1
        for n in (g, "c"):
            h = len(get(n, "ticket", "show", i)["history"])
            check(h == want, "%s at %s: %d history entries, not %d" % (i, n, h, want))
    print("%s: %d tickets, at %s, %s, d and c, each with its history" % (g, len(ids), g, street))
check(len(get("c", "ticket", "list")) == len(everyone), "the city holds tickets nobody wrote")
sys.exit(bad)
PY

say "the proxies really were that bad"
for n in $CHILDREN; do kill -USR1 "$(cat "$T/px_$n.pid")"; done
for n in $CHILDREN; do wait_for 5 grep -q "stats:" "$T/px_$n.err" || fail "no stats from $n's proxy"; done
for n in $CHILDREN; do sed "s/^faultproxy:/$n/" "$T/px_$n.err" | grep -E "^$n (up|down) "; done |
	tee "$T/stats" | awk '
	{ for (i = 3; i < NF; i += 2) v[$2, $i] += $(i + 1) }
	END {
		bad = 0
		for (d = 0; d < 2; d++) {
			dir = d ? "down" : "up"
			in_ = v[dir, "in"] - v[dir, "part"]
			kept = in_ - v[dir, "drop"]
			loss = v[dir, "drop"] / in_
			dup = v[dir, "dup"] / kept
			reo = v[dir, "reorder"] / kept
			printf "%-4s %6d datagrams: loss %.3f dup %.3f reorder %.3f, %d cut off\n",
				dir, in_, loss, dup, reo, v[dir, "part"]
			if (loss < 0.2 || loss > 0.4 || v[dir, "dup"] == 0 || v[dir, "reorder"] == 0 ||
			    dup > 0.15 || reo < 0.03 || reo > 0.2)
				bad = 1
		}
		exit bad
	}' || fail "fault rates far from the configured ones: $(cat "$T/stats")"
grep -E "^s1 (up|down) " "$T/stats" | awk '{ for (i = 3; i < NF; i += 2) if ($i == "part") p += $(i + 1) }
	END { exit !(p > 0) }' || fail "the partition dropped nothing"
echo "fault_tree: all checks passed in $(elapsed "$t0") s (seed $SEED)"
