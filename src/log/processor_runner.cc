#include "log/processor_runner.h"

#include "common/clock.h"
#include "common/parallel.h"
#include "common/status.h"
#include "common/key_coding.h"
#include "spdlog/spdlog.h"

namespace aidmp::log {
namespace {
constexpr uint64_t kMinStepEntries = 1000;
constexpr int kMaxStepDelayMs = 5;
}  // namespace

ProcessorRunner::ProcessorRunner(storage::Store* store, EventLog* log,
                                 std::unique_ptr<Processor> processor)
    : store_(store),
      log_(log),
      processor_(std::move(processor)),
      checkpoint_key_(storage::CheckpointKey(processor_->Name())) {
  std::string value;
  if (store_->Get(storage::Family::kMeta, checkpoint_key_, &value).ok() && value.size() == 8) {
    applied_seq_ = DecodeFixed64BE(value.data());
  }
  checkpointed_ = applied_seq_;
}

ProcessorRunner::~ProcessorRunner() { Stop(); }

void ProcessorRunner::Start(int nice) {
  stop_ = false;
  nice_ = nice;
  running_ = status().ok();
  thread_ = std::thread([this] { Loop(); });
}

void ProcessorRunner::Stop() {
  stop_ = true;
  running_ = false;
  if (thread_.joinable()) thread_.join();
  if (!status().ok()) return;
  absl::Status status = Flush(/*force=*/true);
  if (!status.ok()) Fail(status);
}

void ProcessorRunner::Fail(const absl::Status& status) {
  spdlog::error("processor {} stopped: {}", processor_->Name(), status.ToString());
  running_ = false;
  std::lock_guard<std::mutex> lock(status_mu_);
  status_ = status;
}

uint64_t ProcessorRunner::Lag() const {
  uint64_t last = log_->LastSeq();
  uint64_t applied = applied_seq_.load();
  return last > applied ? last - applied : 0;
}

int64_t ProcessorRunner::LagMicros() const {
  if (Lag() == 0) return 0;
  int64_t published_at = log_->PublishedAtMicros(applied_seq_.load() + 1);
  return published_at == 0 ? 0 : SystemClock::Default()->NowMicros() - published_at;
}

absl::Status ProcessorRunner::status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return status_;
}

absl::Status ProcessorRunner::Step(size_t max_entries, bool* did_work) {
  *did_work = false;
  std::vector<LogEntry> entries;
  AIDMP_RETURN_IF_ERROR(log_->Read(applied_seq_.load(), max_entries, &entries));
  if (entries.empty()) return absl::OkStatus();
  storage::WriteBatch batch(store_);
  AIDMP_RETURN_IF_ERROR(processor_->Apply(entries, &batch));
  uint64_t durable = processor_->DurableSeq(entries.back().seq);
  if (durable != checkpointed_) {
    std::string checkpoint;
    PutFixed64BE(&checkpoint, durable);
    batch.Put(storage::Family::kMeta, checkpoint_key_, checkpoint);
  }
  // Not synced: a crash loses at most derived data that is replayed from the log.
  if (batch.Count() > 0) AIDMP_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/false));
  checkpointed_ = durable;
  processor_->Committed();
  applied_seq_ = entries.back().seq;
  *did_work = true;
  return Flush(/*force=*/false);
}

absl::Status ProcessorRunner::Flush(bool force) {
  AIDMP_RETURN_IF_ERROR(processor_->Flush(force));
  uint64_t durable = processor_->DurableSeq(applied_seq_.load());
  return durable == checkpointed_ ? absl::OkStatus() : WriteCheckpoint(durable);
}

absl::Status ProcessorRunner::WriteCheckpoint(uint64_t seq) {
  storage::WriteBatch batch(store_);
  std::string checkpoint;
  PutFixed64BE(&checkpoint, seq);
  batch.Put(storage::Family::kMeta, checkpoint_key_, checkpoint);
  AIDMP_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/false));
  checkpointed_ = seq;
  return absl::OkStatus();
}

absl::Status ProcessorRunner::CatchUp() {
  bool did_work = true;
  while (did_work) AIDMP_RETURN_IF_ERROR(Step(4096, &did_work));
  return Flush(/*force=*/true);
}

absl::Status ProcessorRunner::CatchUpSome(size_t max_entries) {
  bool did_work = true;
  for (size_t done = 0; did_work && done < max_entries; done += 4096) AIDMP_RETURN_IF_ERROR(Step(4096, &did_work));
  return absl::OkStatus();
}

void ProcessorRunner::Loop() {
  NameThisThread(processor_->Name());
  // The thread's nice value starts as the process's.
  if (absl::Status lowered = LowerThreadPriority(nice_); !lowered.ok()) {
    spdlog::warn("processor {}: cannot lower its CPU priority: {}", processor_->Name(), std::string(lowered.message()));
  }
  while (!stop_.load()) {
    if (Lag() == 0) {
      log_->WaitForNewer(applied_seq_.load(), 50);
      // Held effects also come due with time, not only with new entries.
      if (absl::Status status = Flush(/*force=*/false); !status.ok()) return Fail(status);
      continue;
    }
    // A step per tiny group commit costs far more per event than one per thousand:
    // give small backlogs a few milliseconds to grow (the lag stays in milliseconds).
    if (Lag() < kMinStepEntries) log_->WaitForNewer(applied_seq_.load() + kMinStepEntries, kMaxStepDelayMs);
    bool did_work = false;
    absl::Status status = Step(4096, &did_work);
    if (!status.ok()) return Fail(status);
  }
}

}  // namespace aidmp::log
