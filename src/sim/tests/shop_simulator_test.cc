#include "sim/shop_simulator.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/time_format.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace aidmp::sim {
namespace {

// 2026-11-28T10:00:00Z.
constexpr int64_t kEndUs = 1795860000LL * kMicrosPerSecond;

ShopOptions SmallOptions(uint64_t seed) {
  ShopOptions options;
  options.seed = seed;
  options.shoppers = 150;
  options.items = 120;
  options.days = 5;
  options.end_time_us = kEndUs;
  return options;
}

std::vector<SimMessage> RunAll(ShopSimulator& simulator, size_t chunk) {
  std::vector<SimMessage> messages;
  while (simulator.Next(chunk, &messages)) {
  }
  return messages;
}

// The string at `key`, or empty when `object` is not an object or the field is missing or
// not a string.
std::string_view StringOr(simdjson::dom::element object, std::string_view key) {
  std::string_view value;
  if (object[key].get_string().get(value) != simdjson::SUCCESS) return {};
  return value;
}

// One run with the default options, shared by the tests that check the output's shape.
class DefaultRunTest : public ::testing::Test {
 protected:
  struct Parsed {
    std::string type, event, message_id, user_id, anonymous_id, category, user_agent;
    int64_t ts_us = -1;  // -1 when not ISO-8601
  };

  static void SetUpTestSuite() {
    ShopOptions options;
    options.end_time_us = kEndUs;
    options_ = new ShopOptions(options);
    simulator_ = new ShopSimulator(options);
    messages_ = new std::vector<SimMessage>(RunAll(*simulator_, 4096));
    parsed_ = new std::vector<Parsed>();
    simdjson::dom::parser parser;
    for (const SimMessage& message : *messages_) {
      simdjson::dom::element root;
      ASSERT_EQ(parser.parse(message.json).get(root), simdjson::SUCCESS) << message.json;
      Parsed parsed;
      parsed.type = StringOr(root, "type");
      parsed.event = StringOr(root, "event");
      parsed.message_id = StringOr(root, "messageId");
      parsed.user_id = StringOr(root, "userId");
      parsed.anonymous_id = StringOr(root, "anonymousId");
      simdjson::dom::element properties, context;
      if (root["properties"].get(properties) == simdjson::SUCCESS) {
        parsed.category = StringOr(properties, "category");
      }
      if (root["context"].get(context) == simdjson::SUCCESS) {
        parsed.user_agent = StringOr(context, "userAgent");
      }
      auto ts = ParseIso8601Micros(StringOr(root, "timestamp"));
      if (ts.ok()) parsed.ts_us = *ts;
      parsed_->push_back(parsed);
    }
  }

  static void TearDownTestSuite() {
    delete parsed_;
    delete messages_;
    delete simulator_;
    delete options_;
  }

  // Indexes of well-formed first sends.
  static std::vector<size_t> Originals() {
    std::vector<size_t> originals;
    for (size_t message_idx = 0; message_idx < messages_->size(); ++message_idx) {
      const SimMessage& message = (*messages_)[message_idx];
      if (!message.malformed && !message.duplicate) originals.push_back(message_idx);
    }
    return originals;
  }

