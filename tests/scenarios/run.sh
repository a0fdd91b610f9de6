#!/usr/bin/env bash
# The verdict-quality corpus: runs every scenario of tests/scenarios/ through
# `groundtruth run --output json --record ...`, one after the other, checks groundtruth's
# verdict against the scenario's truth, and writes the table of docs/verdict-quality.md
# (groundtruth's verdict, detection latency, and the naive rules on the same samples).
#
# usage: tests/scenarios/run.sh BUILD_DIR [--long] [--table FILE] [--only NAME]...
#   default  30s windows (every rule window scaled by WithWindow): the CI run of `make test`
#   --long   5m windows, the rules' own defaults: the latency figures of `make bench`
#   --table  where to write the table (default: docs/verdict-quality.md, generated part only)
# Exit: 0 every verdict as expected, 1 some verdict wrong, 77 everything skipped, 3 usage.
# Needs root (cgroups, network namespaces).
set -uo pipefail
# The whole script is one function, read before it runs: editing the file mid-run is safe.
main() {

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-}
[ -n "$build" ] && shift || { sed -n 2,12p "$0" >&2; exit 3; }
build=$(cd "$build" && pwd) || exit 3
window=30
table="$repo/docs/verdict-quality.md"
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --long) window=300 ;;
    --table) table=$2; shift ;;
    --only) only+=("$2"); shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 3 ;;
  esac
  shift
done

groundtruth=$build/cli/groundtruth
row=$build/tests/scenarios/gt_scenario_row
for bin in "$groundtruth" "$row"; do
  [ -x "$bin" ] || { echo "run.sh: $bin is missing: cmake --build $build --target scenarios" >&2; exit 3; }
done
if [ "$(id -u)" != 0 ]; then
  echo "SKIP verdict-quality scenarios: need root (cgroups, network namespaces)" >&2
  exit 77
fi

out=$(mktemp -d /tmp/gt-scenarios.XXXXXX)
DATA_DIR=${GT_SCENARIO_DATA_DIR:-/var/tmp}  # not tmpfs: file pages must be evictable

# --- What a scenario may require. Each prints the missing feature and fails. ---------------
require_psi() {  # per-cgroup PSI for resource $1 (v2, or the unified tree of a hybrid host)
  for f in /sys/fs/cgroup/unified/"$1".pressure /sys/fs/cgroup/"$1".pressure; do
    [ -r "$f" ] && return 0
  done
  echo "per-cgroup $1 PSI (cgroup v2 $1.pressure; kernel CONFIG_PSI, psi=1)"; return 1
}
require_cfs_quota() {
  [ -e /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] || grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null ||
    { echo "CFS bandwidth control (cpu.cfs_quota_us / cpu.max)"; return 1; }
}
require_pids() {
  [ -d /sys/fs/cgroup/pids ] || grep -qw pids /sys/fs/cgroup/cgroup.controllers 2>/dev/null ||
    { echo "the pids cgroup controller"; return 1; }
}
require_blkio_throttle() {  # v1 blkio throttling, and a block device behind $1
  [ -e /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device ] ||
    { echo "cgroup v1 blkio.throttle.write_bps_device (CONFIG_BLK_DEV_THROTTLING)"; return 1; }
  local major
  major=$(stat -c %d "$1" 2>/dev/null) && major=$((major >> 8))
  [ -n "$major" ] && [ "$major" != 0 ] && [ -e "/sys/dev/block/$major:$(( $(stat -c %d "$1") & 255 ))" ] ||
    { echo "a block device behind $1 (it is on a virtual filesystem)"; return 1; }
}
require_netns() {
  command -v ip >/dev/null || { echo "iproute2 (ip netns)"; return 1; }
  command -v nft >/dev/null || { echo "nftables (nft, for numgen random drops; make deps)"; return 1; }
  ip netns add gt-scenario-probe 2>/dev/null || { echo "network namespaces (ip netns add)"; return 1; }
  ip netns exec gt-scenario-probe nft list tables >/dev/null 2>&1
  local nft_ok=$?
  ip netns del gt-scenario-probe
  [ $nft_ok = 0 ] || { echo "nf_tables in the kernel (nft list tables fails)"; return 1; }
}
no_swap() {
  [ "$(wc -l </proc/swaps)" -le 1 ] ||
    { echo "no swap (with swap on, anonymous growth swaps before the OOM killer acts)"; return 1; }
}

