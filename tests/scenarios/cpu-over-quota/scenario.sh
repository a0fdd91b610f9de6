# Sourced by run.sh: the truth, the command, and what the scenario needs.
TRUTH=CPUThrottled
CMD=("$WORKLOAD" 2)
requires() { require_cfs_quota; }
