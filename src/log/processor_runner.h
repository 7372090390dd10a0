// Runs a processor behind the event log: reads entries after its checkpoint, lets the
// processor stage derived data into a WriteBatch, and writes that batch together with
// the new checkpoint, so a crash replays at most an unfinished batch and never applies
// one twice.
//
// Thread-safety: Start/Stop from one owner thread; Lag() and AppliedSeq() from any.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "log/event_log.h"
#include "storage/store.h"

namespace aidmp::log {

class Processor {
 public:
  virtual ~Processor() = default;
  // A stable name; it keys the checkpoint on disk.
  virtual std::string_view Name() const = 0;
  // Stages the effects of `entries` (in seq order) into `batch`. A returned error
  // stops the runner (the entries are retried on restart).
  virtual absl::Status Apply(const std::vector<LogEntry>& entries, storage::WriteBatch* batch) = 0;
  // Called once the batch of the last Apply is written (to tell others what changed).
  virtual void Committed() {}
  // The last seq whose effects are all in the store, so that a restart may resume after
  // it. `applied` is the last entry handed to Apply; a processor that stages everything
  // into the step's batch returns it, one that holds effects in memory returns less
  // until Flush has written them.
  virtual uint64_t DurableSeq(uint64_t applied) const { return applied; }
  // Writes effects held in memory: those due, or all of them with `force` (when the
  // runner stops or a CatchUp ends). Called on the thread that calls Apply.
  virtual absl::Status Flush(bool /*force*/) { return absl::OkStatus(); }
};

class ProcessorRunner {
 public:
  ProcessorRunner(storage::Store* store, EventLog* log, std::unique_ptr<Processor> processor);
  ~ProcessorRunner();

  // Starts the background thread. `nice` > 0 lowers its CPU priority by that much
  // (setpriority, to at most nice 19): under load the acknowledgement path then gets
  // the CPU first and this processor what is left, and a lag bound
  // (collect::IngestOptions) keeps it from falling behind for good. Failing to lower
  // it is logged and ignored.
  void Start(int nice = 0);
  // Stops after the batch in hand and flushes the processor; idempotent.
  void Stop();

  // Processes everything published so far on the calling thread (for batch jobs and
  // tests), and flushes the processor; must not run concurrently with Start.
  absl::Status CatchUp();
  // Like CatchUp, but returns after about `max_entries` (for progress reports).
  absl::Status CatchUpSome(size_t max_entries);

  uint64_t AppliedSeq() const { return applied_seq_.load(); }
  // Whether the background thread is applying entries: started, not stopped, and the
  // processor has not failed.
  bool running() const { return running_.load(); }
  // Entries published but not yet applied.
  uint64_t Lag() const;
  // How long the oldest unapplied entry has waited since it was published; 0 when
  // caught up.
  int64_t LagMicros() const;
  std::string_view name() const { return processor_->Name(); }
  // The processor; touch its state only while the runner is stopped.
  Processor* processor() { return processor_.get(); }
  // OK unless the processor failed.
  absl::Status status() const;

 private:
  absl::Status Step(size_t max_entries, bool* did_work);
  // Processor::Flush, then the checkpoint if that moved it.
  absl::Status Flush(bool force);
  absl::Status WriteCheckpoint(uint64_t seq);
  void Fail(const absl::Status& status);
  void Loop();

  storage::Store* store_;
  EventLog* log_;
  std::unique_ptr<Processor> processor_;
  std::string checkpoint_key_;
  std::atomic<uint64_t> applied_seq_{0};
  uint64_t checkpointed_ = 0;  // the checkpoint as last written; owned by the stepping thread
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  int nice_ = 0;
  std::thread thread_;
  mutable std::mutex status_mu_;
  absl::Status status_;
};

}  // namespace aidmp::log
