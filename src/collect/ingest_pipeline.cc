#include "collect/ingest_pipeline.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "common/parallel.h"
#include "common/status.h"
#include "event/event_codec.h"
#include "storage/keys.h"

namespace aidmp::collect {

IngestPipeline::IngestPipeline(storage::Store* store, log::EventLog* log,
                               clean::Quarantine* quarantine, clean::DedupIndex* dedup,
                               const privacy::SuppressionList* suppression, const Clock* clock,
                               IngestOptions options)
    : store_(store),
      log_(log),
      quarantine_(quarantine),
      dedup_(dedup),
      suppression_(suppression),
      clock_(clock),
      options_(options),
      writer_([this] { WriterLoop(); }) {}

IngestPipeline::~IngestPipeline() { Stop(); }

void IngestPipeline::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

SubmitResult IngestPipeline::Submit(Submission submission) {
  Pending pending;
  pending.submission = std::move(submission);
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    pending.result.status = absl::UnavailableError("the server is shutting down");
    return pending.result;
  }
  queue_.push_back(&pending);
  queue_cv_.notify_one();
  pending.cv.wait(lock, [&] { return pending.done; });
  return pending.result;
}

void IngestPipeline::SetProcessorLag(std::function<int64_t()> lag_us) {
  std::lock_guard<std::mutex> lock(mu_);
  processor_lag_ = std::move(lag_us);
}

int64_t IngestPipeline::lag_bound_micros() {
  std::lock_guard<std::mutex> lock(mu_);
  return processor_lag_ && options_.max_processor_lag_us > 0 ? options_.max_processor_lag_us : 0;
}

void IngestPipeline::WaitForProcessors() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!processor_lag_ || options_.max_processor_lag_us <= 0) return;
  const auto started = std::chrono::steady_clock::now();
  bool waited = false;
  // Polled: the processors do not tell when they apply a step. The wait ends a few
  // milliseconds late at most, and what queues meanwhile goes into one group.
  while (!stopping_ && processor_lag_() > options_.max_processor_lag_us) {
    waited = true;
    queue_cv_.wait_for(lock, std::chrono::milliseconds(5), [&] { return stopping_; });
  }
  if (waited) {
    backpressure_us_ += std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
  }
}

void IngestPipeline::WriterLoop() {
  NameThisThread("aidmp-commit");
  std::vector<Pending*> group;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // Stopping with nothing left to write.
    }
    WaitForProcessors();
    {
      std::unique_lock<std::mutex> lock(mu_);
      size_t events = 0;
      while (!queue_.empty() && (group.empty() || events < options_.max_group_events)) {
        events += queue_.front()->submission.events.size() + 1;
        group.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    WriteGroup(group);
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Notified under the lock: a woken submitter returns and destroys its Pending.
      for (Pending* pending : group) {
        pending->done = true;
        pending->cv.notify_one();
      }
    }
    group.clear();
  }
}

