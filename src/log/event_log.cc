#include "log/event_log.h"

#include <algorithm>
#include <chrono>

#include "common/clock.h"

namespace aidmp::log {

EventLog::EventLog(storage::Store* store) : store_(store) {
  auto it = store_->NewIterator(storage::Family::kLog);
  it->SeekToLast();
  if (it->Valid()) published_seq_ = storage::DecodeLogKey(it->key());
  staged_seq_ = published_seq_;
}

void EventLog::Stage(uint64_t seq, std::string_view record, storage::WriteBatch* batch) {
  batch->Put(storage::Family::kLog, storage::LogKey(seq), record);
}

void EventLog::Publish(uint64_t last_seq) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (last_seq > published_seq_) published_seq_ = last_seq;
    publish_times_.emplace_back(last_seq, SystemClock::Default()->NowMicros());
    if (publish_times_.size() > 65536) publish_times_.pop_front();
    wake = !waiting_after_.empty() && *waiting_after_.begin() < published_seq_;
  }
  // A wake-up is a futex call and a context switch per waiter: only when one is due.
  if (wake) cv_.notify_all();
}

void EventLog::Rollback() {
  std::lock_guard<std::mutex> lock(mu_);
  staged_seq_ = published_seq_;
}

int64_t EventLog::PublishedAtMicros(uint64_t seq) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::lower_bound(publish_times_.begin(), publish_times_.end(), seq,
                             [](const auto& entry, uint64_t value) { return entry.first < value; });
  return it == publish_times_.end() ? 0 : it->second;
}

uint64_t EventLog::LastSeq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return published_seq_;
}

absl::Status EventLog::Read(uint64_t after_seq, size_t max_entries, std::vector<LogEntry>* out) {
  uint64_t last = LastSeq();
  if (after_seq >= last) return absl::OkStatus();
  // Far behind (a rebuild, or catching up after a stop), the entries are cold and read
  // once: they would only push what readers need out of the block cache.
  constexpr uint64_t kColdEntries = 100'000;
  storage::Store::ScanOptions scan;
  scan.fill_cache = last - after_seq < kColdEntries;
  auto it = store_->NewIterator(storage::Family::kLog, scan);
  for (it->Seek(storage::LogKey(after_seq + 1)); it->Valid() && max_entries > 0;
       it->Next(), --max_entries) {
    uint64_t seq = storage::DecodeLogKey(it->key());
    if (seq > last) break;
    out->push_back(LogEntry{seq, std::string(it->value())});
  }
  return it->status();
}

bool EventLog::WaitForNewer(uint64_t after_seq, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  auto waiting = waiting_after_.insert(after_seq);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
               [&] { return shutdown_ || published_seq_ > after_seq; });
  waiting_after_.erase(waiting);
  return !shutdown_ && published_seq_ > after_seq;
}

void EventLog::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
}

}  // namespace aidmp::log
