#include "index/pending_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "testing/temp_dir.h"

namespace aidmp::index {
namespace {

std::vector<std::string> KeysOf(const SortedRun& run) {
  std::vector<std::string> keys;
  for (size_t key_idx = 0; key_idx < run.size(); ++key_idx) keys.emplace_back(run.key(key_idx));
  return keys;
}

std::string RandomKey(std::mt19937& rng) {
  std::string key(1 + rng() % 6, '\0');
  for (char& c : key) c = static_cast<char>("ab\0\xff"[rng() % 4]);
  return key;
}

TEST(SortedRunTest, SortsDropsDuplicatesAndFindsLowerBounds) {
  SortedRun run = SortedRun::FromKeys({"c", "a", "b", "a", std::string("a\0", 2)});
  EXPECT_EQ(KeysOf(run), (std::vector<std::string>{"a", std::string("a\0", 2), "b", "c"}));
  EXPECT_EQ(run.LowerBound(""), 0u);
  EXPECT_EQ(run.LowerBound("a"), 0u);
  EXPECT_EQ(run.LowerBound(std::string("a\0", 2)), 1u);
  EXPECT_EQ(run.LowerBound("bb"), 3u);
  EXPECT_EQ(run.LowerBound("d"), 4u);
  EXPECT_EQ(SortedRun::FromKeys({}).size(), 0u);
}

// However steps come, the runs together hold exactly the keys added, each run sorted,
// and there are only logarithmically many of them.
TEST(PendingIndexTest, RunsHoldEveryKeyOnceAndStayFew) {
  std::mt19937 rng(11);
  PendingIndex pending;
  std::set<std::string> all;
  for (int step = 1; step <= 300; ++step) {
    std::vector<std::string> keys(rng() % 40);
    for (auto& key : keys) {
      key = RandomKey(rng);
      all.insert(key);
    }
    pending.Add(SortedRun::FromKeys(keys));
    RunList runs = pending.Snapshot();
    EXPECT_LE(runs.size(), 2 * std::log2(step) + 2) << "step " << step;
    size_t keys_in_runs = 0;
    for (const auto& run : runs) {
      keys_in_runs += run->size();
      for (size_t key_idx = 1; key_idx < run->size(); ++key_idx) ASSERT_LT(run->key(key_idx - 1), run->key(key_idx));
    }
    EXPECT_EQ(pending.keys(), keys_in_runs);
    MergedKeys merged(runs, nullptr);
    std::vector<std::string> got;
    for (merged.Seek(""); merged.Valid(); merged.Next()) got.emplace_back(merged.key());
    ASSERT_EQ(got, std::vector<std::string>(all.begin(), all.end())) << "step " << step;
  }
  size_t count = pending.Snapshot().size();
  pending.DropFirst(count - 1);
  EXPECT_EQ(pending.Snapshot().size(), 1u);
  EXPECT_EQ(pending.keys(), pending.Snapshot()[0]->size());
  pending.DropFirst(5);
  EXPECT_EQ(pending.keys(), 0u);
  EXPECT_EQ(pending.bytes(), 0u);
}

// Runs and the store together, from any starting key: the sorted union, each key once.
TEST(MergedKeysTest, MergesRunsWithTheStoreFromAnyKey) {
  aidmp::testing::TempDir dir;
  auto store = storage::Store::Open(dir.path(), storage::StoreOptions());
  ASSERT_TRUE(store.ok());
  std::mt19937 rng(5);
  std::set<std::string> all;
  storage::WriteBatch batch(store->get());
  for (int key_idx = 0; key_idx < 200; ++key_idx) {
    std::string key = RandomKey(rng);
    all.insert(key);
    batch.Put(storage::Family::kIndex, key, "");
  }
  ASSERT_TRUE((*store)->Write(&batch, false).ok());
  PendingIndex pending;
  for (int step = 0; step < 20; ++step) {
    std::vector<std::string> keys(rng() % 30);
    for (auto& key : keys) {
      key = RandomKey(rng);
      all.insert(key);
    }
    pending.Add(SortedRun::FromKeys(keys));
  }
  RunList runs = pending.Snapshot();
  for (int trial = 0; trial < 50; ++trial) {
    std::string from = trial == 0 ? std::string() : RandomKey(rng);
    auto store_keys = (*store)->NewIterator(storage::Family::kIndex);
    MergedKeys merged(runs, store_keys.get());
    std::vector<std::string> got;
    for (merged.Seek(from); merged.Valid(); merged.Next()) got.emplace_back(merged.key());
    EXPECT_TRUE(merged.status().ok());
    ASSERT_EQ(got, std::vector<std::string>(all.lower_bound(from), all.end())) << "from " << trial;
  }
}

}  // namespace
}  // namespace aidmp::index
