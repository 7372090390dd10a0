// Durable HTTP ingest: closed-loop POST /v1/batch (one batch template of the corpus per
// request, fresh messageIds every time) against aidmp in this process, from
// `concurrency` keep-alive connections. A request counts once aidmp answered 200 with
// every event stored, which with the default sync=true means durable.
//
// While the load runs, the lag of the processors behind the log (the event indexer,
// identity resolution: entries published but not yet applied) is sampled; after it,
// the time they need to catch up is measured.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "bench/bench_util.h"
#include "bench/aidmp_under_test.h"
#include "profile/person_processor.h"
#include "bench/event_corpus.h"

namespace aidmp::bench {

struct HttpIngestResult {
  ThroughputResult throughput;
  // Processor name -> most entries behind, sampled every 20 ms.
  std::map<std::string, uint64_t> max_processor_lag;
  double catch_up_seconds = 0;  // from the end of the load until every lag is 0
  // How long the lag bound held acknowledgements back during the load.
  double backpressure_seconds = 0;
  // Events per second from the start of the load until every processor caught up.
  double fully_processed_per_second() const {
    double total = throughput.seconds + catch_up_seconds;
    return total > 0 ? static_cast<double>(throughput.events) / total : 0;
  }
};

// Runs against a fresh aidmp at `data_dir` (which must not exist yet); without the
// processors (indexing, identity, profiles) if `processors` is false, and with the
// persons processor's profile cache of `profile_cache_bytes`, and the processors
// sharing the CPU as `policy` says.
absl::StatusOr<HttpIngestResult> RunHttpBatchIngest(
    const EventCorpus& corpus, int concurrency, double seconds, const std::string& data_dir, bool processors = true,
    size_t profile_cache_bytes = profile::PersonProcessor::kDefaultProfileCacheBytes, ProcessorPolicy policy = {});

}  // namespace aidmp::bench
