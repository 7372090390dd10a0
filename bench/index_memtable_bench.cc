// aidmp_bench_index_memtable: what writing the event index and the dedup entries costs
// RocksDB per event, by memtable layout (docs/benchmarks.md, "Session 11").
//
// The event indexer writes, per event, an index key by userId (two thirds of events),
// by anonymousId (the rest and a third of the known ones) and by time, in steps of 4,096
// events whose keys it sorts first (index/event_indexer.cc). The ids are spread over
// 200,000 people, so the id keys land all over a memtable of about a million entries:
// a profile of the ingest benchmark put a third of aidmp's CPU in skip-list inserts.
// BM_IndexWrites writes that stream into a fresh RocksDB, one unsynced WriteBatch per
// step, and counts the process's CPU (flush and compaction threads included) per event,
// for these layouts:
//   SkipList        RocksDB's default memtable, as aidmp's store had it before
//                   session 11 (the baseline);
//   SkipListHinted  the same with allow_concurrent_memtable_write off and a one-byte
//                   insert-hint prefix, so a sorted step's inserts start from the last
//                   insert's place in the skip list instead of from the top (the store's
//                   index and dedup families since session 11);
//   Vector          an unsorted vector memtable, sorted once at flush (reads of the
//                   active memtable sort a copy);
//   SmallSkipList   the default with 8 MB memtables instead of 64 MB;
//   HashLinkList    hash buckets per id prefix (reads only within one prefix).
// BM_IndexQuery times one /v1/events?userId= lookup per layout, and BM_DedupWrites the
// group commit's dedup entries, in arrival order against sorted with the hint. Each run
// first writes 1.5 M events untimed, so the memtable is in its steady state.
//
// BM_DedupGroups (session 13) times the group commit's whole dedup step through aidmp's
// own store, lookups included: kInStore, as before session 13 (MultiGet of the group's
// ids in the kDedup family, then their entries sorted into the group's write), against
// kInMemory, clean::DedupIndex (the latest ids in a hash table, spilled to the store as
// sorted files by a thread of its own, which the process CPU counts).
//
//   build/release/bench/aidmp_bench_index_memtable      # about 5 minutes
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "clean/dedup_index.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace aidmp::storage {
namespace {

constexpr int kStepEvents = 4096;
constexpr int kWarmUpEvents = 1'500'000;
constexpr uint32_t kPeople = 200'000;

enum Layout { kSkipList, kSkipListHinted, kVector, kSmallSkipList, kHashLinkList };

// One id's events ('U'/'A', length, id) or the time line ('T'): storage/keys.h.
class IndexKeyPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "aidmp.IndexKeyPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    constexpr size_t kHeader = 1 + 4;  // tag, length
    if (key.size() >= kHeader && (key[0] == kIndexByUser || key[0] == kIndexByAnonymous)) {
      uint64_t length = 0;
      for (size_t byte_idx = 1; byte_idx < kHeader; ++byte_idx) {
        length = length << 8 | static_cast<unsigned char>(key[byte_idx]);
      }
      if (length <= key.size() - kHeader) return rocksdb::Slice(key.data(), kHeader + length);
    }
    return rocksdb::Slice(key.data(), 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return !key.empty(); }
};

// One step's keys, sorted as WriteBatch::SortByKey leaves them.
class IndexStream {
 public:
  std::vector<std::string> NextStep() {
    std::vector<std::string> keys;
    std::uniform_int_distribution<uint32_t> person(0, kPeople - 1);
    std::uniform_int_distribution<int64_t> jitter(0, 60'000'000);
    for (int event = 0; event < kStepEvents; ++event) {
      uint64_t seq = ++seq_;
      now_us_ += 33;  // About 30,000 events a second.
      int64_t ts = now_us_ - jitter(random_);
      uint32_t who = person(random_);
      bool known = who % 3 != 0;
      if (known) keys.push_back(IndexKey(IndexIdPrefix(kIndexByUser, "user-" + std::to_string(who)), ts, seq));
      if (!known || who % 3 == 1) {
        keys.push_back(IndexKey(IndexIdPrefix(kIndexByAnonymous, "anon-" + std::to_string(who * 7919u)), ts, seq));
      }
      keys.push_back(IndexKey(std::string(1, kIndexByTime), ts, seq));
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

 private:
  std::mt19937_64 random_{7};
  uint64_t seq_ = 0;
  int64_t now_us_ = 1'790'000'000'000'000;
};

rocksdb::Options OptionsFor(Layout layout) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_background_jobs = 2;
  options.enable_pipelined_write = true;
  options.compression = rocksdb::kLZ4Compression;
  options.write_buffer_size = 64 << 20;
  switch (layout) {
    case kSkipList: break;
    case kSkipListHinted:
      options.allow_concurrent_memtable_write = false;
      options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(1));
      break;
    case kVector:
      options.allow_concurrent_memtable_write = false;
      options.memtable_factory.reset(new rocksdb::VectorRepFactory());
      break;
    case kSmallSkipList: options.write_buffer_size = 8 << 20; break;
    case kHashLinkList:
      options.allow_concurrent_memtable_write = false;
      options.prefix_extractor = std::make_shared<IndexKeyPrefix>();
      options.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(1 << 19));
      break;
  }
  return options;
}

