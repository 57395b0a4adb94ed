#!/bin/sh
# make demo: a small city on loopback (1 city, 2 districts, 2 streets each,
# 2 grids each: 15 gridnode processes), a day of real 311 tickets entered
# at the grids, watched flowing up to the city, the city's view of open
# tickets by district and category, and every process stopped at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
export GRIDMESH_DATA=$top/data
W=$(mktemp -d "${TMPDIR:-/tmp}/gridmesh-demo-XXXXXX")
PIDS=""
cleanup() {
	[ -n "$PIDS" ] && echo "stopping $(echo $PIDS | wc -w) gridnode processes"
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
ctl() { _node=$1; shift; "$B/gridctl" -d "$W/$_node" "$@"; }

port=$(( 25000 + $$ % 20000 ))
mk() { # name level code [parent]
	args="--level $2 --code $3"
	[ "$2" = grid ] || { port=$((port + 1)); args="$args --listen coaps://127.0.0.1:$port"; echo $port >"$W/$1.port"; }
	[ -n "${4:-}" ] && args="$args --parent coaps://127.0.0.1:$(cat "$W/$4.port")"
	ctl "$1" init $args >/dev/null 2>&1
	printf '[sync]\nwatch_ms = 50\n' >"$W/$1/gridnode.conf"
	# enrolment: the city certifies itself, every parent its children
	if [ -n "${4:-}" ]; then
		ctl "$4" enrol child "$W/$1" >/dev/null
	else
		ctl "$1" keygen >/dev/null
		ctl "$1" enrol self >/dev/null
	fi
	NODES="${NODES:-} $1"
}

echo "== gridmesh demo: a city of 15 nodes on loopback (work dir $W)"
echo "   each node enrolled by its parent (Ed25519 chain to the city), links over DTLS"
mk city city 4401
grids=""
for d in 1 2; do
	mk "d$d" district "44010$d" city
	for s in 1 2; do
		mk "d${d}s$s" street "44010${d}00$s" "d$d"
		for g in 1 2; do
			mk "d${d}s${s}g$g" grid "44010${d}00${s}00100$g" "d${d}s$s"
			grids="$grids d${d}s${s}g$g"
		done
	done
done
for n in $NODES; do
	"$B/gridnode" -d "$W/$n" >>"$W/$n.log" 2>&1 &
	PIDS="$PIDS $!"
done
sleep 0.5

total=$(grep -vc '^#' "$GRIDMESH_DATA/demo-day.csv")
echo "== grid workers enter $total real 311 requests of 2020-01-01 (data/demo-day.csv)"
i=0
grep -v '^#' "$GRIDMESH_DATA/demo-day.csv" |
while IFS=, read -r gi cat title addr lat lon src final agency; do
	g=$(echo $grids | cut -d' ' -f$((gi + 1)))
	id=$(ctl "$g" --actor "worker-$g" ticket add --category "$cat" --title "$title" \
		--address "$addr" --lat "$lat" --lon "$lon" --source "$src")
	i=$((i + 1))
	# a day's progress: some still open, some dispatched, most closed
	case $((i % 4)) in
	0) ;;
	1) ctl "$g" ticket update "$id" --status registered >/dev/null
	   ctl "$g" ticket update "$id" --status dispatched --assignee "$agency" >/dev/null ;;
	*) if [ "$final" = rejected ]; then
		ctl "$g" ticket update "$id" --status rejected --note "duplicate" >/dev/null
	   else
		for st in registered dispatched in_progress resolved verified closed; do
			ctl "$g" ticket update "$id" --status $st >/dev/null
		done
	   fi ;;
	esac
done

echo "== watching the tickets flow up to the city"
start=$(date +%s)
while :; do
	have=$(ctl city ticket list --json | grep -c '"id"' || true)
	printf '   city holds %d of %d tickets\n' "$have" "$total"
	[ "$have" -ge "$total" ] && break
	[ $(( $(date +%s) - start )) -lt 30 ] || { echo "demo: the city did not catch up in 30 s" >&2; exit 1; }
	sleep 0.5
done
ok=1
for g in $grids; do
	code=$(ctl "$g" status --json | grep '"code"' | head -1 | tr -dc 0-9)
	[ "$(ctl "$g" digest --shared --scope "$code")" = "$(ctl city digest --shared --scope "$code")" ] || ok=0
done
[ $ok = 1 ] && echo "   every grid's records are byte-identical at the city (digests match)"
[ $ok = 1 ] || { echo "demo: a grid and the city disagree" >&2; exit 1; }

echo "== the city's open tickets by district and category"
ctl city view tickets --by district,category --status open
echo "== the city's KPIs"
ctl city view kpi

