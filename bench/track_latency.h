// Single-event POST /v1/track latency at a fixed offered rate, open loop
// (bench/open_loop.h).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/aidmp_under_test.h"
#include "bench/event_corpus.h"
#include "bench/open_loop.h"
#include "bench/sync_probe.h"

namespace aidmp::bench {

using TrackLatencyOptions = OpenLoopOptions;
struct TrackLatencyResult : OpenLoopResult {
  // The baseline (bench/sync_probe.h): a 1 KB append and fdatasync every millisecond
  // beside aidmp's data directory, for two seconds before the load and all through it.
  SyncProbeResult sync_idle;
  SyncProbeResult sync_under_load;
};

// Runs against a fresh aidmp at `data_dir` (which must not exist yet), its processors
// under `policy`.
absl::StatusOr<TrackLatencyResult> RunTrackLatency(const EventCorpus& corpus, const TrackLatencyOptions& options,
                                                   const std::string& data_dir, ProcessorPolicy policy = {});

}  // namespace aidmp::bench
