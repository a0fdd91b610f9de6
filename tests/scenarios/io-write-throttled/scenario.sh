# Sourced by run.sh: the truth, the command, and what the scenario needs.
TRUTH=IOContention
CMD=("$WORKLOAD" "$DATA_DIR" 1048576)
requires() { require_psi io && require_blkio_throttle "$DATA_DIR"; }
