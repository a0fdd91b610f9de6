# Sourced by run.sh: the truth, the command, and what the scenario needs.
TRUTH=PidsExhausted
RUN_ARGS=(--pids-limit 16)
CMD=("$WORKLOAD")
requires() { require_pids; }
