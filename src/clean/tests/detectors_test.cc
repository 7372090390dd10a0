#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>

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

// The dedup index against a trivially correct shadow (a map), on random ids and times.
TEST(DedupIndexTest, AgreesWithAShadowMap) {
  testing::TempDir dir;
  auto store = storage::Store::Open(dir.path(), storage::StoreOptions());
  ASSERT_TRUE(store.ok());
  const int64_t window = kMicrosPerHour;
  DedupIndex index(store->get(), window);
  std::map<std::string, int64_t> shadow;
  std::mt19937 rng(9);
  int64_t now = 10 * kMicrosPerDay;
  for (int round_idx = 0; round_idx < 200; ++round_idx) {
    now += static_cast<int64_t>(rng() % (10 * kMicrosPerMinute));
    std::vector<std::string> keys;
    for (int key_idx = 0; key_idx < 20; ++key_idx) {
      keys.push_back(DedupIndex::Key(rng() % 2 ? "web" : "app", "m" + std::to_string(rng() % 300)));
    }
    std::vector<bool> duplicate;
    ASSERT_TRUE(index.FindDuplicates(keys, now, &duplicate).ok());
    storage::WriteBatch batch(store->get());
    for (size_t key_idx = 0; key_idx < keys.size(); ++key_idx) {
      auto it = shadow.find(keys[key_idx]);
      bool expected = it != shadow.end() && it->second >= now - window;
      ASSERT_EQ(duplicate[key_idx], expected) << "round " << round_idx;
    }
    for (const auto& key : keys) {
      auto it = shadow.find(key);
      if (it != shadow.end() && it->second >= now - window) continue;
      shadow[key] = now;
      index.Stage(key, now, 1, &batch);
    }
    ASSERT_TRUE((*store)->Write(&batch, false).ok());
  }
}

}  // namespace
}  // namespace aidmp::clean
