# Sourced by run.sh: the truth, the command, and what the scenario needs.
TRUTH=ProcessesBlocked
CMD=("$WORKLOAD" 3600)
