#include "storage/store.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <optional>

#include "common/key_coding.h"
#include "common/strings.h"

namespace aidmp::storage {
namespace {

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  std::string message = StrCat(what, ": ", status.ToString());
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsIOError() && status.subcode() == rocksdb::Status::kNoSpace) {
    return absl::ResourceExhaustedError(message);
  }
  if (status.IsNotSupported()) return absl::FailedPreconditionError(message);
  if (status.IsBusy() || status.IsTryAgain()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

rocksdb::Slice ToSlice(std::string_view view) { return rocksdb::Slice(view.data(), view.size()); }

// The families written in sorted steps of keys spread over the whole memtable: each
// group commit's messageIds, the persons processor's identities, person events and
// profiles (WriteBatch::SortByKey), and the event index (whose keys now arrive as
// files, IngestKeys, leaving it erasure's deletes). Their memtables insert with a hint
// per key's first byte, so each insert starts from the previous one's place in the
// skip list instead of from the top: 13-24 % less CPU per event
// (aidmp_bench_index_memtable). RocksDB 7.8 keeps one hint map for a memtable's point
// and range entries, so these families take no range deletes (WriteBatch::DeleteRange
// refuses them): erasure, unmerge and a rebuild's reset delete identity keys one by one.
// The event log is the plainest case: its keys only grow, so with a hint every append
// lands next to the previous one (erasure deletes its entries one by one too).
bool InsertsWithHints(Family family) {
  return family == Family::kLog || family == Family::kIndex || family == Family::kDedup ||
         family == Family::kIdentity;
}

class UInt64AddOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* logger) const override {
    uint64_t sum = Decode(value);
    if (existing_value != nullptr) sum += Decode(*existing_value);
    new_value->clear();
    PutFixed64LE(new_value, sum);
    return true;
  }
  const char* Name() const override { return "aidmp.UInt64Add"; }

  static uint64_t Decode(const rocksdb::Slice& slice) {
    return slice.size() == 8 ? DecodeFixed64LE(slice.data()) : 0;
  }
};

// Drops dedup entries whose receipt time is older than the window.
class DedupWindowFilter final : public rocksdb::CompactionFilter {
 public:
  DedupWindowFilter(int64_t window_us, const Clock* clock) : window_us_(window_us), clock_(clock) {}
  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& existing_value,
              std::string* new_value, bool* value_changed) const override {
    if (existing_value.size() < 8) return true;
    int64_t received_at_us = static_cast<int64_t>(DecodeFixed64LE(existing_value.data()));
    return received_at_us < clock_->NowMicros() - window_us_;
  }
  const char* Name() const override { return "aidmp.DedupWindowFilter"; }

 private:
  int64_t window_us_;
  const Clock* clock_;
};

