#!/bin/sh
# Runs one libFuzzer target for a short bounded pass over a copy of its seed corpus.
#
# usage: run_fuzzer.sh BINARY SEED_DIR ARTIFACT_DIR SECONDS [DICT]
#
# Fails if BINARY is missing (it is built by `make fuzz`, which `make test` runs first)
# or if the fuzzer finds a crash, leak, timeout or broken invariant; the input that did
# it is left in ARTIFACT_DIR. The seeds in the source tree are never modified: the
# fuzzer grows a copy in a temporary directory, on /dev/shm when there is one (the
# engine-backed targets run several times faster off disk), removed on exit.
set -eu

if [ $# -lt 4 ]; then
  echo "usage: $0 BINARY SEED_DIR ARTIFACT_DIR SECONDS [DICT]" >&2
  exit 2
fi
binary=$1
seeds=$2
artifacts=$3
seconds=$4
dict=${5:-}

if [ ! -x "$binary" ]; then
  echo "fuzzer $binary is missing: run 'make fuzz' first ('make test' does)" >&2
  exit 1
fi

base=${TMPDIR:-/tmp}
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  base=/dev/shm
fi
work=$(mktemp -d "$base/aidmp-fuzz-pass.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/corpus" "$work/tmp" "$artifacts"
cp "$seeds"/* "$work/corpus/"

set -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$artifacts/"
if [ -n "$dict" ]; then
  set -- "$@" -dict="$dict"
fi

status=0
TMPDIR="$work/tmp" "$binary" "$@" "$work/corpus" || status=$?
if [ "$status" -ne 0 ]; then
  echo "$(basename "$binary") failed (exit $status); the input is in $artifacts:" >&2
  ls -t "$artifacts" >&2 || true
  echo "reproduce with: $binary $artifacts/<file>" >&2
fi
exit "$status"
