#!/usr/bin/env bash
# Flake hunt under load: the whole e2e suite N times in a row and the unit +
# real-cgroup suite M times, while two busy loops take the machine's cores.
# Usage: tests/e2e/stress.sh BUILD_DIR [E2E_RUNS=5] [UNIT_RUNS=3]
#
# The busy loops are this script's children, niced to 0 like the suite, and
# are killed on any exit (the trap), so nothing outlives the run. Each run's
# log goes to $GT_STRESS_DIR (default a fresh temp dir); the first failure
# stops the hunt, so its log is the last one written.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [E2E_RUNS] [UNIT_RUNS]" >&2; exit 3; }
build_dir=$(realpath "$1")
e2e_runs=${2:-5}
unit_runs=${3:-3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
logs=${GT_STRESS_DIR:-$(mktemp -d /tmp/gt-stress.XXXXXX)}
mkdir -p "$logs"

busy=()
stop_busy() { [ ${#busy[@]} -eq 0 ] || kill "${busy[@]}" 2>/dev/null || true; }
trap stop_busy EXIT
for _ in 1 2; do
  # Bounded: at most 4 hours even if the trap never runs (kill -9 of this script).
  timeout 4h bash -c 'while :; do :; done' &
  busy+=($!)
done
echo "stress: busy loops ${busy[*]}; logs in $logs"

run() { # name, command...
  local name=$1 start
  shift
  start=$(date +%s)
  if "$@" >"$logs/$name.log" 2>&1; then
    echo "stress: $name passed in $(( $(date +%s) - start ))s"
  else
    echo "stress: $name FAILED in $(( $(date +%s) - start ))s; see $logs/$name.log" >&2
    grep -E -- '--- FAIL|\[  FAILED  \]|Failure' "$logs/$name.log" | head -20 >&2 || true
    exit 1
  fi
}

for i in $(seq 1 "$unit_runs"); do
  run "unit-$i" bash -c "cd '$build_dir' && ctest --output-on-failure -j2"
done
for i in $(seq 1 "$e2e_runs"); do
  run "e2e-$i" "$here/run.sh" "$build_dir"
done
echo "stress: $unit_runs unit + real-cgroup runs and $e2e_runs e2e runs, no failure"
