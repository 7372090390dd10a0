// The embedded store: RocksDB under one data directory, one column family per Family.
//
// The only module that includes RocksDB; callers see our Status and plain strings.
// Writes go through WriteBatch so that a log append, its dedup entries and its counters
// become durable together or not at all. Thread-safe: Store and its methods may be
// called from any thread; a WriteBatch or Iterator belongs to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "storage/keys.h"

namespace aidmp::storage {

struct StoreOptions {
  // Open without the write lock, seeing the data as of opening; for CLI readers while a
  // server runs. Writes then fail with FailedPrecondition.
  bool read_only = false;
  // Shared block cache for all families.
  size_t block_cache_bytes = 256 << 20;
  // Memtable size per family before a flush.
  size_t write_buffer_bytes = 64 << 20;
  // Dedup entries older than this are dropped at compaction (see keys.h).
  int64_t dedup_window_us = 7 * kMicrosPerDay;
  // Clock for the dedup compaction filter; nullptr means the system clock.
  const Clock* clock = nullptr;
};

class Store;

// Ops to apply atomically to one Store. Built on the calling thread, then Store::Write.
class WriteBatch {
 public:
  explicit WriteBatch(Store* store);
  ~WriteBatch();
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  void Put(Family family, std::string_view key, std::string_view value);
  void Delete(Family family, std::string_view key);
  // Deletes every key in [begin, end). Not in kIndex, kDedup or kIdentity, whose
  // memtable inserts use hints that RocksDB 7.8 shares between point and range entries
  // (a range delete there corrupts the memtable): the batch's Write then fails with
  // FailedPrecondition and writes nothing.
  void DeleteRange(Family family, std::string_view begin, std::string_view end);
  // Adds `delta` to the uint64 counter stored at `key` in kMeta.
  void AddCounter(std::string_view key, uint64_t delta);
  // From now on Put and Delete are held back and applied in key order, the last write
  // of a key winning, when the batch is written (or before a DeleteRange): a memtable
  // inserts a sorted run far cheaper than scattered keys. For processors that touch
  // many unrelated keys per batch.
  void SortByKey();
  size_t Count() const;
  size_t ByteSize() const;
  void Clear();

  struct Rep;
  Rep* rep() { return rep_.get(); }

 private:
  std::unique_ptr<Rep> rep_;
};

class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual void Seek(std::string_view target) = 0;
  // Positions at the last key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  // Valid only until the iterator moves.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual absl::Status status() const = 0;
};

class Store {
 public:
  // Opens (creating if missing, unless read-only) the store at `path`.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const StoreOptions& options);
  virtual ~Store() = default;

  // For WriteBatch: the engine's handle of `family`, opaque to callers.
  virtual void* FamilyHandle(Family family) = 0;

  // Applies `batch` atomically. With `sync`, returns only after the WAL is on disk, so
  // the batch survives kill -9 and power loss.
  virtual absl::Status Write(WriteBatch* batch, bool sync) = 0;

  // On success fills `value`. Returns NotFound if absent (`value` untouched).
  virtual absl::Status Get(Family family, std::string_view key, std::string* value) = 0;

  // One lookup per key; `values[i]` is nullopt where keys[i] is absent. Returns the
  // first error other than NotFound.
  virtual absl::Status MultiGet(Family family, const std::vector<std::string>& keys,
                                std::vector<std::optional<std::string>>* values) = 0;

  // How an iterator reads. A long scan of data readers will not want soon (a processor
  // catching up on the whole log) should not fill the block cache: each block would
  // evict something hot, and inserting it costs time.
  struct ScanOptions {
    bool fill_cache = true;
  };
  // A consistent snapshot iterator over one family.
  virtual std::unique_ptr<Iterator> NewIterator(Family family, const ScanOptions& options) = 0;
  std::unique_ptr<Iterator> NewIterator(Family family) { return NewIterator(family, ScanOptions{}); }

  // Adds keys with empty values to `family` as one table file, which readers see all at
  // once, past the memtable and the write-ahead log: for writers that sort large runs
  // themselves (the event index), to whom a skip-list insert per key costs several
  // times more. `next` yields the keys in strictly ascending order and returns false
  // when done; the keys are durable when this returns OK. A key already present is
  // overwritten (with the same empty value).
  virtual absl::Status IngestKeys(Family family, const std::function<bool(std::string_view*)>& next) = 0;
  // The same for keys with values (the dedup index's spills): `next` yields each key and
  // its value.
  virtual absl::Status IngestEntries(Family family,
                                     const std::function<bool(std::string_view*, std::string_view*)>& next) = 0;

  // The counter at `key` in kMeta, 0 if never written.
  virtual uint64_t ReadCounter(std::string_view key) = 0;

  // Flushes memtables and compacts `family` fully (runs compaction filters).
  virtual absl::Status CompactAll(Family family) = 0;

  // Makes deleted data leave the files on disk, not only the key space: flushes every
  // family (retiring the write-ahead log that held it), compacts each to the bottom
  // level (dropping the tombstones with what they hide), then records one more version,
  // so that the MANIFEST (rewritten on every version, see Open) no longer names old
  // files' boundary keys. Expensive: a full compaction. For erasure.
  virtual absl::Status PurgeDeleted() = 0;

  // Approximate bytes on disk of all families.
  virtual uint64_t ApproximateDiskBytes() = 0;
};

}  // namespace aidmp::storage
