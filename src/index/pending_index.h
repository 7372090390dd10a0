// Index keys the event indexer holds in memory before it writes them to the store as
// one table file (Store::IngestKeys): sorted runs, one per indexer step, merged as they
// pile up so that there are only a few. A skip-list insert of an index key costs
// several times more than sorting it with its step and writing it in a file
// (docs/benchmarks.md, "Session 12"); readers merge these runs with the store's keys.
//
// Thread-safety: one writer (the indexer's thread) calls Add and Replace; any thread
// may take a Snapshot and read it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "storage/store.h"

namespace aidmp::index {

// Keys in strictly ascending order, packed into one buffer. Immutable once shared.
class SortedRun {
 public:
  // `keys` need not be sorted or unique.
  static SortedRun FromKeys(std::vector<std::string> keys);
  // The union of `runs` (each sorted), duplicates once.
  static SortedRun Merge(const std::vector<std::shared_ptr<const SortedRun>>& runs);

  size_t size() const { return ends_.size(); }
  size_t bytes() const { return bytes_.size(); }
  std::string_view key(size_t key_idx) const {
    size_t begin = key_idx == 0 ? 0 : ends_[key_idx - 1];
    return std::string_view(bytes_).substr(begin, ends_[key_idx] - begin);
  }
  // The first position whose key is >= target (size() when none).
  size_t LowerBound(std::string_view target) const;

 private:
  void Append(std::string_view key);

  std::string bytes_;
  std::vector<uint32_t> ends_;
};

using RunList = std::vector<std::shared_ptr<const SortedRun>>;

class PendingIndex {
 public:
  // Adds one step's run; then merges the newest runs while the one before is less than
  // twice as large, so that the count of runs stays about log2(keys / step).
  void Add(SortedRun run);
  // The runs now, oldest first. Take it before opening a store iterator: a flush puts
  // runs into the store before it drops them here, so keys are always in one or both.
  RunList Snapshot() const;
  // Drops the first `count` runs of the list (after writing them to the store).
  void DropFirst(size_t count);
  size_t keys() const;
  size_t bytes() const;

 private:
  mutable std::mutex mu_;
  RunList runs_;
  size_t keys_ = 0;
  size_t bytes_ = 0;
};

// Keys in ascending order from sorted runs and, optionally, a store iterator, each key
// once. Valid while the runs and the iterator are.
class MergedKeys {
 public:
  MergedKeys(const RunList& runs, storage::Iterator* store_keys);
  void Seek(std::string_view target);
  bool Valid() const { return current_ != kNone; }
  std::string_view key() const { return current_key_; }
  void Next();
  absl::Status status() const { return store_keys_ != nullptr ? store_keys_->status() : absl::OkStatus(); }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  static constexpr size_t kStore = static_cast<size_t>(-2);
  void FindCurrent();

  const RunList& runs_;
  std::vector<size_t> positions_;  // per run
  storage::Iterator* store_keys_;
  size_t current_ = kNone;  // which source holds the current key: a run, kStore or kNone
  std::string_view current_key_;
};

}  // namespace aidmp::index
