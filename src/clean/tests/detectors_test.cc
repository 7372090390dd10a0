#include <gtest/gtest.h>

#include <optional>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "clean/bot_detector.h"
#include "clean/dedup_index.h"
#include "clean/outlier_detector.h"
#include "common/clock.h"
#include "testing/temp_dir.h"

namespace aidmp::clean {
namespace {

TEST(BotDetectorTest, RateLimitPerIdPerMinute) {
  BotDetectorOptions options;
  options.max_events_per_minute = 10;
  BotDetector detector(options);
  int64_t minute_start = 1000 * kMicrosPerMinute;
  for (int event_idx = 0; event_idx < 10; ++event_idx) {
    EXPECT_FALSE(detector.CountAndCheckRate("fast", minute_start + event_idx));
  }
  EXPECT_TRUE(detector.CountAndCheckRate("fast", minute_start + 11));
  EXPECT_FALSE(detector.CountAndCheckRate("slow", minute_start));
  EXPECT_FALSE(detector.CountAndCheckRate("fast", minute_start + kMicrosPerMinute));  // next minute
}

TEST(BotDetectorTest, UserAgentRulesIgnoreCase) {
  BotDetector detector{BotDetectorOptions()};
  EXPECT_TRUE(detector.IsBotUserAgent("Mozilla/5.0 (compatible; Googlebot/2.1)"));
  EXPECT_TRUE(detector.IsBotUserAgent("CURL/8.1"));
  EXPECT_FALSE(detector.IsBotUserAgent("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"));
  EXPECT_FALSE(detector.IsBotUserAgent(""));
  // Asked again (remembered verdicts), the answers stay.
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(detector.IsBotUserAgent("CURL/8.1"));
    EXPECT_FALSE(detector.IsBotUserAgent("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"));
  }
}

// Verdicts remembered for one detector never answer for another on the same thread,
// even one built at the same address with other rules.
TEST(BotDetectorTest, RememberedVerdictsBelongToTheirDetector) {
  const std::string agent = "Mozilla/5.0 FriendlyAgent/1.0";
  std::optional<BotDetector> detector;
  detector.emplace(BotDetectorOptions());
  EXPECT_FALSE(detector->IsBotUserAgent(agent));
  BotDetectorOptions strict;
  strict.user_agent_patterns = {"FRIENDLY"};
  const BotDetector* first_address = &*detector;
  detector.emplace(strict);
  ASSERT_EQ(&*detector, first_address);
  EXPECT_TRUE(detector->IsBotUserAgent(agent));
  BotDetector lenient{BotDetectorOptions()};
  EXPECT_FALSE(lenient.IsBotUserAgent(agent));
  EXPECT_TRUE(detector->IsBotUserAgent(agent));
}

TEST(OutlierDetectorTest, FlagsFarValuesAfterWarmup) {
  OutlierOptions options;
  options.min_samples = 200;
  OutlierDetector detector(options);
  std::mt19937 rng(1);
  std::normal_distribution<double> price(50, 5);
  int early_flags = 0;
  for (int sample_idx = 0; sample_idx < 1000; ++sample_idx) {
    early_flags += detector.Observe("Order Completed", "revenue", price(rng));
  }
  EXPECT_LE(early_flags, 2);
  EXPECT_TRUE(detector.Observe("Order Completed", "revenue", 5000));
  EXPECT_FALSE(detector.Observe("Order Completed", "revenue", 60));
  // Separate statistics per (event, property).
  EXPECT_FALSE(detector.Observe("Order Completed", "quantity", 5000));
}

// The dedup index against a trivially correct shadow (a map), on random ids and times:
// with every id in memory, with tables spilled to the store every few dozen ids (so that
// lookups mix memory, a table being written and the store), and across restarts.
void CheckAgainstShadow(size_t spill_keys, bool restart) {
  testing::TempDir dir;
  auto store = storage::Store::Open(dir.path(), storage::StoreOptions());
  ASSERT_TRUE(store.ok());
  const int64_t window = kMicrosPerHour;
  DedupMemoryOptions memory;
  memory.spill_keys = spill_keys;
  auto index = std::make_unique<DedupIndex>(store->get(), window, memory);
  std::map<std::string, int64_t> shadow;
  std::mt19937 rng(9);
  int64_t now = 10 * kMicrosPerDay;
  uint64_t seq = 0;
  for (int round_idx = 0; round_idx < 200; ++round_idx) {
    now += static_cast<int64_t>(rng() % (10 * kMicrosPerMinute));
    std::vector<std::string> keys;
    for (int key_idx = 0; key_idx < 20; ++key_idx) {
      keys.push_back(DedupIndex::Key(rng() % 2 ? "web" : "app", "m" + std::to_string(rng() % 300)));
    }
    std::vector<bool> duplicate;
    ASSERT_TRUE(index->FindDuplicates(keys, now, &duplicate).ok());
    for (size_t key_idx = 0; key_idx < keys.size(); ++key_idx) {
      auto it = shadow.find(keys[key_idx]);
      bool expected = it != shadow.end() && it->second >= now - window;
      ASSERT_EQ(duplicate[key_idx], expected) << "round " << round_idx;
    }
    // Odd rounds remember their ids as a group commit does, under one lock (a spill may
    // start in the middle of the group); even rounds one at a time.
    std::vector<DedupIndex::Id> group;
    for (const auto& key : keys) {
      auto it = shadow.find(key);
      if (it != shadow.end() && it->second >= now - window) continue;
      shadow[key] = now;
      if (round_idx % 2 == 1) {
        group.push_back({&key, now, ++seq});
      } else {
        index->Remember(key, now, ++seq);
      }
    }
    index->RememberAll(group);
    if (restart && round_idx % 50 == 49) {
      index.reset();  // writes its memory to the store
      index = std::make_unique<DedupIndex>(store->get(), window, memory);
      EXPECT_EQ(index->DurableSeq(), seq);
    }
  }
  ASSERT_TRUE(index->Spill().ok());
  EXPECT_EQ(index->DurableSeq(), seq);
}

TEST(DedupIndexTest, AgreesWithAShadowMapFromMemory) { CheckAgainstShadow(1000000, false); }
TEST(DedupIndexTest, AgreesWithAShadowMapWhileSpilling) { CheckAgainstShadow(37, false); }
TEST(DedupIndexTest, AgreesWithAShadowMapAcrossRestarts) { CheckAgainstShadow(37, true); }

// A table spills once it holds `spill_keys` ids or its first id is `spill_age_us` old;
// what it held is then found in the store by an index that never saw it.
TEST(DedupIndexTest, SpillsByCountAndByAge) {
  testing::TempDir dir;
  auto store = storage::Store::Open(dir.path(), storage::StoreOptions());
  ASSERT_TRUE(store.ok());
  FakeClock clock(1000);
  DedupMemoryOptions memory;
  memory.spill_keys = 10;
  memory.spill_age_us = kMicrosPerMinute;
  memory.clock = &clock;
  DedupIndex index(store->get(), kMicrosPerDay, memory);
  auto wait_for_durable = [&](uint64_t seq) {
    for (int attempt = 0; attempt < 500 && index.DurableSeq() < seq; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return index.DurableSeq();
  };
  for (uint64_t seq = 1; seq <= 9; ++seq) index.Remember(DedupIndex::Key("web", std::to_string(seq)), 5, seq);
  EXPECT_EQ(index.DurableSeq(), 0u) << "nine ids are under the count";
  index.Remember(DedupIndex::Key("web", "10"), 5, 10);
  EXPECT_EQ(wait_for_durable(10), 10u);
  index.Remember(DedupIndex::Key("web", "11"), 5, 11);
  clock.Advance(kMicrosPerMinute);
  index.Remember(DedupIndex::Key("web", "12"), 5, 12);
  EXPECT_EQ(wait_for_durable(12), 12u);

  DedupIndex fresh(store->get(), kMicrosPerDay);
  EXPECT_EQ(fresh.DurableSeq(), 12u);
  std::vector<std::string> keys;
  for (int id = 1; id <= 13; ++id) keys.push_back(DedupIndex::Key("web", std::to_string(id)));
  std::vector<bool> duplicate;
  ASSERT_TRUE(fresh.FindDuplicates(keys, 10, &duplicate).ok());
  for (int id = 1; id <= 12; ++id) EXPECT_TRUE(duplicate[id - 1]) << id;
  EXPECT_FALSE(duplicate[12]);
}

// A spill sorts keys by the bytes after the prefix they all share, whole keys on a tie:
// ids of one source that agree in their first eight bytes or more, ids that are a prefix
// of others, ids with bytes above 0x7f, and one table where every id shares a long head.
TEST(DedupIndexTest, SpilledTablesHoldKeysOfAnyShape) {
  std::vector<std::string> shapes = {"order-0000000-17", "order-0000000-2", "order-0000000-", "order-0000000",
                                     "order-", "o", "\xff\xfe-high", "\x01low", "\x80", "", "order-0000001-1",
                                     "same-prefix-12345678-a", "same-prefix-12345678-b"};
  std::mt19937 rng(3);
  for (int id = 0; id < 300; ++id) shapes.push_back("uuid-" + std::to_string(rng()) + "-" + std::to_string(id));
  std::vector<std::vector<std::string>> tables = {
      shapes,
      {"same-prefix-12345678-a", "same-prefix-12345678-b", "same-prefix-12345678-", "same-prefix-12345678-ab"}};
  for (size_t table_idx = 0; table_idx < tables.size(); ++table_idx) {
    const std::vector<std::string>& ids = tables[table_idx];
    // The second table's keys share their source and 21 bytes of id.
    std::vector<std::string_view> sources = {"web", "app"};
    if (table_idx == 1) sources.pop_back();
    testing::TempDir dir;
    auto store = storage::Store::Open(dir.path(), storage::StoreOptions());
    ASSERT_TRUE(store.ok());
    std::vector<std::string> keys;
    {
      DedupIndex index(store->get(), kMicrosPerDay);
      uint64_t seq = 0;
      for (const std::string& id : ids) {
        for (std::string_view source : sources) {
          keys.push_back(DedupIndex::Key(source, id));
          index.Remember(keys.back(), 5, ++seq);
        }
      }
      ASSERT_TRUE(index.Spill().ok());
    }
    DedupIndex fresh(store->get(), kMicrosPerDay);
    EXPECT_EQ(fresh.IdsInMemory(), 0u);
    keys.push_back(DedupIndex::Key("web", "never-sent"));
    keys.push_back(DedupIndex::Key("web", "same-prefix-12345678-c"));
    std::vector<bool> duplicate;
    ASSERT_TRUE(fresh.FindDuplicates(keys, 10, &duplicate).ok());
    for (size_t key_idx = 0; key_idx + 2 < keys.size(); ++key_idx) EXPECT_TRUE(duplicate[key_idx]) << key_idx;
    EXPECT_FALSE(duplicate[keys.size() - 2]);
    EXPECT_FALSE(duplicate[keys.size() - 1]);
  }
}

}  // namespace
}  // namespace aidmp::clean