void IngestPipeline::WriteGroup(std::vector<Pending*>& group) {
  // Held until the group is written and published: an erasure's SuppressionList::Add
  // waits for it, so no event it suppresses is written after it returns.
  std::shared_lock<std::shared_mutex> suppression_gate;
  if (suppression_ != nullptr) suppression_gate = suppression_->LockShared();
  const bool check_suppression = suppression_ != nullptr && !suppression_->empty();
  int64_t now_us = clock_->NowMicros();
  std::vector<std::string> keys;
  for (Pending* pending : group) {
    for (const auto& event : pending->submission.events) keys.push_back(event.dedup_key);
  }
  std::vector<bool> seen_before;
  absl::Status status = dedup_->FindDuplicates(keys, now_us, &seen_before);
  if (!status.ok()) {
    for (Pending* pending : group) pending->result.status = status;
    return;
  }

  storage::WriteBatch batch(store_);
  std::unordered_set<std::string_view> in_group;
  size_t key_idx = 0;
  uint64_t last_seq = 0;
  uint64_t received = 0, stored = 0, duplicates = 0, suppressed = 0;
  struct DedupStage {
    const CleanEvent* event;
    uint64_t seq;
  };
  std::vector<DedupStage> dedup_stages;
  dedup_stages.reserve(keys.size());
  for (Pending* pending : group) {
    SubmitResult& result = pending->result;
    result.suppressed = pending->submission.suppressed;
    received += pending->submission.suppressed;
    for (const auto& event : pending->submission.events) {
      ++received;
      if (check_suppression) {
        std::vector<std::string> computed;
        if (!event.suppression_checked) {
          event::Event decoded;
          if (event::DecodeStoredEvent(event.record, &decoded).ok()) {
            computed = privacy::SuppressionList::KeysOf(decoded);
          }
        }
        if (suppression_->ContainsAnyLocked(event.suppression_checked ? event.suppression_keys : computed)) {
          ++result.suppressed;
          ++key_idx;
          continue;
        }
      }
      bool duplicate = seen_before[key_idx++] || !in_group.insert(event.dedup_key).second;
      if (duplicate) {
        ++result.duplicates;
        continue;
      }
      uint64_t seq = log_->NextSeq();
      log_->Stage(seq, event::WithSeq(event.record, seq), &batch);
      dedup_stages.push_back({&event, seq});
      ++result.stored;
      result.last_seq = seq;
      last_seq = seq;
    }
    for (auto& record : pending->submission.quarantined) {
      ++received;
      record.id = quarantine_->NextId();
      quarantine_->Stage(record, &batch);
      ++result.quarantined;
    }
    for (uint64_t id : pending->submission.remove_quarantine_ids) {
      quarantine_->StageRemove(id, &batch);
      batch.AddCounter(storage::CounterKey(kCounterReplayed), 1);
    }
    stored += result.stored;
    duplicates += result.duplicates;
    suppressed += result.suppressed;
  }
  if (received > 0) batch.AddCounter(storage::CounterKey(kCounterReceived), received);
  if (stored > 0) batch.AddCounter(storage::CounterKey(kCounterStored), stored);
  if (duplicates > 0) batch.AddCounter(storage::CounterKey(kCounterDuplicates), duplicates);
  if (suppressed > 0) batch.AddCounter(storage::CounterKey(kCounterSuppressed), suppressed);

  status = store_->Write(&batch, options_.sync);
  if (!status.ok()) {
    log_->Rollback();
    for (Pending* pending : group) {
      pending->result = SubmitResult();
      pending->result.status = status;
    }
    return;
  }
  // Only now, with the events durable, may their ids count as seen (the index keeps
  // them in memory; after a crash RecoverDedup finds them in the log).
  std::vector<clean::DedupIndex::Id> ids;
  ids.reserve(dedup_stages.size());
  for (const DedupStage& stage : dedup_stages) {
    ids.push_back({&stage.event->dedup_key, stage.event->received_at_us, stage.seq});
  }
  dedup_->RememberAll(ids);
  if (last_seq > 0) log_->Publish(last_seq);
}

absl::Status RecoverDedup(log::EventLog* log, clean::DedupIndex* dedup) {
  // A directory the index never kept ids of in memory has every id in the store
  // already: a directory from before, or a new one (whose log is empty).
  if (!dedup->KnowsDurableSeq()) return dedup->AdoptStoredIds(log->LastSeq());
  uint64_t after_seq = dedup->DurableSeq();
  std::vector<log::LogEntry> entries;
  event::Event event;
  while (true) {
    entries.clear();
    AIDMP_RETURN_IF_ERROR(log->Read(after_seq, 4096, &entries));
    if (entries.empty()) return absl::OkStatus();
    for (const log::LogEntry& entry : entries) {
      AIDMP_RETURN_IF_ERROR(event::DecodeStoredEvent(entry.record, &event));
      dedup->Remember(clean::DedupIndex::Key(event.source, event.message_id), event.received_at_us, entry.seq);
      after_seq = entry.seq;
    }
  }
}

}  // namespace aidmp::collect
