#include "storage/store.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <random>

#include "common/key_coding.h"
#include "testing/temp_dir.h"

namespace aidmp::storage {
namespace {

std::unique_ptr<Store> OpenStore(const std::string& path, StoreOptions options = {}) {
  auto store = Store::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(*store);
}

TEST(StoreTest, BatchIsAtomicAndDurableAcrossReopen) {
  testing::TempDir dir;
  {
    auto store = OpenStore(dir.path());
    WriteBatch batch(store.get());
    batch.Put(Family::kLog, LogKey(1), "one");
    batch.Put(Family::kQuarantine, QuarantineKey(1), "q");
    batch.AddCounter(CounterKey("n"), 3);
    batch.AddCounter(CounterKey("n"), 4);
    ASSERT_TRUE(store->Write(&batch, /*sync=*/true).ok());
  }
  auto store = OpenStore(dir.path());
  std::string value;
  ASSERT_TRUE(store->Get(Family::kLog, LogKey(1), &value).ok());
  EXPECT_EQ(value, "one");
  EXPECT_EQ(store->ReadCounter(CounterKey("n")), 7u);
  EXPECT_EQ(store->ReadCounter(CounterKey("never")), 0u);
  value = "untouched";
  EXPECT_TRUE(absl::IsNotFound(store->Get(Family::kLog, LogKey(2), &value)));
  EXPECT_EQ(value, "untouched");
}

// A sorted batch ends in the state its calls, applied in order, would leave: random
// puts, deletes and range deletes against a plain batch doing the same.
TEST(StoreTest, SortedBatchEqualsCallOrder) {
  testing::TempDir dir;
  auto plain_store = OpenStore(dir.Sub("plain"));
  auto sorted_store = OpenStore(dir.Sub("sorted"));
  std::mt19937 rng(5);
  for (int round = 0; round < 20; ++round) {
    WriteBatch plain(plain_store.get()), sorted(sorted_store.get());
    sorted.SortByKey();
    for (int op = 0; op < 200; ++op) {
      std::string key = "k" + std::to_string(rng() % 40);
      Family family = rng() % 2 ? Family::kQuarantine : Family::kMeta;
      switch (rng() % 10) {
        case 0:
          plain.Delete(family, key);
          sorted.Delete(family, key);
          break;
        case 1: {
          std::string end = "k" + std::to_string(rng() % 40);
          plain.DeleteRange(family, std::min(key, end), std::max(key, end));
          sorted.DeleteRange(family, std::min(key, end), std::max(key, end));
          break;
        }
        default: {
          std::string value = std::to_string(round * 1000 + op);
          plain.Put(family, key, value);
          sorted.Put(family, key, value);
        }
      }
    }
    ASSERT_TRUE(plain_store->Write(&plain, false).ok());
    ASSERT_TRUE(sorted_store->Write(&sorted, false).ok());
  }
  for (Family family : {Family::kQuarantine, Family::kMeta}) {
    auto a = plain_store->NewIterator(family);
    auto b = sorted_store->NewIterator(family);
    size_t keys = 0;
    for (a->SeekToFirst(), b->SeekToFirst(); a->Valid(); a->Next(), b->Next(), ++keys) {
      ASSERT_TRUE(b->Valid());
      EXPECT_EQ(a->key(), b->key());
      EXPECT_EQ(a->value(), b->value());
    }
    EXPECT_FALSE(b->Valid());
    EXPECT_GT(keys, 0u);
  }
}

// The log, index, dedup and identity families' memtables use insert hints, which RocksDB 7.8 shares
// between point and range entries: a range delete there is refused, with the whole
// batch, by name.
TEST(StoreTest, HintedFamiliesRefuseRangeDeletes) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path());
  for (Family family : {Family::kLog, Family::kIndex, Family::kDedup, Family::kIdentity}) {
    SCOPED_TRACE(FamilyName(family));
    WriteBatch sorted(store.get());
    sorted.SortByKey();
    for (int key = 0; key < 100; ++key) sorted.Put(family, "k" + std::to_string(key), "");
    ASSERT_TRUE(store->Write(&sorted, false).ok());

    WriteBatch batch(store.get());
    batch.Put(Family::kLog, LogKey(1), "kept out too");
    batch.DeleteRange(family, "k1", "k5");
    absl::Status status = store->Write(&batch, false);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(status.message().find(std::string(FamilyName(family)) + " family"), std::string_view::npos) << status;
    std::string value;
    EXPECT_TRUE(absl::IsNotFound(store->Get(Family::kLog, LogKey(1), &value)));
    auto it = store->NewIterator(family);
    size_t keys = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++keys;
    EXPECT_EQ(keys, 100u);
  }