// A fresh RocksDB in a scratch directory, removed again when this goes.
class ScratchDb {
 public:
  explicit ScratchDb(const rocksdb::Options& options)
      : dir_((std::filesystem::temp_directory_path() / "aidmp-index-memtable-bench").string()) {
    std::filesystem::remove_all(dir_);
    rocksdb::DB* raw = nullptr;
    status_ = rocksdb::DB::Open(options, dir_, &raw);
    db_.reset(raw);
  }
  ~ScratchDb() {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  // False, with the reason in `state`, if the store did not open.
  bool Opened(benchmark::State& state) const {
    if (!status_.ok()) state.SkipWithError(status_.ToString().c_str());
    return status_.ok();
  }
  rocksdb::DB* db() { return db_.get(); }

 private:
  std::string dir_;
  rocksdb::Status status_;
  std::unique_ptr<rocksdb::DB> db_;
};

// Writes one step's index keys, unsynced, as the indexer's WriteBatch does.
rocksdb::Status WriteStep(rocksdb::DB* db, const std::vector<std::string>& keys) {
  rocksdb::WriteBatch batch;
  for (const auto& key : keys) batch.Put(key, "");
  return db->Write(rocksdb::WriteOptions(), &batch);
}

// The untimed warm-up: the memtable in its steady state.
void WarmUp(benchmark::State& state, rocksdb::DB* db, IndexStream* stream) {
  for (int done = 0; done < kWarmUpEvents; done += kStepEvents) {
    if (!WriteStep(db, stream->NextStep()).ok()) state.SkipWithError("warm-up write failed");
  }
}

// One write of `make()`'s keys per iteration. Keys are made outside the timed region,
// 64 batches at a time: building them is aidmp's work, not the memtable's.
template <typename Make, typename Write>
void TimeWrites(benchmark::State& state, Make make, Write write) {
  std::vector<std::vector<std::string>> batches(64);
  for (auto& batch : batches) batch = make();
  size_t next = 0;
  for (auto _ : state) {
    if (!write(batches[next]).ok()) state.SkipWithError("write failed");
    if (++next == batches.size()) {
      state.PauseTiming();
      for (auto& batch : batches) batch = make();
      next = 0;
      state.ResumeTiming();
    }
  }
}

void BM_IndexWrites(benchmark::State& state) {
  ScratchDb scratch(OptionsFor(static_cast<Layout>(state.range(0))));
  if (!scratch.Opened(state)) return;
  rocksdb::DB* db = scratch.db();
  IndexStream stream;
  WarmUp(state, db, &stream);
  TimeWrites(state, [&] { return stream.NextStep(); }, [&](const auto& keys) { return WriteStep(db, keys); });
  state.SetItemsProcessed(state.iterations() * kStepEvents);
}

// A /v1/events?userId= query on the same store once 1.5 M events are written (no
// more writes while it runs): seek to one person's prefix and read their keys.
void BM_IndexQuery(benchmark::State& state) {
  ScratchDb scratch(OptionsFor(static_cast<Layout>(state.range(0))));
  if (!scratch.Opened(state)) return;
  rocksdb::DB* db = scratch.db();
  IndexStream stream;
  WarmUp(state, db, &stream);
  std::mt19937_64 random(11);
  size_t found = 0;
  for (auto _ : state) {
    uint32_t who = 1 + 3 * static_cast<uint32_t>(random() % (kPeople / 3 - 1));
    std::string prefix = IndexIdPrefix(kIndexByUser, "user-" + std::to_string(who));
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++found;
  }
  state.counters["keys_per_query"] = static_cast<double>(found) / state.iterations();
}

BENCHMARK(BM_IndexQuery)
    ->ArgName("layout")
    ->Arg(kSkipList)
    ->Arg(kVector)
    ->Arg(kHashLinkList)
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMicrosecond);

// The dedup keys of one group commit: 16 connections of 100-event batches, each event a
// random messageId, as clients' ids are.
constexpr int kDedupGroup = 1600;

std::vector<std::string> RandomDedupGroup(std::mt19937_64& random) {
  std::vector<std::string> keys;
  char id[40];
  for (int event = 0; event < kDedupGroup; ++event) {
    snprintf(id, sizeof id, "%016llx-%016llx", static_cast<unsigned long long>(random()),
             static_cast<unsigned long long>(random()));
    keys.push_back(DedupKey("bench-key", id));
  }
  return keys;
}