class RocksIterator final : public Iterator {
 public:
  explicit RocksIterator(std::unique_ptr<rocksdb::Iterator> it) : it_(std::move(it)) {}
  void Seek(std::string_view target) override { it_->Seek(ToSlice(target)); }
  void SeekForPrev(std::string_view target) override { it_->SeekForPrev(ToSlice(target)); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  bool Valid() const override { return it_->Valid(); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return it_->key().ToStringView(); }
  std::string_view value() const override { return it_->value().ToStringView(); }
  absl::Status status() const override { return FromRocks(it_->status(), "iterator"); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

class RocksStore final : public Store {
 public:
  ~RocksStore() override {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    handles_.clear();
    db_.reset();
  }

  void* FamilyHandle(Family family) override { return Handle(family); }

  absl::Status Write(WriteBatch* batch, bool sync) override;

  absl::Status Get(Family family, std::string_view key, std::string* value) override {
    std::string found;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), Handle(family), ToSlice(key), &found);
    if (status.IsNotFound()) return absl::NotFoundError("key not found");
    if (!status.ok()) return FromRocks(status, "get");
    *value = std::move(found);
    return absl::OkStatus();
  }

  absl::Status MultiGet(Family family, const std::vector<std::string>& keys,
                        std::vector<std::optional<std::string>>* values) override {
    std::vector<rocksdb::Slice> slices;
    slices.reserve(keys.size());
    for (const auto& key : keys) slices.push_back(ToSlice(key));
    std::vector<rocksdb::PinnableSlice> found(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet(rocksdb::ReadOptions(), Handle(family), keys.size(), slices.data(), found.data(),
                  statuses.data());
    values->assign(keys.size(), std::nullopt);
    for (size_t key_idx = 0; key_idx < keys.size(); ++key_idx) {
      if (statuses[key_idx].ok()) {
        (*values)[key_idx] = found[key_idx].ToString();
      } else if (!statuses[key_idx].IsNotFound()) {
        return FromRocks(statuses[key_idx], "multiget");
      }
    }
    return absl::OkStatus();
  }

  using Store::NewIterator;
  std::unique_ptr<Iterator> NewIterator(Family family, const ScanOptions& options) override {
    rocksdb::ReadOptions read;
    read.fill_cache = options.fill_cache;
    return std::make_unique<RocksIterator>(
        std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(read, Handle(family))));
  }

  absl::Status IngestKeys(Family family, const std::function<bool(std::string_view*)>& next) override {
    return IngestEntries(family, [&next](std::string_view* key, std::string_view* value) {
      *value = std::string_view();
      return next(key);
    });
  }

  absl::Status IngestEntries(Family family,
                             const std::function<bool(std::string_view*, std::string_view*)>& next) override {
    if (read_only_) return absl::FailedPreconditionError("store is open read-only");
    std::string_view key;
    std::string_view value;
    if (!next(&key, &value)) return absl::OkStatus();  // RocksDB refuses an empty file
    // Written inside the data directory (a hard link moves it in), in a folder of its
    // own that RocksDB's clean-up of unknown files never looks at.
    std::filesystem::path folder = std::filesystem::path(db_->GetName()) / "ingest";
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) return absl::InternalError(StrCat("creating ", folder.string(), ": ", error.message()));
    std::string file = (folder / StrCat(FamilyName(family), "-", ingest_files_.fetch_add(1), ".sst")).string();
    rocksdb::ColumnFamilyHandle* handle = Handle(family);
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), db_->GetOptions(handle), handle);
    rocksdb::Status status = writer.Open(file);
    // The writer refuses a key not after the last ("strict ascending order").
    do {
      if (status.ok()) status = writer.Put(ToSlice(key), ToSlice(value));
    } while (status.ok() && next(&key, &value));
    if (status.ok()) status = writer.Finish();
    if (status.ok()) {
      rocksdb::IngestExternalFileOptions ingest;
      ingest.move_files = true;  // RocksDB removes our link once the file is its own
      status = db_->IngestExternalFile(handle, {file}, ingest);
    }
    if (!status.ok()) std::filesystem::remove(file, error);
    return FromRocks(status, StrCat("ingesting keys into ", FamilyName(family)));
  }

  uint64_t ReadCounter(std::string_view key) override {
    std::string value;
    rocksdb::Status status =
        db_->Get(rocksdb::ReadOptions(), Handle(Family::kMeta), ToSlice(key), &value);
    if (!status.ok()) return 0;
    return UInt64AddOperator::Decode(value);
  }

  absl::Status CompactAll(Family family) override {
    if (read_only_) return absl::FailedPreconditionError("store is open read-only");
    rocksdb::Status status = db_->Flush(rocksdb::FlushOptions(), Handle(family));
    if (!status.ok()) return FromRocks(status, "flush");
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    return FromRocks(db_->CompactRange(compact, Handle(family), nullptr, nullptr), "compact");
  }

  absl::Status PurgeDeleted() override {
    for (int family = 0; family < kFamilyCount; ++family) {
      absl::Status status = CompactAll(static_cast<Family>(family));
      if (!status.ok()) return status;
    }
    // A version after the compactions: its MANIFEST snapshot holds only live files.
    rocksdb::Status status = db_->Put(rocksdb::WriteOptions(), Handle(Family::kMeta), "purged/last", "1");
    if (status.ok()) status = db_->Flush(rocksdb::FlushOptions(), Handle(Family::kMeta));
    return FromRocks(status, "purge");
  }

  uint64_t ApproximateDiskBytes() override {
    uint64_t total = 0;
    for (auto* handle : handles_) {
      uint64_t size = 0;
      db_->GetIntProperty(handle, "rocksdb.total-sst-files-size", &size);
      total += size;
    }
    return total;
  }

  rocksdb::ColumnFamilyHandle* Handle(Family family) { return handles_[static_cast<int>(family)]; }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<DedupWindowFilter> dedup_filter_;
  bool read_only_ = false;
  std::atomic<uint64_t> ingest_files_{0};  // names IngestKeys' files apart
};

}  // namespace

