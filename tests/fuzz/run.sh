#!/bin/sh
# run.sh NAME SECONDS - runs the fuzz harness build/fuzz/NAME for SECONDS on
# its seed corpus tests/fuzz/NAME/ (read only) plus build/fuzz/corpus/NAME/
# (where it keeps what it finds).  Prints one line: executions, rate,
# coverage.  On a finding it prints the report and the input's path, and
# fails; add the input to tests/fuzz/NAME/ as crash-<what> once fixed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
name=$1
secs=$2
bin=$top/build/fuzz/$name
work=$top/build/fuzz/corpus/$name
art=$top/build/fuzz/artifacts
log=$top/build/fuzz/logs/$name.log
mkdir -p "$work" "$art" "$(dirname "$log")"
# -timeout: an input that takes this long counts as a hang (a loop);
# -malloc_limit_mb: one allocation above the largest legitimate one (the
# 64 MB decompression buffer) counts as a memory bomb
if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 \
	-print_final_stats=1 -artifact_prefix="$art/$name-" "$work" "$top/tests/fuzz/$name" >"$log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	printf '  FUZZ  %-18s %9s runs in %s s (%s/s), %s\n' "$name" "$runs" "$secs" "$rate" "$cov"
	exit 0
fi
echo "  FUZZ  $name: FINDING; last lines of $log:"
grep -v '^#' "$log" | tail -n 40 | sed 's/^/        /'
ls -t "$art/$name-"* 2>/dev/null | head -n 1 | sed 's/^/        input: /'
exit 1
