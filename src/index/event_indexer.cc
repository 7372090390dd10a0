#include "index/event_indexer.h"

#include "event/event_codec.h"
#include "storage/keys.h"

namespace aidmp::index {

void AppendIndexKeys(const event::Event& event, uint64_t seq, std::vector<std::string>* keys) {
  AppendIndexKeys(event::StoredEventKeys{event.user_id, event.anonymous_id, event.timestamp_us}, seq, keys);
}

void AppendIndexKeys(const event::StoredEventKeys& event, uint64_t seq, std::vector<std::string>* keys) {
  static const std::string kTimePrefix(1, storage::kIndexByTime);
  if (!event.user_id.empty()) {
    keys->push_back(storage::IndexKey(storage::IndexIdPrefix(storage::kIndexByUser, event.user_id), event.timestamp_us, seq));
  }
  if (!event.anonymous_id.empty()) {
    keys->push_back(
        storage::IndexKey(storage::IndexIdPrefix(storage::kIndexByAnonymous, event.anonymous_id), event.timestamp_us, seq));
  }
  keys->push_back(storage::IndexKey(kTimePrefix, event.timestamp_us, seq));
}

EventIndexer::EventIndexer(storage::Store* store, EventIndexerOptions options)
    : store_(store), options_(options) {}

absl::Status EventIndexer::Apply(const std::vector<log::LogEntry>& entries, storage::WriteBatch* /*batch*/) {
  std::vector<std::string> keys;
  keys.reserve(entries.size() * 3);
  // Only the ids and the time, from the head of each record.
  event::StoredEventKeys event;
  for (const auto& entry : entries) {
    absl::Status status = event::DecodeStoredEventKeys(entry.record, &event);
    if (!status.ok()) return status;
    AppendIndexKeys(event, entry.seq, &keys);
  }
  if (!entries.empty() && !holding_) {
    holding_ = true;
    durable_seq_ = entries.front().seq - 1;
    held_since_ = std::chrono::steady_clock::now();
  }
  staged_ = SortedRun::FromKeys(std::move(keys));
  return absl::OkStatus();
}

void EventIndexer::Committed() {
  pending_->Add(std::move(staged_));
  staged_ = SortedRun();
}

uint64_t EventIndexer::DurableSeq(uint64_t applied) const { return holding_ ? durable_seq_ : applied; }

absl::Status EventIndexer::Flush(bool force) {
  if (!holding_ || staged_.size() > 0) return absl::OkStatus();  // staged: mid-step
  // Also by bytes: a run addresses its keys with 32-bit offsets.
  constexpr size_t kMaxHeldBytes = size_t{1} << 30;
  if (!force && pending_->keys() < options_.flush_keys && pending_->bytes() < kMaxHeldBytes &&
      std::chrono::steady_clock::now() - held_since_ < options_.flush_age) {
    return absl::OkStatus();
  }
  RunList runs = pending_->Snapshot();
  MergedKeys merged(runs, nullptr);
  merged.Seek(std::string_view());
  absl::Status status = store_->IngestKeys(storage::Family::kIndex, [&merged](std::string_view* key) {
    if (!merged.Valid()) return false;
    *key = merged.key();
    merged.Next();
    return true;
  });
  if (!status.ok()) return status;
  // In the store now: readers who take a snapshot from here on find them there.
  pending_->DropFirst(runs.size());
  holding_ = false;
  return absl::OkStatus();
}

}  // namespace aidmp::index
