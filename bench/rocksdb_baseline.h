// Baseline A: the same event bytes written straight into RocksDB, no HTTP, no JSON.
// Each request of the aidmp benchmark becomes one WriteBatch of its events (key: the
// messageId, value: the event's JSON) written with WriteOptions.sync = true, from the
// same number of threads, into a fresh database with RocksDB's default options.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "bench/bench_util.h"
#include "bench/event_corpus.h"

namespace aidmp::bench {

// `db_dir` must not exist yet.
absl::StatusOr<ThroughputResult> RunRocksDbBaseline(const EventCorpus& corpus, int concurrency, double seconds,
                                                    const std::string& db_dir);

}  // namespace aidmp::bench