  // Other families still take them, and a cleared batch writes again.
  WriteBatch batch(store.get());
  batch.DeleteRange(Family::kIndex, "k1", "k5");
  batch.Clear();
  batch.Put(Family::kQuarantine, "a", "1");
  batch.Put(Family::kQuarantine, "b", "2");
  batch.DeleteRange(Family::kQuarantine, "a", "b");
  ASSERT_TRUE(store->Write(&batch, false).ok());
  std::string value;
  EXPECT_TRUE(absl::IsNotFound(store->Get(Family::kQuarantine, "a", &value)));
  EXPECT_TRUE(store->Get(Family::kQuarantine, "b", &value).ok());
}

TEST(StoreTest, MultiGetMarksMissingKeys) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path());
  WriteBatch batch(store.get());
  batch.Put(Family::kDedup, "a", "1");
  batch.Put(Family::kDedup, "c", "3");
  ASSERT_TRUE(store->Write(&batch, false).ok());
  std::vector<std::optional<std::string>> values;
  ASSERT_TRUE(store->MultiGet(Family::kDedup, {"a", "b", "c"}, &values).ok());
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[0], "1");
  EXPECT_FALSE(values[1].has_value());
  EXPECT_EQ(values[2], "3");
}

TEST(StoreTest, FamiliesAreSeparateAndIteratorsOrdered) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path());
  WriteBatch batch(store.get());
  for (uint64_t seq : {3, 1, 2}) batch.Put(Family::kLog, LogKey(seq), std::to_string(seq));
  batch.Put(Family::kIndex, LogKey(9), "other family");
  ASSERT_TRUE(store->Write(&batch, false).ok());
  auto it = store->NewIterator(Family::kLog);
  std::vector<uint64_t> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) seen.push_back(DecodeLogKey(it->key()));
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3}));
  it->SeekForPrev(LogKey(100));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(DecodeLogKey(it->key()), 3u);
}

// A cold scan (no block cache fill) reads what a default one reads,
// from the files as well as the memtable.
TEST(StoreTest, ColdScansReadTheSameEntries) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path());
  for (uint64_t start : {1, 5001}) {
    WriteBatch batch(store.get());
    for (uint64_t seq = start; seq < start + 5000; ++seq) batch.Put(Family::kLog, LogKey(seq), std::string(100, 'a' + seq % 26));
    ASSERT_TRUE(store->Write(&batch, false).ok());
    if (start == 1) ASSERT_TRUE(store->CompactAll(Family::kLog).ok());  // the first half in files
  }
  auto read_all = [&](const Store::ScanOptions& options) {
    std::vector<std::pair<uint64_t, std::string>> out;
    auto it = store->NewIterator(Family::kLog, options);
    for (it->Seek(LogKey(2)); it->Valid(); it->Next()) out.emplace_back(DecodeLogKey(it->key()), std::string(it->value()));
    EXPECT_TRUE(it->status().ok());
    return out;
  };
  auto warm = read_all({});
  ASSERT_EQ(warm.size(), 9999u);
  EXPECT_EQ(read_all({.fill_cache = false}), warm);
}

