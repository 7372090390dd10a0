// The acknowledgement path's last step: de-duplicate cleaned events and append them,
// with the quarantine records of their rejected neighbours, in one durable write.
//
// Group commit: submitters enqueue and wait; one writer thread takes everything queued,
// checks messageIds against the dedup index and within the group, assigns log sequence
// numbers, and writes one synced WriteBatch for the whole group. So dedup is exact under
// any concurrency and throughput does not pay one fsync per request.
//
// Thread-safe: Submit from any number of threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "clean/dedup_index.h"
#include "clean/quarantine.h"
#include "common/clock.h"
#include "event/event.h"
#include "log/event_log.h"
#include "privacy/suppression.h"
#include "storage/store.h"

namespace aidmp::collect {

struct IngestOptions {
  // Sync the WAL before acknowledging (the durability promise). Off only in tests and
  // benchmarks that say so.
  bool sync = true;
  // Most events the writer puts into one write.
  size_t max_group_events = 50000;
  // The lag bound (backpressure): while the processors' lag (SetProcessorLag) exceeds
  // this, the writer holds new groups back, so acknowledgements slow down to the pace
  // the processors keep instead of the lag growing without end. <= 0: no bound.
  int64_t max_processor_lag_us = 30 * kMicrosPerSecond;
};

// One accepted event, already cleaned, with its stored form encoded at seq 0.
struct CleanEvent {
  std::string dedup_key;  // clean::DedupIndex::Key(source, messageId)
  std::string record;     // event::EncodeStoredEvent with seq 0
  int64_t received_at_us = 0;
  // privacy::SuppressionList::KeysOf the event, when computed before submitting (else
  // the writer computes them if the list is in use).
  std::vector<std::string> suppression_keys;
  bool suppression_checked = false;
};

struct Submission {
  std::vector<CleanEvent> events;
  std::vector<clean::QuarantineRecord> quarantined;  // ids are assigned by the writer
  // Quarantine records to delete in the same write (replayed successfully).
  std::vector<uint64_t> remove_quarantine_ids;
  // Rejected messages of suppressed persons, dropped before quarantining (counted only).
  size_t suppressed = 0;
};

struct SubmitResult {
  absl::Status status;    // not OK: nothing of the submission was written
  size_t stored = 0;
  size_t duplicates = 0;
  size_t quarantined = 0;
  size_t suppressed = 0;  // events of erased persons, dropped (privacy/suppression.h)
  uint64_t last_seq = 0;  // highest seq assigned to this submission, 0 if none
};

// Counter names in the store's meta family.
inline constexpr std::string_view kCounterReceived = "events_received";
inline constexpr std::string_view kCounterStored = "events_stored";
inline constexpr std::string_view kCounterDuplicates = "duplicates";
inline constexpr std::string_view kCounterReplayed = "quarantine_replayed";
inline constexpr std::string_view kCounterSuppressed = "suppressed";

class IngestPipeline {
 public:
  // `suppression` may be null (nothing is ever suppressed).
  IngestPipeline(storage::Store* store, log::EventLog* log, clean::Quarantine* quarantine,
                 clean::DedupIndex* dedup, const privacy::SuppressionList* suppression, const Clock* clock,
                 IngestOptions options);
  ~IngestPipeline();

  // Blocks until the submission is durable (or failed). After Stop, fails Unavailable.
  SubmitResult Submit(Submission submission);

  void Stop();

  // Where the lag bound reads the processors' lag: microseconds the oldest entry not
  // yet applied by a running processor has waited (0 when none is behind). Called by
  // the writer thread; set it before the first Submit. Unset: no bound.
  void SetProcessorLag(std::function<int64_t()> lag_us);
  // Total time the writer has held groups back for the lag bound.
  int64_t backpressure_micros() const { return backpressure_us_.load(); }
  // The lag bound in force: 0 when there is none (no bound set, or no lag to read).
  int64_t lag_bound_micros();

 private:
  struct Pending {
    Submission submission;
    SubmitResult result;
    bool done = false;           // guarded by mu_
    std::condition_variable cv;  // wakes this submitter only
  };
  void WriterLoop();
  // Waits while the processors are behind the lag bound (or until Stop).
  void WaitForProcessors();
  void WriteGroup(std::vector<Pending*>& group);

  storage::Store* store_;
  log::EventLog* log_;
  clean::Quarantine* quarantine_;
  clean::DedupIndex* dedup_;
  const privacy::SuppressionList* suppression_;
  const Clock* clock_;
  IngestOptions options_;

  std::mutex mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending*> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::function<int64_t()> processor_lag_;  // guarded by mu_
  std::atomic<int64_t> backpressure_us_{0};
  std::thread writer_;
};

// Before the first Submit after a restart: gives `dedup` the ids of the events the log
// holds past its DurableSeq, which it kept only in memory when the process ended. A
// data directory written before the index kept ids in memory has them all in the
// store: its log is adopted as it is, not replayed.
absl::Status RecoverDedup(log::EventLog* log, clean::DedupIndex* dedup);

}  // namespace aidmp::collect