# --- One scenario ---------------------------------------------------------------------------
rows=()
failed=0 ran=0 skipped=0
run_one() {
  local dir=$1 name
  name=$(basename "$dir")
  (
    TRUTH='' CMD=() RUN_ARGS=() RUN_PREFIX=()
    WORKLOAD=$build/tests/scenarios/$name/workload
    requires() { :; }
    setup() { :; }
    teardown() { :; }
    # shellcheck source=/dev/null
    . "$dir/scenario.sh"
    if ! missing=$(requires); then
      echo "SKIP $name: this machine lacks $missing" >&2
      echo "| $name | $TRUTH | skipped: no $missing | | | | | | | | |" >"$out/$name.row"
      exit 77
    fi
    setup || { echo "$name: setup failed" >&2; teardown; exit 2; }
    # A pod has a network namespace of its own; a workload left in the host's would be judged
    # on the whole machine's TCP counters. Scenarios that bring their own (tcp) say so.
    netns=(unshare --net --)
    [ "${OWN_NETNS:-0}" = 1 ] && netns=()
    echo "RUN  $name (truth: $TRUTH, window ${window}s)" >&2
    "${RUN_PREFIX[@]}" "$groundtruth" run --manifest "$dir/manifest.yaml" --window "${window}s" --interval 1s \
      --output json --record "$out/$name.record.jsonl" --workload-log "$out/$name.log" \
      "${RUN_ARGS[@]}" -- "${netns[@]}" "${CMD[@]}" >"$out/$name.json" 2>"$out/$name.err"
    teardown
    "$row" --scenario "$name" --expect "$TRUTH" --window "$window" \
      --record "$out/$name.record.jsonl" --result "$out/$name.json" >"$out/$name.row" || exit
    [ "${APPLY_SUGGESTION:-0}" = 1 ] || exit 0
    # A suggestion must hold: not below what the workload would use on an idle node, and
    # applied, the same run (neighbours and all) is Compliant.
    local cpu
    cpu=$(jq -r '[.. | objects | .cpuLimitMillicores? // empty] | first // empty' "$out/$name.json")
    if [ -z "$cpu" ]; then
      echo "$name: no CPU limit suggested" >&2; exit 1
    fi
    if [ -n "${IDLE_CPU_MILLICORES:-}" ] && [ "$cpu" -lt "$IDLE_CPU_MILLICORES" ]; then
      echo "$name: suggested CPU limit ${cpu}m is below the ${IDLE_CPU_MILLICORES}m it runs on an idle node" >&2
      exit 1
    fi
    sed "s/^\( *\)cpu: .*# limit\$/\1cpu: ${cpu}m # limit/" "$dir/manifest.yaml" >"$out/$name.applied.yaml"
    grep -q "cpu: ${cpu}m # limit" "$out/$name.applied.yaml" || { echo "$name: manifest has no '# limit' CPU line" >&2; exit 1; }
    setup || { echo "$name: setup failed" >&2; teardown; exit 2; }
    echo "RUN  $name with the suggested CPU limit ${cpu}m (truth: Compliant)" >&2
    "${RUN_PREFIX[@]}" "$groundtruth" run --manifest "$out/$name.applied.yaml" --window "${window}s" --interval 1s \
      --output json --record "$out/$name.applied.record.jsonl" --workload-log "$out/$name.applied.log" \
      "${RUN_ARGS[@]}" -- "${netns[@]}" "${CMD[@]}" >"$out/$name.applied.json" 2>"$out/$name.applied.err"
    teardown
    "$row" --scenario "$name, suggested ${cpu}m applied" --expect Compliant --window "$window" \
      --record "$out/$name.applied.record.jsonl" --result "$out/$name.applied.json" >>"$out/$name.row"
  )
  local rc=$?
  rows+=("$(cat "$out/$name.row" 2>/dev/null || echo "| $name | | error: see $out/$name.err | | | | | | | | |")")
  case $rc in
    0) ran=$((ran + 1)); echo "ok   $name: $(cut -d'|' -f4 <"$out/$name.row" | paste -sd' ')" >&2 ;;
    77) skipped=$((skipped + 1)) ;;
    *) ran=$((ran + 1)); failed=$((failed + 1))
       echo "FAIL $name: $(cut -d'|' -f4 <"$out/$name.row" 2>/dev/null); output in $out" >&2 ;;
  esac
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)
t0=$SECONDS
# Incidents first, then their look-alikes, in the order of docs/verdict-quality.md.
order=(thrash-file-pages cache-streaming oom-anon-growth steady-working-set cpu-over-quota
       cpu-busy-node cpu-under-quota cpu-short-bursts io-write-throttled blocked-d-state fsync-brief-d
       pids-fork-exhaustion tcp-retransmits idle)
for name in "${order[@]}"; do
  if [ ${#only[@]} -gt 0 ] && ! printf '%s\n' "${only[@]}" | grep -qx "$name"; then continue; fi
  [ -f "$here/$name/scenario.sh" ] && run_one "$here/$name"
done
elapsed=$((SECONDS - t0))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- The table --------------------------------------------------------------------------------
command="tests/scenarios/run.sh BUILD_DIR"
[ "$window" = 300 ] && command+=" --long"
generated=$(mktemp)
{
  echo "<!-- BEGIN GENERATED by $command; edit outside these markers -->"
  echo "Run of $started on $(uname -r), $(nproc) CPUs, load average $load_before before and"
  echo "$load_after after; ${window}s windows (\`groundtruth run --window ${window}s\`, every rule"
  echo "window scaled by the same factor), 1s sampling, scenarios one after the other, ${elapsed}s"
  echo "in all. $ran run, $skipped skipped, $failed with a verdict other than the truth."
  echo "Regenerate: \`$command\` (as root; \`make test\` runs the 30s corpus, \`make bench\` the 5m one)."
  echo
  echo "| scenario | truth | groundtruth | latency | groundtruth without PSI | WS > 90% | refaults > 1000/s | CPUThrottlingHigh | any OOM | naive (any rule) | figures over the run |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo "<!-- END GENERATED -->"
} >"$generated"
mkdir -p "$(dirname "$table")"
if [ -f "$table" ] && grep -q '^<!-- BEGIN GENERATED' "$table"; then
  # Keep the hand-written text around the generated block.
  awk -v gen="$generated" '
    /^<!-- BEGIN GENERATED/ { while ((getline l < gen) > 0) print l; skip = 1; next }
    /^<!-- END GENERATED/ { skip = 0; next }
    !skip { print }' "$table" >"$table.tmp" && mv "$table.tmp" "$table"
else
  cp "$generated" "$table"
fi
rm -f "$generated"
echo "run.sh: $ran run, $skipped skipped, $failed wrong, ${elapsed}s; table in $table; records in $out" >&2
[ $failed -gt 0 ] && exit 1
[ $ran = 0 ] && exit 77
exit 0
}
main "$@"
exit
