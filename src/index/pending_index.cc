#include "index/pending_index.h"

#include <algorithm>

namespace aidmp::index {

void SortedRun::Append(std::string_view key) {
  bytes_.append(key);
  ends_.push_back(static_cast<uint32_t>(bytes_.size()));
}

SortedRun SortedRun::FromKeys(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  SortedRun run;
  size_t total = 0;
  for (const auto& key : keys) total += key.size();
  run.bytes_.reserve(total);
  run.ends_.reserve(keys.size());
  for (const auto& key : keys) run.Append(key);
  return run;
}

SortedRun SortedRun::Merge(const RunList& runs) {
  size_t keys = 0, total = 0;
  for (const auto& run : runs) {
    keys += run->size();
    total += run->bytes();
  }
  SortedRun merged;
  merged.bytes_.reserve(total);
  merged.ends_.reserve(keys);
  MergedKeys source(runs, nullptr);
  for (source.Seek(std::string_view()); source.Valid(); source.Next()) merged.Append(source.key());
  return merged;
}

size_t SortedRun::LowerBound(std::string_view target) const {
  size_t low = 0, high = size();
  while (low < high) {
    size_t mid = low + (high - low) / 2;
    if (key(mid) < target) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low;
}

void PendingIndex::Add(SortedRun run) {
  if (run.size() == 0) return;
  auto added = std::make_shared<const SortedRun>(std::move(run));
  // Merged outside the lock (readers keep reading the old runs), swapped in under it.
  RunList runs = Snapshot();
  runs.push_back(std::move(added));
  size_t merge_from = runs.size() - 1;
  size_t tail_keys = runs.back()->size();
  while (merge_from > 0 && runs[merge_from - 1]->size() < 2 * tail_keys) {
    --merge_from;
    tail_keys += runs[merge_from]->size();
  }
  if (runs.size() - merge_from > 1) {
    RunList tail(runs.begin() + static_cast<std::ptrdiff_t>(merge_from), runs.end());
    auto merged = std::make_shared<const SortedRun>(SortedRun::Merge(tail));
    runs.resize(merge_from);
    runs.push_back(std::move(merged));
  }
  size_t keys = 0, bytes = 0;
  for (const auto& each : runs) {
    keys += each->size();
    bytes += each->bytes();
  }
  std::lock_guard<std::mutex> lock(mu_);
  runs_ = std::move(runs);
  keys_ = keys;
  bytes_ = bytes;
}

RunList PendingIndex::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

void PendingIndex::DropFirst(size_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  count = std::min(count, runs_.size());
  for (size_t run_idx = 0; run_idx < count; ++run_idx) {
    keys_ -= runs_[run_idx]->size();
    bytes_ -= runs_[run_idx]->bytes();
  }
  runs_.erase(runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(count));
}

size_t PendingIndex::keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_;
}

size_t PendingIndex::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

MergedKeys::MergedKeys(const RunList& runs, storage::Iterator* store_keys)
    : runs_(runs), positions_(runs.size(), 0), store_keys_(store_keys) {}

void MergedKeys::Seek(std::string_view target) {
  for (size_t run_idx = 0; run_idx < runs_.size(); ++run_idx) positions_[run_idx] = runs_[run_idx]->LowerBound(target);
  if (store_keys_ != nullptr) store_keys_->Seek(target);
  FindCurrent();
}

void MergedKeys::FindCurrent() {
  current_ = kNone;
  for (size_t run_idx = 0; run_idx < runs_.size(); ++run_idx) {
    if (positions_[run_idx] == runs_[run_idx]->size()) continue;
    std::string_view candidate = runs_[run_idx]->key(positions_[run_idx]);
    if (current_ == kNone || candidate < current_key_) {
      current_ = run_idx;
      current_key_ = candidate;
    }
  }
  if (store_keys_ != nullptr && store_keys_->Valid() && (current_ == kNone || store_keys_->key() < current_key_)) {
    current_ = kStore;
    current_key_ = store_keys_->key();
  }
}

void MergedKeys::Next() {
  if (current_ == kNone) return;
  // Every source at the current key moves past it; the store iterator last, since
  // current_key_ may point into it (run keys stay put: runs are immutable).
  for (size_t run_idx = 0; run_idx < runs_.size(); ++run_idx) {
    if (positions_[run_idx] < runs_[run_idx]->size() && runs_[run_idx]->key(positions_[run_idx]) == current_key_) {
      ++positions_[run_idx];
    }
  }
  if (store_keys_ != nullptr && store_keys_->Valid() && store_keys_->key() == current_key_) store_keys_->Next();
  FindCurrent();
}

}  // namespace aidmp::index