// The group commit's dedup entries (clean/dedup_index.cc): per group, one key per
// stored event (source, messageId: random, as clients' ids are) with a 16-byte value,
// 1,600 a group (16 connections of 100-event batches), written with the group's log
// entries. Layouts: kSkipList (in arrival order, as before session 11) and
// kSkipListHinted (sorted, with hints).
void BM_DedupWrites(benchmark::State& state) {
  auto layout = static_cast<Layout>(state.range(0));
  rocksdb::Options options = OptionsFor(layout);
  options.memtable_prefix_bloom_size_ratio = 0.05;  // As the store's dedup family.
  options.memtable_whole_key_filtering = true;
  ScratchDb scratch(options);
  if (!scratch.Opened(state)) return;
  rocksdb::DB* db = scratch.db();
  constexpr int kGroup = kDedupGroup;
  std::mt19937_64 random(3);
  uint64_t seq = 0;
  auto next_group = [&] {
    std::vector<std::string> keys = RandomDedupGroup(random);
    if (layout == kSkipListHinted) std::sort(keys.begin(), keys.end());
    return keys;
  };
  auto write_group = [&](const std::vector<std::string>& keys) {
    rocksdb::WriteBatch batch;
    std::string value(16, '\0');
    for (const auto& key : keys) {
      ++seq;
      memcpy(value.data() + 8, &seq, 8);
      batch.Put(key, value);
    }
    return db->Write(rocksdb::WriteOptions(), &batch);
  };
  for (int done = 0; done < kWarmUpEvents; done += kGroup) {
    if (!write_group(next_group()).ok()) state.SkipWithError("warm-up write failed");
  }
  TimeWrites(state, next_group, write_group);
  state.SetItemsProcessed(state.iterations() * kGroup);
}

BENCHMARK(BM_DedupWrites)
    ->ArgName("layout")
    ->Arg(kSkipList)
    ->Arg(kSkipListHinted)
    ->Iterations(1920)  // 3.1 M events a layout.
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMicrosecond);

enum DedupPath { kInStore = 0, kInMemory = 1 };

void BM_DedupGroups(benchmark::State& state) {
  auto path = static_cast<DedupPath>(state.range(0));
  const std::string dir = (std::filesystem::temp_directory_path() / "aidmp-dedup-groups-bench").string();
  std::filesystem::remove_all(dir);
  {
    auto store = Store::Open(dir, StoreOptions());
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
      return;
    }
    constexpr int64_t kWindowUs = 7LL * 24 * 3600 * 1'000'000;
    clean::DedupIndex index(store->get(), kWindowUs);
    constexpr int kGroup = kDedupGroup;
    std::mt19937_64 random(3);
    uint64_t seq = 0;
    const int64_t now_us = 1'790'000'000'000'000;
    auto next_group = [&] { return RandomDedupGroup(random); };
    std::vector<bool> duplicate;
    auto dedup_group = [&](std::vector<std::string>& keys) -> absl::Status {
      if (path == kInMemory) {
        absl::Status status = index.FindDuplicates(keys, now_us, &duplicate);
        for (const auto& key : keys) index.Remember(key, now_us, ++seq);
        return status;
      }
      std::vector<std::optional<std::string>> values;
      absl::Status status = (*store)->MultiGet(Family::kDedup, keys, &values);
      if (!status.ok()) return status;
      std::sort(keys.begin(), keys.end());
      WriteBatch batch(store->get());
      std::string value(16, '\0');
      for (const auto& key : keys) {
        ++seq;
        memcpy(value.data(), &now_us, 8);
        memcpy(value.data() + 8, &seq, 8);
        batch.Put(Family::kDedup, key, value);
      }
      return (*store)->Write(&batch, /*sync=*/false);
    };
    for (int done = 0; done < kWarmUpEvents; done += kGroup) {
      auto keys = next_group();
      if (!dedup_group(keys).ok()) state.SkipWithError("warm-up failed");
    }
    TimeWrites(state, next_group, dedup_group);
    state.SetItemsProcessed(state.iterations() * kGroup);
  }
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_DedupGroups)
    ->ArgName("in_memory")
    ->Arg(kInStore)
    ->Arg(kInMemory)
    ->Iterations(1920)  // 3.1 M events a path.
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_IndexWrites)
    ->ArgName("layout")
    ->Arg(kSkipList)
    ->Arg(kSkipListHinted)
    ->Arg(kVector)
    ->Arg(kSmallSkipList)
    ->Arg(kHashLinkList)
    ->Iterations(768)  // 3.1 M events a layout: several flushes each.
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace aidmp::storage

BENCHMARK_MAIN();
