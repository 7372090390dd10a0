// The first processor behind the log: indexes stored events by userId, by anonymousId
// and by event time (storage/keys.h), which is what reading events back scans by.
//
// Each step's keys become a sorted run in memory (PendingIndex), readable at once
// through QueryEvents; the runs go to the store as one table file (Store::IngestKeys)
// once they hold `flush_keys` keys or the oldest is `flush_age` old, and whenever the
// runner stops or catches up. The checkpoint covers only what is in the store, so a
// crash replays the rest from the log.
//
// Thread-safety: driven by one ProcessorRunner; pending() may be read from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "event/event.h"
#include "event/event_codec.h"
#include "index/pending_index.h"
#include "log/processor_runner.h"

namespace aidmp::index {

// Appends the index keys of `event`, stored at `seq`: by userId and by anonymousId when
// it has them, and by time. What the indexer writes and erasure deletes.
void AppendIndexKeys(const event::StoredEventKeys& event, uint64_t seq, std::vector<std::string>* keys);
void AppendIndexKeys(const event::Event& event, uint64_t seq, std::vector<std::string>* keys);

struct EventIndexerOptions {
  // About 40 MB of keys: 300,000-400,000 events.
  size_t flush_keys = size_t{1} << 20;
  std::chrono::milliseconds flush_age{30'000};
};

class EventIndexer final : public log::Processor {
 public:
  explicit EventIndexer(storage::Store* store, EventIndexerOptions options = {});

  std::string_view Name() const override { return "event_index"; }
  absl::Status Apply(const std::vector<log::LogEntry>& entries, storage::WriteBatch* batch) override;
  void Committed() override;
  uint64_t DurableSeq(uint64_t applied) const override;
  absl::Status Flush(bool force) override;

  // The keys not yet in the store, for QueryEvents.
  const PendingIndex* pending() const { return pending_.get(); }

 private:
  storage::Store* store_;
  EventIndexerOptions options_;
  std::shared_ptr<PendingIndex> pending_ = std::make_shared<PendingIndex>();
  SortedRun staged_;      // the last Apply's keys, until Committed
  bool holding_ = false;  // keys staged or pending
  uint64_t durable_seq_ = 0;  // while holding: the last seq before the held keys
  std::chrono::steady_clock::time_point held_since_;
};

}  // namespace aidmp::index