  static ShopOptions* options_;
  static ShopSimulator* simulator_;
  static std::vector<SimMessage>* messages_;
  static std::vector<Parsed>* parsed_;
};

ShopOptions* DefaultRunTest::options_ = nullptr;
ShopSimulator* DefaultRunTest::simulator_ = nullptr;
std::vector<SimMessage>* DefaultRunTest::messages_ = nullptr;
std::vector<DefaultRunTest::Parsed>* DefaultRunTest::parsed_ = nullptr;

TEST(ShopSimulatorTest, SameSeedSameOutputWhateverTheChunkSize) {
  ShopSimulator first(SmallOptions(3));
  ShopSimulator second(SmallOptions(3));
  std::vector<SimMessage> first_messages = RunAll(first, 1);
  std::vector<SimMessage> second_messages = RunAll(second, 1000);
  ASSERT_GT(first_messages.size(), 1000u);
  ASSERT_EQ(first_messages.size(), second_messages.size());
  for (size_t message_idx = 0; message_idx < first_messages.size(); ++message_idx) {
    ASSERT_EQ(first_messages[message_idx].json, second_messages[message_idx].json);
  }
  EXPECT_EQ(first.catalogue().size(), second.catalogue().size());
  EXPECT_EQ(first.shoppers()[7].anonymous_ids, second.shoppers()[7].anonymous_ids);

  ShopSimulator other(SmallOptions(4));
  std::vector<SimMessage> other_messages = RunAll(other, 1000);
  EXPECT_NE(other_messages.front().json, first_messages.front().json);
}

TEST(ShopSimulatorTest, NextReturnsFalseOnceFinished) {
  ShopSimulator simulator(SmallOptions(5));
  std::vector<SimMessage> messages = RunAll(simulator, 333);
  EXPECT_FALSE(simulator.Next(10, &messages));
  EXPECT_EQ(simulator.counts().messages, messages.size());
}

TEST(ShopSimulatorTest, NoShoppersNoMessages) {
  ShopOptions options = SmallOptions(8);
  options.shoppers = 0;
  ShopSimulator simulator(options);
  std::vector<SimMessage> messages;
  EXPECT_FALSE(simulator.Next(10, &messages));
  EXPECT_TRUE(messages.empty());
  EXPECT_TRUE(simulator.shoppers().empty());
}

TEST(ShopSimulatorTest, BatchBodyWrapsMessages) {
  ShopSimulator simulator(SmallOptions(6));
  std::vector<SimMessage> messages;
  ASSERT_TRUE(simulator.Next(25, &messages));
  std::string body = MakeBatchBody(messages, kEndUs + 1'234'567);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(body).get(root), simdjson::SUCCESS);
  simdjson::dom::array batch;
  ASSERT_EQ(root["batch"].get_array().get(batch), simdjson::SUCCESS);
  EXPECT_EQ(batch.size(), 25u);
  EXPECT_EQ(StringOr(root, "sentAt"), "2026-11-28T10:00:01.234Z");
}

