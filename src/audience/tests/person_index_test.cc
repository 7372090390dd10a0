// Property test: for many random expressions over random people, the bitmap plan
// (person_index.h, bitmap_plan.h) selects exactly the people the reference evaluator
// (evaluate.h) accepts one by one, before and after updates and removals.
#include "audience/person_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "common/strings.h"

namespace aidmp::audience {
namespace {

constexpr int64_t kDay = 86'400'000'000LL;
constexpr int64_t kNow = 20000 * kDay + 12 * 3'600'000'000LL;

class World {
 public:
  explicit World(uint32_t seed) : rng_(seed) {}

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  template <typename T>
  const T& Of(const std::vector<T>& items) { return items[static_cast<size_t>(Pick(static_cast<int>(items.size())))]; }

  std::string TraitsJson() {
    std::vector<std::string> members;
    if (Pick(5)) members.push_back(StrCat("\"country\":\"", Of<std::string>({"CN", "US", "DE", "FR"}), "\""));
    switch (Pick(4)) {
      case 0: members.push_back(StrCat("\"age\":", 18 + Pick(50))); break;
      case 1: members.push_back(StrCat("\"age\":\"", 18 + Pick(50), "\"")); break;
      case 2: members.push_back("\"age\":null"); break;
      default: break;
    }
    if (Pick(2)) members.push_back(StrCat("\"score\":", Pick(100000) / 1000.0));
    if (Pick(2)) members.push_back(StrCat("\"vip\":", Pick(2) ? "true" : "false"));
    if (Pick(2)) members.push_back(StrCat("\"tags\":[\"", Of<std::string>({"a", "b", "c"}), "\",", Pick(3), ",null]"));
    if (Pick(2)) members.push_back(StrCat("\"bio\":\"likes ", Of<std::string>({"sci-fi", "books", "garden"}), "\""));
    if (Pick(2)) {
      members.push_back(StrCat("\"address\":{\"city\":\"", Of<std::string>({"Oslo", "Paris"}), "\",\"geo\":{\"x\":{\"y\":",
                               Pick(3), "}}}"));
    }
    std::string json = "{";
    for (size_t i = 0; i < members.size(); ++i) json += (i ? "," : "") + members[i];
    return json + "}";
  }

  std::vector<event::Event> Events(const std::string& user) {
    std::vector<event::Event> events;
    for (int n = Pick(12); n >= 0; --n) {
      event::Event event;
      event.user_id = user;
      event.timestamp_us = kNow - static_cast<int64_t>(Pick(100 * 24)) * 3'600'000'000LL;
      switch (Pick(5)) {
        case 0:
          event.type = event::EventType::kIdentify;
          event.traits_json = TraitsJson();
          break;
        case 1:
          event.type = event::EventType::kPage;
          break;
        case 2:
          event.type = event::EventType::kTrack;
          event.event = "Product Viewed";
          event.properties_json = StrCat("{\"category\":\"", Of<std::string>({"sci-fi", "books", "garden"}), "\"}");
          break;
        default:
          event.type = event::EventType::kTrack;
          event.event = "Order Completed";
          event.properties_json = StrCat("{\"revenue\":", Pick(300), ",\"category\":\"",
                                         Of<std::string>({"sci-fi", "books", "garden"}), "\"}");
      }
      events.push_back(std::move(event));
    }
    return events;
  }

