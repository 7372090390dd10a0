// The reference semantics of segment expressions on hand-built profiles and events.
#include "audience/evaluate.h"

#include <gtest/gtest.h>

namespace aidmp::audience {
namespace {

constexpr int64_t kDay = 86'400'000'000LL;
constexpr int64_t kNow = 20000 * kDay;

event::Event Track(std::string name, int64_t ts, std::string properties) {
  event::Event event;
  event.type = event::EventType::kTrack;
  event.event = std::move(name);
  event.user_id = "u";
  event.timestamp_us = ts;
  event.properties_json = std::move(properties);
  return event;
}

class EvaluateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    event::Event identify;
    identify.type = event::EventType::kIdentify;
    identify.user_id = "u";
    identify.timestamp_us = kNow - kDay;
    identify.traits_json = R"({"country":"CN","age":34,"vip":true,"tags":["a","b"],"address":{"city":"Oslo"},"bio":"likes sci-fi"})";
    events_.push_back(identify);
    events_.push_back(Track("Order Completed", kNow - 2 * kDay, R"({"revenue":150,"category":"sci-fi"})"));
    events_.push_back(Track("Order Completed", kNow - 10 * kDay, R"({"revenue":120,"category":"books"})"));
    events_.push_back(Track("Order Completed", kNow - 40 * kDay, R"({"revenue":500,"category":"books"})"));
    events_.push_back(Track("Product Viewed", kNow - 3 * kDay, R"({"category":"sci-fi"})"));
    for (const auto& event : events_) profile_.Apply(event, model_);
  }

  bool Eval(std::string_view text) {
    auto expression = ParseExpression(text);
    EXPECT_TRUE(expression.ok()) << expression.status();
    if (!expression.ok()) return false;
    PersonFacts facts;
    facts.profile = &profile_;
    facts.load_events = [this]() -> absl::StatusOr<std::vector<event::Event>> { return events_; };
    auto result = Matches(*expression->root, facts, model_, kNow);
    EXPECT_TRUE(result.ok()) << text << ": " << result.status();
    return result.ok() && *result;
  }

  profile::ProfileModel model_{profile::ProfileConfig()};
  profile::Profile profile_;
  std::vector<event::Event> events_;
};

TEST_F(EvaluateTest, Traits) {
  EXPECT_TRUE(Eval(R"(traits.country = "CN")"));
  EXPECT_FALSE(Eval(R"(traits.country != "CN")"));
  EXPECT_TRUE(Eval(R"(traits.country in ["US", "CN"])"));
  EXPECT_FALSE(Eval(R"(traits.country in ["US", "DE"])"));
  EXPECT_TRUE(Eval("traits.age >= 34 and traits.age < 35 and traits.age != 33"));
  EXPECT_FALSE(Eval(R"(traits.age > "30")"));  // a number and a string do not order
  EXPECT_TRUE(Eval(R"(traits.country < "DE" and traits.country >= "CN")"));
  EXPECT_TRUE(Eval("traits.vip = true and not traits.vip = false"));
  EXPECT_TRUE(Eval(R"(traits.tags contains "b" and not traits.tags contains "c")"));
  EXPECT_TRUE(Eval(R"(traits.bio contains "sci-fi")"));
  EXPECT_TRUE(Eval(R"(traits.address.city = "Oslo")"));
  EXPECT_TRUE(Eval("traits.email = null and not traits.email exists and traits.country exists"));
  EXPECT_FALSE(Eval("traits.email > 1"));  // missing compares with nothing
  EXPECT_TRUE(Eval("traits.email != 1"));
}

TEST_F(EvaluateTest, ComputedTraitsAndInterests) {
  EXPECT_TRUE(Eval("computed.orders_30d = 2 and computed.orders_90d = 3 and computed.revenue_30d = 270"));
  EXPECT_TRUE(Eval(R"(computed.favourite_category = "sci-fi")"));
  // books: orders 10 and 40 days old (5 each, decayed: 5.95); sci-fi: an order 2 days old
  // and a view (5.70). The strongest tag scores 1.
  EXPECT_TRUE(Eval(R"(interest("books") = 1 and interest("sci-fi") > 0.9 and interest("sci-fi") < 1)"));
  EXPECT_TRUE(Eval(R"(interest("garden") = 0)"));
}

TEST_F(EvaluateTest, DidCountsEventsInTheWindowWithTheFilter) {
  EXPECT_TRUE(Eval(R"(did("Order Completed"))"));
  EXPECT_TRUE(Eval(R"(did("Order Completed", count = 3))"));
  EXPECT_TRUE(Eval(R"(did("Order Completed", within: 30d, count = 2))"));
  EXPECT_TRUE(Eval(R"(did("Order Completed", within: 30d, count >= 2, where: revenue > 100))"));
  EXPECT_FALSE(Eval(R"(did("Order Completed", within: 30d, count >= 2, where: revenue > 130))"));
  EXPECT_TRUE(Eval(R"(did("Order Completed", where: category = "books" and revenue >= 500))"));
  EXPECT_TRUE(Eval(R"(did("Order Completed", within: 5d, where: not category = "books"))"));
  EXPECT_FALSE(Eval(R"(did("Signed Up"))"));
  EXPECT_TRUE(Eval(R"(did("Signed Up", count = 0))"));
  EXPECT_TRUE(Eval(R"(did("identify", within: 2d))"));
  EXPECT_TRUE(Eval(R"(did("Product Viewed", where: missing = null))"));
}

TEST_F(EvaluateTest, TheIssuesExampleAndErrors) {
  EXPECT_TRUE(Eval(R"(traits.country = "CN" and interest("sci-fi") >= 0.3 and did("Order Completed", within: 30d, count >= 2, where: revenue > 100))"));
  auto unknown = ParseExpression("computed.nope > 1");
  ASSERT_TRUE(unknown.ok());
  absl::Status status = Check(*unknown->root, model_);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(std::string(status.message()).find("line 1, column 1: no computed trait 'nope'"), std::string::npos) << status;
  auto segment = ParseExpression(R"(traits.a = 1 and in_segment("churned"))");
  ASSERT_TRUE(segment.ok());
  status = Check(*segment->root, model_);
  EXPECT_NE(std::string(status.message()).find("line 1, column 18: no segment named 'churned'"), std::string::npos) << status;
}

}  // namespace
}  // namespace aidmp::audience
