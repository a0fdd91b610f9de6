# Sourced by run.sh: the truth, the command, and what the scenario needs.
TRUTH=CPUThrottled
CMD=("$WORKLOAD")
# One thread on an idle node runs a whole core: a suggested limit below that would still
# throttle there. run.sh checks the suggestion against it, then runs the scenario again
# with the suggestion applied and expects Compliant.
IDLE_CPU_MILLICORES=1000
APPLY_SUGGESTION=1
requires() { require_cfs_quota && require_psi cpu; }
neighbours=()
setup() {
  # A busy loop per core, in the caller's cgroup: every core of the node busy. Bounded: they
  # die with teardown, or after 10 minutes whatever happens.
  local i
  neighbours=()
  for i in $(seq "$(nproc)"); do
    timeout 600 sh -c 'while :; do :; done' &
    neighbours+=($!)
  done
}
teardown() { [ ${#neighbours[@]} -eq 0 ] || kill "${neighbours[@]}" 2>/dev/null; wait 2>/dev/null; }
