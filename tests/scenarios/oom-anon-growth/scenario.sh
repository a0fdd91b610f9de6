# Sourced by run.sh: the truth, the command, and what the scenario needs.
TRUTH=OOMKilled
CMD=("$WORKLOAD")
requires() { no_swap; }
