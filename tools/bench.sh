#!/bin/sh
# make bench: every figure of brief section 5 that exists so far, in one
# run, printed with its target and written to build/bench/results.json.
#   gridbench        store figures (writes, merges, bytes, convergence)
#   gridbench_views  a city node with 1,000,000 tickets: city_view_1m_ms
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench/results.json
mkdir -p "$top/build/bench"
rm -f "$out"
export GRIDMESH_DATA=$top/data
"$top/build/gridbench" --data "$top/data" --out "$out"
"$top/build/gridbench" --data "$top/data" --out "$out" net
"$top/build/grideval" --data "$top/data" --out "$out"
echo
"$top/build/gridbench_views" --data "$top/data" --out "$out"
echo "results: $out"