  std::string Leaf() {
    switch (Pick(17)) {
      case 0: return StrCat("traits.country ", Of<std::string>({"=", "!=", "<", ">="}), " \"", Of<std::string>({"CN", "DE", "Z"}), "\"");
      case 1: return StrCat("traits.age ", Of<std::string>({"=", "!=", "<", "<=", ">", ">="}), " ", 18 + Pick(50));
      case 2: return StrCat("traits.age ", Of<std::string>({"=", ">"}), " \"", 18 + Pick(50), "\"");
      case 3: return StrCat("traits.score ", Of<std::string>({"<", ">=", "="}), " ", Pick(100000) / 1000.0);
      case 4: return StrCat("traits.vip = ", Of<std::string>({"true", "false", "null"}));
      case 5: return StrCat("traits.tags contains ", Of<std::string>({"\"a\"", "\"c\"", "1", "null", "true"}));
      case 6: return StrCat("traits.bio contains \"", Of<std::string>({"sci", "books", "x"}), "\"");
      case 7: return StrCat("traits.", Of<std::string>({"country", "age", "address", "address.city", "nope"}), " exists");
      case 8: return Of<std::string>({R"(traits.address.city in ["Oslo", null, 3])", R"(traits.country in ["CN", "DE"])",
                                      R"(traits.vip in [true])", R"(traits.country in ["US"])"});
      case 9: return StrCat("traits.address.geo.x.y ", Of<std::string>({"=", ">="}), " ", Pick(3));  // deeper than indexed
      case 10: return StrCat("computed.", Of<std::string>({"orders_30d", "orders_7d", "revenue_30d", "pages_7d"}), " ",
                             Of<std::string>({">=", "<", "="}), " ", Pick(4) * (Pick(2) ? 1 : 50));
      case 11: return StrCat("computed.favourite_category = \"", Of<std::string>({"sci-fi", "books"}), "\"");
      case 12: return StrCat("interest(\"", Of<std::string>({"sci-fi", "books", "garden", "none"}), "\") ",
                             Of<std::string>({">=", "<", "=", "!="}), " ", Of<std::string>({"0", "0.3", "1", "0.75"}));
      case 13: return StrCat("did(\"", Of<std::string>({"Order Completed", "page", "track", "*", "Nope"}), "\", count ",
                             Of<std::string>({">=", ">", "<", "<=", "=", "!="}), " ", Pick(4), ")");
      case 14: return StrCat("did(\"", Of<std::string>({"Order Completed", "Product Viewed"}), "\", within: ",
                             Of<std::string>({"7d", "30d", "36h"}), ", count ", Of<std::string>({">=", "<", "=", "!=", "<=", ">"}),
                             " ", Pick(3), ")");
      case 15: {  // two comparisons of one number, answered as one range
        const int low = Pick(60), high = low + Pick(40);
        const std::string lower = Of<std::string>({">=", ">"}), upper = Of<std::string>({"<", "<=", "="});
        switch (Pick(4)) {
          case 0: return StrCat("(traits.age ", lower, " ", 18 + low / 2, " and traits.age ", upper, " ", 18 + high / 2, ")");
          case 1: return StrCat("(traits.score ", lower, " ", low, ".5 and traits.score ", upper, " ", high, ".25)");
          case 2: return StrCat("(interest(\"books\") ", lower, " ", low / 100.0, " and interest(\"books\") ", upper, " ",
                                high / 100.0, ")");
          default: return StrCat("(did(\"page\", count ", lower, " ", low / 20, ") and did(\"page\", count ", upper, " ",
                                 high / 20, "))");
        }
      }
      default: return StrCat("did(\"Order Completed\", where: category = \"", Of<std::string>({"books", "sci-fi"}),
                             "\" and revenue > ", Pick(300), ")");
    }
  }

  std::string Expr(int depth) {
    if (depth == 0 || Pick(3) == 0) return Pick(6) == 0 ? StrCat("in_segment(\"", Of<std::string>({"buyers", "nested"}), "\")") : Leaf();
    std::string left = Expr(depth - 1), right = Expr(depth - 1);
    switch (Pick(3)) {
      case 0: return StrCat("(", left, " and ", right, ")");
      case 1: return StrCat("(", left, " or ", right, ")");
      default: return StrCat("not ", left);
    }
  }

 private:
  std::mt19937 rng_;
};

class PersonIndexTest : public ::testing::Test {
 protected:
  void AddPerson(World* world, uint64_t person) {
    auto more = world->Events(StrCat("u", person));
    auto& events = events_[person];
    events.insert(events.end(), more.begin(), more.end());
    profile::Profile profile;
    profile.person = person;
    for (const auto& event : events) profile.Apply(event, model_);
    profiles_[person] = profile;
  }

