#!/bin/sh
# run-integration.sh [TEST...] - runs the integration tests (tests/integration/*.sh):
# real gridctl and gridnode processes on loopback.  Each test is a shell
# script that exits 0 on success; output goes to build/test-logs/NAME.log
# and is shown when a test fails.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
logs=$top/build/test-logs
mkdir -p "$logs"
export GM_TOP=$top
export GRIDMESH_DATA=$top/data
export PATH=$top/build:$PATH

# lib.sh is sourced by the tests, not a test itself
tests=${*:-$(ls "$top"/tests/integration/*.sh | grep -v '/lib\.sh$')}
pass=0 fail=0 failed=""
for t in $tests; do
	name=$(basename "$t" .sh)
	start=$(date +%s)
	if timeout 600 sh "$t" >"$logs/$name.log" 2>&1; then
		pass=$((pass + 1))
		echo "  PASS  $name ($(( $(date +%s) - start )) s)"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "  FAIL  $name ($(( $(date +%s) - start )) s); last lines of $logs/$name.log:"
		tail -n 30 "$logs/$name.log" | sed 's/^/        /'
	fi
done
echo "integration: $pass passed, $fail failed${failed:+:$failed}"
[ "$fail" -eq 0 ]
