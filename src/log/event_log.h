// The append-only event log: every accepted event, in one total order (its seq).
//
// The collector appends; processors (indexes now, identity and profiles later) tail it
// behind the acknowledgement path. LocalEventLog keeps the log in the store's kLog
// family, so an append becomes durable in the same atomic WriteBatch as its dedup
// entries. A distributed log replaces this class, not its callers.
//
// Thread-safety: Stage/Publish must be called by one writer at a time (the ingest
// pipeline's group-commit thread); Read, LastSeq and WaitForNewer from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "storage/store.h"

namespace aidmp::log {

struct LogEntry {
  uint64_t seq = 0;
  std::string record;  // the stored event JSON (event/event_codec.h)
};

class EventLog {
 public:
  // Opens the log over `store`, finding the last sequence number written.
  explicit EventLog(storage::Store* store);

  // Reserves the next sequence number for a record about to be staged.
  uint64_t NextSeq() { return ++staged_seq_; }
  // Stages `record` at `seq` (from NextSeq) into `batch`. Durable once the batch is.
  void Stage(uint64_t seq, std::string_view record, storage::WriteBatch* batch);
  // After the batch holding entries up to `last_seq` is durable: makes them visible to
  // readers and wakes waiters.
  void Publish(uint64_t last_seq);
  // If the batch failed: forget reservations above the last published seq.
  void Rollback();

  // Wall time (system clock, us) at which `seq` was published; 0 if unknown (before this
  // process started, or too long ago to remember).
  int64_t PublishedAtMicros(uint64_t seq) const;

  // The highest published seq; 0 for an empty log.
  uint64_t LastSeq() const;

  // Appends to `out` up to `max_entries` published entries with seq > `after_seq`.
  absl::Status Read(uint64_t after_seq, size_t max_entries, std::vector<LogEntry>* out);

  // Blocks until LastSeq() > after_seq or `timeout_ms` passes; returns whether newer
  // entries exist. Returns early (false) after Shutdown(). A Publish that does not reach
  // past `after_seq` does not wake the caller (processors wait for a thousand entries
  // while group commits publish a few at a time).
  bool WaitForNewer(uint64_t after_seq, int timeout_ms);
  void Shutdown();

 private:
  storage::Store* store_;
  uint64_t staged_seq_ = 0;  // writer-only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t published_seq_ = 0;  // guarded by mu_
  bool shutdown_ = false;       // guarded by mu_
  // The after_seq of every blocked WaitForNewer; Publish wakes them once it passes the
  // smallest.
  std::multiset<uint64_t> waiting_after_;  // guarded by mu_
  // (last seq of a published batch, publish time); bounded, oldest dropped first.
  std::deque<std::pair<uint64_t, int64_t>> publish_times_;  // guarded by mu_
};

}  // namespace aidmp::log