struct WriteBatch::Rep {
  Store* store;
  rocksdb::WriteBatch batch;
  absl::Status refused;  // Why Write must write nothing (a DeleteRange in a hinted family).
  // SortByKey: Puts and Deletes held back, in call order.
  struct Held {
    Family family;
    std::string key;
    std::optional<std::string> value;  // nullopt: a delete
  };
  bool sorted = false;
  std::vector<Held> held;

  rocksdb::ColumnFamilyHandle* Handle(Family family) {
    return static_cast<rocksdb::ColumnFamilyHandle*>(store->FamilyHandle(family));
  }

  // Applies the held writes in (family, key) order; of several writes of one key only
  // the last counts, so the outcome equals applying them in call order.
  void ApplyHeld() {
    if (held.empty()) return;
    std::vector<size_t> order(held.size());
    for (size_t idx = 0; idx < order.size(); ++idx) order[idx] = idx;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (held[a].family != held[b].family) return held[a].family < held[b].family;
      return held[a].key < held[b].key;
    });
    for (size_t pos = 0; pos < order.size(); ++pos) {
      const Held& op = held[order[pos]];
      bool superseded = pos + 1 < order.size() && held[order[pos + 1]].family == op.family &&
                        held[order[pos + 1]].key == op.key;
      if (superseded) continue;
      if (op.value) {
        batch.Put(Handle(op.family), ToSlice(op.key), ToSlice(*op.value));
      } else {
        batch.Delete(Handle(op.family), ToSlice(op.key));
      }
    }
    held.clear();
  }
};

WriteBatch::WriteBatch(Store* store) : rep_(std::make_unique<Rep>()) { rep_->store = store; }
WriteBatch::~WriteBatch() = default;

void WriteBatch::Put(Family family, std::string_view key, std::string_view value) {
  if (rep_->sorted) {
    rep_->held.push_back({family, std::string(key), std::string(value)});
    return;
  }
  rep_->batch.Put(rep_->Handle(family), ToSlice(key), ToSlice(value));
}
void WriteBatch::Delete(Family family, std::string_view key) {
  if (rep_->sorted) {
    rep_->held.push_back({family, std::string(key), std::nullopt});
    return;
  }
  rep_->batch.Delete(rep_->Handle(family), ToSlice(key));
}
void WriteBatch::DeleteRange(Family family, std::string_view begin, std::string_view end) {
  if (InsertsWithHints(family)) {
    rep_->refused = absl::FailedPreconditionError(StrCat(
        "range deletes are not supported in the ", FamilyName(family), " family (its memtable insert hints)"));
    return;
  }
  rep_->ApplyHeld();
  rep_->batch.DeleteRange(rep_->Handle(family), ToSlice(begin), ToSlice(end));
}
void WriteBatch::SortByKey() { rep_->sorted = true; }
void WriteBatch::AddCounter(std::string_view key, uint64_t delta) {
  std::string value;
  PutFixed64LE(&value, delta);
  rep_->batch.Merge(rep_->Handle(Family::kMeta), ToSlice(key), value);
}
size_t WriteBatch::Count() const { return rep_->batch.Count() + rep_->held.size(); }
size_t WriteBatch::ByteSize() const {
  size_t held = 0;
  for (const auto& op : rep_->held) held += op.key.size() + (op.value ? op.value->size() : 0);
  return rep_->batch.GetDataSize() + held;
}
void WriteBatch::Clear() {
  rep_->batch.Clear();
  rep_->held.clear();
  rep_->refused = absl::OkStatus();
}

