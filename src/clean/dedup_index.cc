#include "clean/dedup_index.h"

#include <algorithm>
#include <utility>

#include "common/key_coding.h"
#include "common/parallel.h"
#include "spdlog/spdlog.h"
#include "storage/keys.h"

namespace aidmp::clean {
namespace {

// The kMeta entry holding DurableSeq, beside the processors' checkpoints.
std::string DurableSeqKey() { return storage::CheckpointKey("dedup"); }

absl::Status WriteDurableSeq(storage::Store* store, uint64_t seq, bool sync) {
  storage::WriteBatch batch(store);
  std::string durable;
  PutFixed64BE(&durable, seq);
  batch.Put(storage::Family::kMeta, DurableSeqKey(), durable);
  return store->Write(&batch, sync);
}

std::string EncodeSeen(int64_t received_at_us, uint64_t seq) {
  std::string value;
  PutFixed64LE(&value, static_cast<uint64_t>(received_at_us));
  PutFixed64LE(&value, seq);
  return value;
}

}  // namespace

DedupIndex::DedupIndex(storage::Store* store, int64_t window_us, DedupMemoryOptions memory)
    : store_(store),
      window_us_(window_us),
      memory_(memory),
      clock_(memory.clock != nullptr ? memory.clock : SystemClock::Default()) {
  std::string value;
  if (store_->Get(storage::Family::kMeta, DurableSeqKey(), &value).ok() && value.size() == 8) {
    durable_seq_ = DecodeFixed64BE(value.data());
    durable_seq_known_ = true;
  }
  active_last_seq_ = durable_seq_;
  spiller_ = std::thread([this] { SpillLoop(); });
}

DedupIndex::~DedupIndex() {
  absl::Status status = Spill();
  if (!status.ok() && !absl::IsFailedPrecondition(status)) {  // read-only: nothing to keep
    spdlog::warn("dedup index: ids left in memory at shutdown ({}); the next start replays them from the log",
                 status.ToString());
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  spiller_.join();
}

std::string DedupIndex::Key(std::string_view source, std::string_view message_id) {
  return storage::DedupKey(source, message_id);
}

absl::Status DedupIndex::FindDuplicates(const std::vector<std::string>& keys, int64_t now_us,
                                        std::vector<bool>* duplicate) const {
  duplicate->assign(keys.size(), false);
  const int64_t oldest_us = now_us - window_us_;
  // The ids in memory are the latest: one found there is decided there.
  std::vector<bool> decided(keys.size(), false);
  size_t decided_count = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t key_idx = 0; key_idx < keys.size(); ++key_idx) {
      auto it = active_.find(keys[key_idx]);
      if (it == active_.end()) {
        if (spilling_ == nullptr) continue;
        it = spilling_->find(keys[key_idx]);
        if (it == spilling_->end()) continue;
      }
      decided[key_idx] = true;
      ++decided_count;
      (*duplicate)[key_idx] = it->second.received_at_us >= oldest_us;
    }
  }
  if (decided_count == keys.size()) return absl::OkStatus();
  // Most ids are new: look all up in the store unless some were decided in memory.
  std::vector<size_t> positions;
  std::vector<std::string> subset;
  const std::vector<std::string>* lookup = &keys;
  if (decided_count > 0) {
    for (size_t key_idx = 0; key_idx < keys.size(); ++key_idx) {
      if (decided[key_idx]) continue;
      positions.push_back(key_idx);
      subset.push_back(keys[key_idx]);
    }
    lookup = &subset;
  }
  std::vector<std::optional<std::string>> values;
  absl::Status status = store_->MultiGet(storage::Family::kDedup, *lookup, &values);
  if (!status.ok()) return status;
  for (size_t lookup_idx = 0; lookup_idx < values.size(); ++lookup_idx) {
    const auto& value = values[lookup_idx];
    if (!value.has_value() || value->size() < 8) continue;
    int64_t seen_at_us = static_cast<int64_t>(DecodeFixed64LE(value->data()));
    size_t key_idx = decided_count > 0 ? positions[lookup_idx] : lookup_idx;
    (*duplicate)[key_idx] = seen_at_us >= oldest_us;
  }
  return absl::OkStatus();
}

void DedupIndex::Remember(const std::string& key, int64_t received_at_us, uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  RememberLocked(key, received_at_us, seq, clock_->NowMicros());
}

