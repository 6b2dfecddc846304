#!/usr/bin/env bash
# The whole test suite: set up (if needed), run every test project, print one summary line.
set -uo pipefail
root=$(cd "$(dirname "$0")" && pwd)
"$root/scripts/setup.sh" || exit 1
log=$(mktemp)
# One test project at a time (-m:1): the wall-time tests (time budgets, cancellation) need the two cores to themselves.
dotnet test "$root/KShotNas.sln" -c Release --no-build -nologo -m:1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$passed" -gt 0 ] || { echo "no test ran" >&2; exit 1; }
exit "$status"
