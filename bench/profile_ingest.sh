#!/usr/bin/env bash
# Profiles aidmp under one of the benchmark's loads without the benchmark's set-up
# (corpus generation) in the profile: starts aidmp_bench_ingest, attaches
# `perf record --call-graph dwarf` (the release build keeps no frame pointers) once the
# load runs, and prints the flat profile and the inclusive share of aidmp's stages.
#
#   bench/profile_ingest.sh [BINARY] [http|latency] [CONCURRENCY] [SECONDS] [OUT_DIR]
#     http     closed-loop POST /v1/batch from CONCURRENCY connections
#     latency  POST /v1/track at 5,000 requests/s from CONCURRENCY connections
set -euo pipefail
binary=${1:-build/release/bench/aidmp_bench_ingest}
what=${2:-http}
concurrency=${3:-16}
seconds=${4:-10}
out=${5:-$(mktemp -d /tmp/aidmp-profile-XXXXXX)}
mkdir -p "$out"
log="$out/bench.log"

case "$what" in
  http)
    args=(--only=http --concurrency="$concurrency" --seconds="$((seconds + 4))")
    marker="aidmp POST /v1/batch" ;;
  latency)
    args=(--only=latency --track-connections="$concurrency")
    marker="aidmp POST /v1/track"
    seconds=$((seconds < 9 ? seconds : 9)) ;;
  *) echo "unknown load '$what' (http or latency)" >&2; exit 2 ;;
esac

"$binary" "${args[@]}" >"$log" 2>&1 &
bench_pid=$!
trap 'kill "$bench_pid" 2>/dev/null || true' EXIT
until grep -q "$marker" "$log"; do
  kill -0 "$bench_pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done
sleep 1  # past connection set-up and warm-up
perf record -F 199 --call-graph dwarf,16384 -p "$bench_pid" -o "$out/perf.data" -- sleep "$seconds" \
  2>"$out/perf-record.log"
wait "$bench_pid" || true
trap - EXIT
grep -v '^|' "$log"
echo "profile: $out/perf.data"
perf report -i "$out/perf.data" --no-children --sort symbol --percent-limit 0.7 -g none 2>/dev/null |
  grep -v '^#' | grep -v '^$' | cut -c1-150
echo
echo "inclusive share of aidmp's stages and RocksDB entry points:"
perf report -i "$out/perf.data" --children --sort symbol -g none 2>/dev/null |
  grep -E 'HandleCollect|Collector::AddMessage|Cleaner::Clean$|NormaliseObjects|FlagBehaviour|EncodeStoredEvent|ParseSegmentMessage|WriteGroup|FindDuplicates|ProcessorRunner::Step|EventIndexer::Apply|DecodeStoredEvent|EventLog::Read|NewIterator|RocksStore::Write|MemTable::Add|WriteToWAL|fdatasync|httplib::Client::Post|process_and_close_socket|\] schedule$|futex' |
  cut -c1-150
