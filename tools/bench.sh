#!/bin/sh
# make bench: every figure of brief section 5, in one run, each printed
# with its target, written to build/bench/results.json, and shown in one
# table at the end.  Benchmarks never gate tests; this script fails only
# if a step cannot run (a figure that misses its target is shown as MISS).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench/results.json
mkdir -p "$top/build/bench"
rm -f "$out"
export GRIDMESH_DATA=$top/data
start=$(date +%s)
bench() { "$top/build/gridbench" --data "$top/data" --out "$out" "$@"; }
bench                 # store: writes, merges, bytes of batches
bench net             # CoAP: a grid and a street through a counting relay
bench idle            # idle round in a city of 20 and of 20,000 grids
bench mesh            # 85 gridnode processes (meshsim)
bench catchup         # a grid back after 110,000 changes (meshsim)
"$top/build/grideval" --data "$top/data" --out "$out"   # classification accuracy
"$top/build/gridbench_views" --data "$top/data" --out "$out"   # 1,000,000-ticket city
bench table
echo "results: $out ($(( $(date +%s) - start )) s)"