void DedupIndex::RememberAll(const std::vector<Id>& ids) {
  if (ids.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now_us = clock_->NowMicros();
  for (const Id& id : ids) RememberLocked(*id.key, id.received_at_us, id.seq, now_us);
}

void DedupIndex::RememberLocked(const std::string& key, int64_t received_at_us, uint64_t seq, int64_t now_us) {
  if (active_.empty()) active_since_us_ = now_us;
  active_.insert_or_assign(key, Seen{received_at_us, seq});
  active_last_seq_ = std::max(active_last_seq_, seq);
  if (spilling_ == nullptr &&
      (active_.size() >= memory_.spill_keys || now_us - active_since_us_ >= memory_.spill_age_us)) {
    StartSpillLocked();
  }
}

uint64_t DedupIndex::DurableSeq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return durable_seq_;
}

bool DedupIndex::KnowsDurableSeq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return durable_seq_known_;
}

absl::Status DedupIndex::AdoptStoredIds(uint64_t seq) {
  absl::Status status = WriteDurableSeq(store_, seq, /*sync=*/true);
  if (!status.ok()) return status;
  std::lock_guard<std::mutex> lock(mu_);
  durable_seq_ = std::max(durable_seq_, seq);
  active_last_seq_ = std::max(active_last_seq_, seq);
  durable_seq_known_ = true;
  return absl::OkStatus();
}

size_t DedupIndex::IdsInMemory() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.size() + (spilling_ != nullptr ? spilling_->size() : 0);
}

absl::Status DedupIndex::Spill() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return spilling_ == nullptr; });
  if (active_.empty()) return absl::OkStatus();
  StartSpillLocked();
  cv_.wait(lock, [&] { return spilling_ == nullptr; });
  return last_error_;
}

void DedupIndex::StartSpillLocked() {
  spilling_ = std::make_shared<const Table>(std::exchange(active_, Table()));
  spilling_last_seq_ = active_last_seq_;
  cv_.notify_all();
}

absl::Status DedupIndex::WriteTable(const Table& table, uint64_t up_to_seq) {
  // Sorted by the eight bytes after the prefix all keys share (their source, mostly one)
  // as an integer, whole keys only on a tie: a string compare per step started with the
  // shared bytes and cost twice the sort (the spill was 5-6 % of the batch path's CPU).
  const std::string_view first = table.empty() ? std::string_view() : std::string_view(table.begin()->first);
  size_t shared = first.size();
  for (const auto& entry : table) {
    shared = std::min(shared, entry.first.size());
    shared = static_cast<size_t>(std::mismatch(first.begin(), first.begin() + shared, entry.first.begin()).first -
                                 first.begin());
  }
  struct Sortable {
    uint64_t head;  // the key's bytes [shared, shared + 8), big-endian, zero-padded
    const Table::value_type* entry;
  };
  std::vector<Sortable> entries;
  entries.reserve(table.size());
  for (const auto& entry : table) {
    uint64_t head = 0;
    for (size_t byte_idx = 0; byte_idx < 8; ++byte_idx) {
      size_t pos = shared + byte_idx;
      head = (head << 8) | (pos < entry.first.size() ? static_cast<unsigned char>(entry.first[pos]) : 0u);
    }
    entries.push_back({head, &entry});
  }
  std::sort(entries.begin(), entries.end(), [](const Sortable& a, const Sortable& b) {
    if (a.head != b.head) return a.head < b.head;
    return a.entry->first < b.entry->first;
  });
  size_t next_idx = 0;
  std::string value;
  absl::Status status = store_->IngestEntries(
      storage::Family::kDedup, [&](std::string_view* key, std::string_view* value_out) {
        if (next_idx == entries.size()) return false;
        const auto& [entry_key, seen] = *entries[next_idx++].entry;
        value = EncodeSeen(seen.received_at_us, seen.seq);
        *key = entry_key;
        *value_out = value;
        return true;
      });
  if (!status.ok()) return status;
  // Unsynced: an older DurableSeq after a crash only means a longer replay.
  return WriteDurableSeq(store_, up_to_seq, /*sync=*/false);
}

void DedupIndex::SpillLoop() {
  NameThisThread("aidmp-dedup");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || spilling_ != nullptr; });
    if (spilling_ == nullptr) return;  // stopping, nothing in flight
    std::shared_ptr<const Table> table = spilling_;
    uint64_t up_to_seq = spilling_last_seq_;
    lock.unlock();
    absl::Status status = WriteTable(*table, up_to_seq);
    lock.lock();
    if (status.ok()) {
      durable_seq_ = std::max(durable_seq_, up_to_seq);
      durable_seq_known_ = true;
    } else {
      // Kept in memory, the newer entries first, for the next spill to try again.
      if (!absl::IsFailedPrecondition(status)) {
        spdlog::error("dedup index: writing {} ids to the store failed: {}", table->size(), status.ToString());
      }
      for (const auto& [key, seen] : *table) active_.try_emplace(key, seen);
    }
    last_error_ = status;
    spilling_.reset();
    cv_.notify_all();
  }
}

}  // namespace aidmp::clean