  void Define(const std::string& name, const std::string& text) {
    auto parsed = ParseExpression(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    segments_[name] = std::move(*parsed);
  }

  ResidualCheck Check(const PersonIndex& index) {
    return [this, &index](uint32_t slot, const Node& node) -> absl::StatusOr<bool> {
      uint64_t person = index.PersonAt(slot);
      PersonFacts facts;
      facts.profile = &profiles_.at(person);
      facts.load_events = [this, person]() -> absl::StatusOr<std::vector<event::Event>> { return events_.at(person); };
      return Matches(node, facts, model_, kNow, &segments_);
    };
  }

  // With `window_bounds`, did(..., within: W) is decided from daily counts where it can.
  void ExpectSameAsReference(World* world, const PersonIndex& index, const std::string& when, int expressions,
                             bool window_bounds = true) {
    for (int q = 0; q < expressions; ++q) {
      std::string text = world->Expr(3);
      auto expression = ParseExpression(text);
      ASSERT_TRUE(expression.ok()) << text << ": " << expression.status();
      std::vector<PlanStep> plan;
      auto got = index.Evaluate(*expression, &segments_, Check(index), &plan, nullptr, window_bounds ? kNow : 0);
      ASSERT_TRUE(got.ok()) << text << ": " << got.status();
      std::vector<uint64_t> want, have;
      for (const auto& [person, profile] : profiles_) {
        PersonFacts facts;
        facts.profile = &profile;
        facts.load_events = [this, person = person]() -> absl::StatusOr<std::vector<event::Event>> {
          return events_.at(person);
        };
        auto matches = Matches(*expression->root, facts, model_, kNow, &segments_);
        ASSERT_TRUE(matches.ok()) << matches.status();
        if (*matches) want.push_back(person);
      }
      for (uint32_t slot : *got) have.push_back(index.PersonAt(slot));
      std::sort(have.begin(), have.end());
      ASSERT_EQ(have, want) << when << ": " << text << "\n" << FormatPlan(plan);
      auto count = index.Count(*expression, &segments_, Check(index), nullptr, window_bounds ? kNow : 0);
      ASSERT_TRUE(count.ok()) << text << ": " << count.status();
      ASSERT_EQ(*count, want.size()) << when << ": " << text << " (count only)";
      if (!want.empty() && want.size() < profiles_.size()) ++informative_;
    }
  }

  profile::ProfileModel model_{profile::ProfileConfig()};
  std::map<uint64_t, profile::Profile> profiles_;
  std::map<uint64_t, std::vector<event::Event>> events_;
  SegmentDefinitions segments_;
  int informative_ = 0;
};

TEST_F(PersonIndexTest, RandomExpressionsEqualTheReference) {
  Define("buyers", R"(did("Order Completed", count >= 2) and traits.country exists)");
  Define("nested", R"(in_segment("buyers") or interest("books") >= 0.5)");
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    World world(seed);
    profiles_.clear();
    events_.clear();
    PersonIndex index(&model_, kNow);
    for (uint64_t person = 1; person <= 250; ++person) {
      AddPerson(&world, person);
      index.Put(profiles_[person]);
    }
    ExpectSameAsReference(&world, index, "streamed in", 150, /*window_bounds=*/false);
    index.Optimize();
    ExpectSameAsReference(&world, index, "optimised", 150);
    // People change and leave; the index follows.
    for (int change = 0; change < 200; ++change) {
      uint64_t person = 1 + static_cast<uint64_t>(world.Pick(300));
      if (world.Pick(5) == 0) {
        profiles_.erase(person);
        events_.erase(person);
        index.Remove(person);
      } else {
        AddPerson(&world, person);
        index.Put(profiles_[person]);
      }
    }
    ExpectSameAsReference(&world, index, "after changes", 150);
  }
  // Most expressions select some but not all people, so equality says something.
  EXPECT_GT(informative_, 900);
}

TEST_F(PersonIndexTest, ExplainNamesHowEachStepWasAnswered) {
  World world(7);
  PersonIndex index(&model_, kNow);
  for (uint64_t person = 1; person <= 50; ++person) {
    AddPerson(&world, person);
    index.Put(profiles_[person]);
  }
  auto expression = ParseExpression(
      R"(traits.country = "CN" and interest("books") >= 0.3 and did("Order Completed", within: 30d, count >= 2))");
  ASSERT_TRUE(expression.ok());
  std::vector<PlanStep> plan;
  ASSERT_TRUE(index.Evaluate(*expression, &segments_, Check(index), &plan).ok());
  ASSERT_EQ(plan.size(), 4u);
  // With the evaluation time, daily counts decide the window for everyone here (their
  // events are not on the window's first day, nor after now).
  std::vector<PlanStep> by_days;
  ASSERT_TRUE(index.Evaluate(*expression, &segments_, Check(index), &by_days, nullptr, kNow).ok());
  ASSERT_EQ(by_days.size(), 4u);
  EXPECT_NE(by_days[3].how.find("daily counts of"), std::string::npos) << by_days[3].how;
  EXPECT_LE(by_days[3].residual_checks, plan[3].residual_checks);
  EXPECT_EQ(by_days[3].result, plan[3].result);
  EXPECT_EQ(plan[0].node, "and");
  EXPECT_EQ(plan[1].how, "value bitmaps");
  EXPECT_EQ(plan[2].how, "numeric buckets");
  EXPECT_NE(plan[3].how.find("event counter bounds"), std::string::npos) << plan[3].how;
  // The windowed did(...) reads only the people left after the bitmap steps.
  EXPECT_LE(plan[3].residual_checks, plan[2].result);
  EXPECT_EQ(plan[1].candidates, 50u);
}

TEST_F(PersonIndexTest, UnknownNamesAreErrors) {
  PersonIndex index(&model_, kNow);
  auto expression = ParseExpression("computed.nope > 1");
  ASSERT_TRUE(expression.ok());
  auto result = index.Evaluate(*expression, &segments_, Check(index));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("line 1, column 1"), std::string::npos) << result.status();
}

}  // namespace
}  // namespace aidmp::audience
