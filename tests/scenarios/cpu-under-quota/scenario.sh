# Sourced by run.sh: the truth, the command, and what the scenario needs.
TRUTH=Compliant
CMD=("$WORKLOAD")
requires() { require_cfs_quota; }
