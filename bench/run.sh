#!/usr/bin/env bash
# Runs every benchmark binary in BUILD_DIR/bench/ (each prints its figures and exits non-zero
# when over its budget). Usage: bench/run.sh BUILD_DIR [benchmark flags...]
set -uo pipefail
build="${1:?usage: bench/run.sh BUILD_DIR [benchmark flags...]}"
shift
dir="$build/bench"
if [ ! -d "$dir" ]; then
  echo "bench: no $dir (configure with -DGT_BENCH=ON and libbenchmark-dev installed)" >&2
  exit 3
fi
if [ "$(id -u)" != 0 ]; then
  echo "bench: the benchmarks create real cgroups and need root" >&2
  exit 3
fi
status=0
found=0
for bin in "$dir"/*; do
  [ -f "$bin" ] && [ -x "$bin" ] || continue
  found=1
  echo "== $(basename "$bin")"
  "$bin" "$@" || status=1
  if [ "$(basename "$bin")" = gt_controller_bench ]; then
    echo "== gt_controller_bench, shipped defaults (5 min windows, agent every 5 s)"
    GT_BENCH_DEFAULT_WINDOWS=1 "$bin" "$@" || status=1
  fi
done
# The verdict-quality corpus with the rules' default 5m windows: the latency figures of
# docs/verdict-quality.md (about an hour; GT_BENCH_SCENARIOS=0 skips it).
if [ "${GT_BENCH_SCENARIOS:-1}" != 0 ] && [ -x "$build/tests/scenarios/gt_scenario_row" ]; then
  echo "== verdict-quality scenarios (--long)"
  "$(dirname "$0")/../tests/scenarios/run.sh" "$build" --long || status=1
fi
# Detection latency end to end under the shipped defaults (real kube-apiserver, real agent;
# ~5 minutes; GT_BENCH_E2E=0 skips it).
if [ "${GT_BENCH_E2E:-1}" != 0 ]; then
  echo "== detection latency, shipped defaults (tests/e2e TestDetectionLatencyShippedDefaults)"
  GT_E2E_LATENCY=1 GT_E2E_LATENCY_OUT="$build/detection-latency.txt" \
    "$(dirname "$0")/../tests/e2e/run.sh" "$build" -run TestDetectionLatencyShippedDefaults >"$build/detection-latency.log" 2>&1 ||
    { status=1; tail -30 "$build/detection-latency.log"; }
  cat "$build/detection-latency.txt" 2>/dev/null
fi
if [ "$found" = 0 ]; then
  echo "bench: no benchmark binaries in $dir" >&2
  exit 3
fi
exit $status
