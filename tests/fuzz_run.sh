#!/bin/sh
# Runs one libFuzzer target as a ctest (label fuzz). `make test` runs it for SECONDS from
# -seed=1; `make fuzz-long` sets FUZZ_SECONDS and FUZZ_SEED=0 (a random seed). Inputs the
# run discovers go to a scratch corpus removed afterwards, so the seed corpora in the tree
# stay as written and a brief run starts from the same inputs every time. A crash, leak or
# hang leaves its input as crash-*, leak-* or timeout-* in the test's build directory.
#
# usage: fuzz_run.sh BINARY SECONDS [SEED_DIR...]
bin=$1
seconds=${FUZZ_SECONDS:-$2}
shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/gt-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/tmp" || exit 1
# Targets that write their input to a file do it under TMPDIR (tests/fuzz_scratch.h): here,
# so a crash, which skips their cleanup, leaves nothing behind either.
TMPDIR="$work/tmp" "$bin" -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=1024 -print_final_stats=1 "$work/corpus" "$@"