absl::Status RocksStore::Write(WriteBatch* batch, bool sync) {
  if (read_only_) return absl::FailedPreconditionError("store is open read-only");
  if (!batch->rep()->refused.ok()) return batch->rep()->refused;
  rocksdb::WriteOptions options;
  options.sync = sync;
  batch->rep()->ApplyHeld();
  return FromRocks(db_->Write(options, &batch->rep()->batch), "write");
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                   const StoreOptions& options) {
  auto store = std::make_unique<RocksStore>();
  store->read_only_ = options.read_only;
  const Clock* clock = options.clock != nullptr ? options.clock : SystemClock::Default();
  store->dedup_filter_ = std::make_unique<DedupWindowFilter>(options.dedup_window_us, clock);

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = !options.read_only;
  db_options.create_missing_column_families = !options.read_only;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.enable_pipelined_write = true;
  // Memtable inserts one writer at a time: only then does RocksDB use the insert hints
  // (InsertsWithHints; concurrent inserts search each skip list from the top).
  db_options.allow_concurrent_memtable_write = false;
  db_options.keep_log_file_num = 5;
  // A new MANIFEST (a snapshot of the live files) at every version change, so that key
  // bytes of erased data do not outlive their files in old version records. Versions
  // change per flush or compaction, seconds apart: the snapshot costs little.
  db_options.max_manifest_file_size = 1;

  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (int family_idx = 0; family_idx < kFamilyCount; ++family_idx) {
    Family family = static_cast<Family>(family_idx);
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.write_buffer_size = options.write_buffer_bytes;
    cf_options.compression = rocksdb::kLZ4Compression;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    // Every family keeps RocksDB's 4 KB blocks, the log too: 8 and 16 KB log blocks made
    // flushes cheaper (about 6 % more events acknowledged), but a profile document, which
    // reads a person's events one by one, cost 25-30 % more CPU decompressing them
    // (docs/benchmarks.md, session 19).

    if (family == Family::kDedup || family == Family::kMeta || family == Family::kIdentity) {
      // Point lookups: a bloom filter saves a disk read for every new messageId and
      // every identifier seen for the first time.
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    }
    if (family == Family::kIdentity) {
      cf_options.memtable_prefix_bloom_size_ratio = 0.02;
      cf_options.memtable_whole_key_filtering = true;
    }
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    if (InsertsWithHints(family)) {
      cf_options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(1));
    }
    if (family == Family::kMeta) {
      cf_options.merge_operator = std::make_shared<UInt64AddOperator>();
      cf_options.write_buffer_size = 4 << 20;
    }
    if (family == Family::kDedup) {
      // Keys are a source (which blocks already store once, by prefix) and a messageId,
      // mostly a random UUID; values are two integers. Little for LZ4 to find, so no
      // compression: it cost CPU at every flush, spill and compaction.
      cf_options.compression = rocksdb::kNoCompression;
      cf_options.compaction_filter = store->dedup_filter_.get();
      // Most lookups are of new messageIds: a memtable bloom filter answers them without
      // searching the skip list.
      cf_options.memtable_prefix_bloom_size_ratio = 0.05;
      cf_options.memtable_whole_key_filtering = true;
    }
    std::string name = family == Family::kLog ? rocksdb::kDefaultColumnFamilyName
                                              : std::string(FamilyName(family));
    families.emplace_back(name, cf_options);
  }

  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status status =
      options.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, path, families, &store->handles_, &raw_db)
          : rocksdb::DB::Open(db_options, path, families, &store->handles_, &raw_db);
  if (!status.ok()) {
    if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
      return absl::FailedPreconditionError(StrCat(
          "data directory ", path, " is in use by another aidmp process: ", status.ToString()));
    }
    return FromRocks(status, StrCat("opening data directory ", path));
  }
  store->db_.reset(raw_db);
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace aidmp::storage