TEST_F(DefaultRunTest, DefaultOptionsGiveAShopSizedRun) {
  EXPECT_GT(messages_->size(), 100'000u);
  EXPECT_LT(messages_->size(), 300'000u);
  ShopSimulator::Counts counts = simulator_->counts();
  EXPECT_EQ(counts.messages, messages_->size());
  EXPECT_EQ(counts.messages, counts.malformed + counts.duplicates + counts.identifies +
                                 counts.tracks + counts.pages);
  EXPECT_EQ(simulator_->catalogue().size(), 500u);
}

TEST_F(DefaultRunTest, WellFormedMessagesFollowTheSpec) {
  for (size_t message_idx = 0; message_idx < messages_->size(); ++message_idx) {
    const SimMessage& message = (*messages_)[message_idx];
    if (message.malformed) continue;
    const Parsed& parsed = (*parsed_)[message_idx];
    SCOPED_TRACE(message.json);
    ASSERT_EQ(parsed.type, message.type);
    ASSERT_TRUE(parsed.type == "identify" || parsed.type == "track" || parsed.type == "page");
    ASSERT_FALSE(parsed.user_id.empty() && parsed.anonymous_id.empty());
    ASSERT_EQ(parsed.type == "track", !parsed.event.empty());
    ASSERT_FALSE(parsed.message_id.empty());
    ASSERT_LE(parsed.message_id.size(), 100u);
    ASSERT_GE(parsed.ts_us, 0);
    ASSERT_EQ(parsed.ts_us % 1000, 0);  // milliseconds, as analytics.js sends
  }
}

TEST_F(DefaultRunTest, MalformedMessagesBreakARule) {
  simdjson::dom::parser parser;
  for (size_t message_idx = 0; message_idx < messages_->size(); ++message_idx) {
    const SimMessage& message = (*messages_)[message_idx];
    if (!message.malformed) continue;
    const Parsed& parsed = (*parsed_)[message_idx];
    EXPECT_EQ(parsed.type, message.type);
    simdjson::dom::element root = parser.parse(message.json).value();
    bool payload_is_string = root["properties"].is_string() || root["traits"].is_string();
    bool broken = (parsed.user_id.empty() && parsed.anonymous_id.empty()) ||
                  (parsed.type == "track" && parsed.event.empty()) || payload_is_string ||
                  parsed.ts_us < 0 || parsed.message_id.size() > 100;
    EXPECT_TRUE(broken) << message.json;
  }
}

TEST_F(DefaultRunTest, MessageIdsAreUniqueExceptDuplicates) {
  std::map<std::string_view, size_t> first_seen;
  for (size_t message_idx = 0; message_idx < messages_->size(); ++message_idx) {
    const SimMessage& message = (*messages_)[message_idx];
    auto [it, inserted] = first_seen.emplace((*parsed_)[message_idx].message_id, message_idx);
    if (message.duplicate) {
      ASSERT_FALSE(inserted) << message.json;
      EXPECT_EQ((*messages_)[it->second].json, message.json);
      EXPECT_FALSE((*messages_)[it->second].malformed);
    } else {
      ASSERT_TRUE(inserted) << message.json;
    }
  }
}

TEST_F(DefaultRunTest, FractionsMatchTheOptions) {
  ShopSimulator::Counts counts = simulator_->counts();
  double messages = static_cast<double>(counts.messages);
  EXPECT_NEAR(counts.malformed / messages, options_->malformed_rate,
              options_->malformed_rate * 0.2);
  EXPECT_NEAR(counts.duplicates / messages, options_->duplicate_rate,
              options_->duplicate_rate * 0.2);

  size_t bots = 0;
  std::set<std::string> bot_ids;
  for (const Shopper& shopper : simulator_->shoppers()) {
    if (!shopper.is_bot) continue;
    ++bots;
    EXPECT_TRUE(shopper.user_id.empty());
    bot_ids.insert(shopper.anonymous_ids.begin(), shopper.anonymous_ids.end());
  }
  EXPECT_EQ(bots, 20u);
  EXPECT_EQ(simulator_->shoppers().size(), 2020u);

  uint64_t bot_messages = 0;
  for (size_t message_idx : Originals()) {
    const Parsed& parsed = (*parsed_)[message_idx];
    if (!bot_ids.count(parsed.anonymous_id)) continue;
    ++bot_messages;
    bool crawler = parsed.user_agent.find("bot") != std::string::npos ||
                   parsed.user_agent.find("python-requests") != std::string::npos ||
                   parsed.user_agent.find("HeadlessChrome") != std::string::npos;
    EXPECT_TRUE(crawler) << parsed.user_agent;
  }
  EXPECT_EQ(bot_messages, counts.bot_messages);
  // Bots are few but loud.
  double per_bot = static_cast<double>(bot_messages) / bots;
  double per_human = static_cast<double>(Originals().size() - bot_messages) / 2000;
  EXPECT_GT(per_bot, 10 * per_human);
}

TEST_F(DefaultRunTest, TimestampsAreOrderedAndInRange) {
  int64_t start_us = kEndUs - 14 * kMicrosPerDay;
  int64_t latest_us = start_us;
  for (size_t message_idx = 0; message_idx < messages_->size(); ++message_idx) {
    const SimMessage& message = (*messages_)[message_idx];
    int64_t ts_us = (*parsed_)[message_idx].ts_us;
    if (ts_us < 0) {
      EXPECT_TRUE(message.malformed);
      continue;
    }
    ASSERT_GE(ts_us, start_us);
    ASSERT_LE(ts_us, kEndUs);
    if (message.duplicate) {
      EXPECT_LE(ts_us, latest_us);  // re-sent after its original
    } else {
      ASSERT_GE(ts_us, latest_us) << message.json;
      latest_us = ts_us;
    }
  }
}

TEST_F(DefaultRunTest, UserIdsAreLinkedByAnIdentifyFirst) {
  std::set<std::pair<std::string, std::string>> links;  // (userId, anonymousId)
  for (size_t message_idx : Originals()) {
    const Parsed& parsed = (*parsed_)[message_idx];
    if (parsed.type == "identify") {
      ASSERT_FALSE(parsed.user_id.empty());
      ASSERT_FALSE(parsed.anonymous_id.empty());
      links.emplace(parsed.user_id, parsed.anonymous_id);
    }
    if (!parsed.user_id.empty()) {
      ASSERT_TRUE(links.count({parsed.user_id, parsed.anonymous_id}))
          << (*messages_)[message_idx].json;
    }
  }
  size_t registered = 0;
  for (const Shopper& shopper : simulator_->shoppers()) {
    if (shopper.user_id.empty()) continue;
    ++registered;
    bool linked = false;
    for (const std::string& anonymous_id : shopper.anonymous_ids) {
      linked = linked || links.count({shopper.user_id, anonymous_id});
    }
    EXPECT_TRUE(linked) << shopper.user_id;
  }
  EXPECT_GT(registered, 1000u);
}

TEST_F(DefaultRunTest, ViewsFollowHiddenTastes) {
  std::map<std::string, size_t> shopper_by_anonymous_id;
  const std::vector<Shopper>& shoppers = simulator_->shoppers();
  for (size_t shopper_idx = 0; shopper_idx < shoppers.size(); ++shopper_idx) {
    const Shopper& shopper = shoppers[shopper_idx];
    if (shopper.is_bot) {
      EXPECT_TRUE(shopper.hidden_tastes.empty());
      continue;
    }
    ASSERT_GE(shopper.hidden_tastes.size(), 2u);
    ASSERT_LE(shopper.hidden_tastes.size(), 4u);
    double total = 0;
    for (const auto& [category, weight] : shopper.hidden_tastes) total += weight;
    EXPECT_NEAR(total, 1.0, 1e-9);
    ASSERT_EQ(shopper.anonymous_ids.size(), shopper.device_ids.size());
    for (const std::string& anonymous_id : shopper.anonymous_ids) {
      shopper_by_anonymous_id[anonymous_id] = shopper_idx;
    }
  }

  std::vector<std::map<std::string, int>> views(shoppers.size());
  for (size_t message_idx : Originals()) {
    const Parsed& parsed = (*parsed_)[message_idx];
    if (parsed.event != "Product Viewed") continue;
    auto it = shopper_by_anonymous_id.find(parsed.anonymous_id);
    if (it != shopper_by_anonymous_id.end()) ++views[it->second][parsed.category];
  }
  size_t judged = 0, liked = 0, favourite = 0;
  for (size_t shopper_idx = 0; shopper_idx < shoppers.size(); ++shopper_idx) {
    int total = 0;
    for (const auto& [category, count] : views[shopper_idx]) total += count;
    if (total < 8) continue;
    auto most_viewed =
        std::max_element(views[shopper_idx].begin(), views[shopper_idx].end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    const std::map<std::string, double>& tastes = shoppers[shopper_idx].hidden_tastes;
    auto top_taste =
        std::max_element(tastes.begin(), tastes.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    ++judged;
    liked += tastes.count(most_viewed->first);
    favourite += most_viewed->first == top_taste->first;
  }
  ASSERT_GT(judged, 300u);
  EXPECT_GT(static_cast<double>(liked) / judged, 0.95);
  EXPECT_GT(static_cast<double>(favourite) / judged, 0.7);
}

}  // namespace
}  // namespace aidmp::sim