TEST(StoreTest, SecondWriterGetsAClearErrorAndReadOnlyWorks) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path());
  WriteBatch batch(store.get());
  batch.Put(Family::kLog, LogKey(1), "x");
  ASSERT_TRUE(store->Write(&batch, true).ok());
  auto second = Store::Open(dir.path(), StoreOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);

  StoreOptions read_only;
  read_only.read_only = true;
  auto reader = OpenStore(dir.path(), read_only);
  std::string value;
  EXPECT_TRUE(reader->Get(Family::kLog, LogKey(1), &value).ok());
  WriteBatch refused(reader.get());
  refused.Put(Family::kLog, LogKey(2), "y");
  EXPECT_TRUE(absl::IsFailedPrecondition(reader->Write(&refused, false)));
}

TEST(StoreTest, DedupEntriesPastTheWindowAreCompactedAway) {
  testing::TempDir dir;
  FakeClock clock(100 * kMicrosPerDay);
  StoreOptions options;
  options.clock = &clock;
  options.dedup_window_us = kMicrosPerDay;
  auto store = OpenStore(dir.path(), options);
  auto value_at = [](int64_t received_at_us) {
    std::string value;
    PutFixed64LE(&value, static_cast<uint64_t>(received_at_us));
    PutFixed64LE(&value, 1);
    return value;
  };
  WriteBatch batch(store.get());
  batch.Put(Family::kDedup, "old", value_at(clock.NowMicros() - 2 * kMicrosPerDay));
  batch.Put(Family::kDedup, "fresh", value_at(clock.NowMicros() - kMicrosPerHour));
  ASSERT_TRUE(store->Write(&batch, false).ok());
  ASSERT_TRUE(store->CompactAll(Family::kDedup).ok());
  std::string value;
  EXPECT_TRUE(absl::IsNotFound(store->Get(Family::kDedup, "old", &value)));
  EXPECT_TRUE(store->Get(Family::kDedup, "fresh", &value).ok());
}

TEST(StoreTest, KeysWithNulBytesStaySeparate) {
  EXPECT_NE(DedupKey(std::string("a\0b", 3), "c"), DedupKey("a", std::string("\0bc", 3)));
  EXPECT_NE(IndexIdPrefix(kIndexByUser, "ab"), IndexIdPrefix(kIndexByUser, "a"));
  std::string key = IndexKey(IndexIdPrefix(kIndexByUser, "u"), -5, 77);
  EXPECT_EQ(IndexKeySeq(key), 77u);
  EXPECT_EQ(IndexKeyTime(key), -5);
}

TEST(StoreTest, TaggedNumbersParseBack) {
  for (uint64_t number : {uint64_t{0}, uint64_t{1}, uint64_t{1} << 40, ~uint64_t{0}}) {
    uint64_t parsed = 7;
    ASSERT_TRUE(ParseTaggedNumber(PersonKey(number), kIdentityPerson, &parsed));
    EXPECT_EQ(parsed, number);
    ASSERT_TRUE(ParseTaggedNumber(MergeKey(number), kIdentityMerge, &parsed));
    EXPECT_EQ(parsed, number);
  }
  uint64_t untouched = 7;
  EXPECT_FALSE(ParseTaggedNumber(PersonKey(3), kIdentityMerge, &untouched));  // another tag
  EXPECT_FALSE(ParseTaggedNumber(PersonKey(3) + "x", kIdentityPerson, &untouched));
  EXPECT_FALSE(ParseTaggedNumber(PersonKey(3).substr(0, 8), kIdentityPerson, &untouched));
  EXPECT_FALSE(ParseTaggedNumber("", kIdentityPerson, &untouched));
  EXPECT_FALSE(ParseTaggedNumber(IdentifierKey(1, "12345678"), kIdentityPerson, &untouched));
  EXPECT_EQ(untouched, 7u);
}

TEST(StoreTest, IdentifierKeysParseBack) {
  const std::string with_nul("a\0b", 3);
  for (const auto& [type, id] : {std::pair<uint8_t, std::string>{1, "user-1"}, {7, ""}, {255, with_nul},
                                  {0, std::string(300, 'x')}}) {
    uint8_t parsed_type = 0;
    std::string_view parsed_value;
    const std::string key = IdentifierKey(type, id);
    ASSERT_TRUE(ParseIdentifierKey(key, &parsed_type, &parsed_value)) << id;
    EXPECT_EQ(parsed_type, type);
    EXPECT_EQ(parsed_value, id);
  }

  uint8_t type = 42;
  std::string_view value = "untouched";
  const std::string key = IdentifierKey(3, "abc");
  // Another tag, the same bytes after it.
  std::string other_tag = key;
  other_tag[0] = kIdentityPerson;
  EXPECT_FALSE(ParseIdentifierKey(other_tag, &type, &value));
  EXPECT_FALSE(ParseIdentifierKey(PersonKey(1), &type, &value));
  // Truncated: no length, part of the length, part of the value; and a longer value
  // than the length says.
  for (size_t size = 0; size < key.size(); ++size) {
    EXPECT_FALSE(ParseIdentifierKey(std::string_view(key).substr(0, size), &type, &value)) << size;
  }
  EXPECT_FALSE(ParseIdentifierKey(key + "d", &type, &value));
  EXPECT_EQ(type, 42);
  EXPECT_EQ(value, "untouched");
}

// Yields `keys` in order to Store::IngestKeys.
std::function<bool(std::string_view*)> KeysFrom(const std::vector<std::string>& keys) {
  auto next = std::make_shared<size_t>(0);
  return [&keys, next](std::string_view* key) {
    if (*next == keys.size()) return false;
    *key = keys[(*next)++];
    return true;
  };
}

std::vector<std::string> AllKeys(Store* store, Family family) {
  std::vector<std::string> keys;
  auto it = store->NewIterator(family);
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys.emplace_back(it->key());
  EXPECT_TRUE(it->status().ok());
  return keys;
}

TEST(StoreTest, IngestedKeysJoinWrittenOnesAndOutliveReopen) {
  testing::TempDir dir;
  {
    auto store = OpenStore(dir.path());
    WriteBatch batch(store.get());
    batch.Put(Family::kIndex, "b", "");
    batch.Put(Family::kIndex, "d", "");
    ASSERT_TRUE(store->Write(&batch, false).ok());
    std::vector<std::string> ingested = {"a", "b", "c", std::string("c\0", 2)};
    ASSERT_TRUE(store->IngestKeys(Family::kIndex, KeysFrom(ingested)).ok());
    std::vector<std::string> none;
    ASSERT_TRUE(store->IngestKeys(Family::kIndex, KeysFrom(none)).ok());
    EXPECT_EQ(AllKeys(store.get(), Family::kIndex),
              (std::vector<std::string>{"a", "b", "c", std::string("c\0", 2), "d"}));
    // A later point delete hides an ingested key, as it would a written one.
    WriteBatch erase(store.get());
    erase.Delete(Family::kIndex, "a");
    ASSERT_TRUE(store->Write(&erase, false).ok());
  }
  auto store = OpenStore(dir.path());
  EXPECT_EQ(AllKeys(store.get(), Family::kIndex), (std::vector<std::string>{"b", "c", std::string("c\0", 2), "d"}));
  EXPECT_TRUE(AllKeys(store.get(), Family::kLog).empty());
}

TEST(StoreTest, IngestRefusesKeysOutOfOrderAndAddsNothing) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path());
  for (std::vector<std::string> keys : {std::vector<std::string>{"a", "c", "b"}, std::vector<std::string>{"a", "a"}}) {
    absl::Status status = store->IngestKeys(Family::kIndex, KeysFrom(keys));
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message().find("ascending"), std::string_view::npos) << status;
  }
  EXPECT_TRUE(AllKeys(store.get(), Family::kIndex).empty());
  StoreOptions read_only;
  read_only.read_only = true;
  store.reset();
  store = OpenStore(dir.path(), read_only);
  std::vector<std::string> keys = {"a"};
  EXPECT_TRUE(absl::IsFailedPrecondition(store->IngestKeys(Family::kIndex, KeysFrom(keys))));
}

}  // namespace
}  // namespace aidmp::storage
