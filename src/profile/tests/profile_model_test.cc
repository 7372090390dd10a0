// Computed traits, interest tags, sessions and RFM: their state (profile.h) and what it
// shows (profile_view.h), each against a simple oracle.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "common/clock.h"
#include "profile/profile.h"
#include "profile/profile_view.h"

namespace aidmp::profile {
namespace {

constexpr int64_t kDay = kMicrosPerDay;
constexpr int64_t kT0 = 20000 * kDay;  // 2024-10-04, a whole day

event::Event Track(std::string name, int64_t ts, std::string properties, std::string context = "",
                   uint64_t seq = 1) {
  event::Event event;
  event.type = event::EventType::kTrack;
  event.event = std::move(name);
  event.anonymous_id = "anon-1";
  event.timestamp_us = ts;
  event.properties_json = std::move(properties);
  event.context_json = std::move(context);
  event.seq = seq;
  return event;
}

std::string StrCatForTest(const char* item, const char* category) {
  return std::string(R"({"product_id":")") + item + R"(","category":")" + category + "\"}";
}

double Score(const std::vector<InterestTag>& tags, const std::string& tag) {
  for (const auto& entry : tags) {
    if (entry.tag == tag) return entry.score;
  }
  return -1;
}

TEST(ComputedTraitsTest, WindowsCountCalendarDaysEndingAtEvaluation) {
  ProfileModel model{ProfileConfig()};
  Profile profile;
  // Orders 1, 5, 20, 60 and 200 days before kT0.
  for (int days_ago : {1, 5, 20, 60, 200}) {
    profile.Apply(Track("Order Completed", kT0 - days_ago * kDay + kMicrosPerHour,
                        R"({"revenue": 10.5, "products": [{"category": "books"}]})"),
                  model);
  }
  auto value = [&](const std::string& name, int64_t now) {
    for (const auto& spec : model.config().computed_traits) {
      if (spec.name == name) return ComputedTraitJson(profile, spec, now);
    }
    return std::string("missing");
  };
  EXPECT_EQ(value("orders_7d", kT0), "2");
  EXPECT_EQ(value("orders_30d", kT0), "3");
  EXPECT_EQ(value("orders_90d", kT0), "4");
  EXPECT_EQ(value("orders_total", kT0), "5");
  EXPECT_EQ(value("revenue_30d", kT0), "31.5");
  EXPECT_EQ(value("revenue_total", kT0), "52.5");
  // Ten days later the 1- and 5-day-old orders have left the 7-day window.
  EXPECT_EQ(value("orders_7d", kT0 + 10 * kDay), "0");
  EXPECT_EQ(value("last_order_at", kT0), "\"2024-10-03T01:00:00.000000Z\"");
  EXPECT_EQ(value("products_viewed", kT0), "0");
  EXPECT_EQ(value("favourite_category", kT0), "null");
  // Day buckets older than the longest window before the last event are gone.
  EXPECT_LE(profile.series.at(ProfileModel::SeriesKey("Order Completed", "")).days.size(), 4u);
}

TEST(ComputedTraitsTest, DistinctAndMostFrequentReadPropertyPaths) {
  ProfileModel model{ProfileConfig()};
  Profile profile;
  for (auto [item, category] : {std::pair{"p1", "books"}, {"p2", "games"}, {"p1", "books"}, {"p3", "books"}}) {
    profile.Apply(Track("Product Viewed", kT0, StrCatForTest(item, category)), model);
  }
  std::map<std::string, std::string> values;
  for (const auto& spec : model.config().computed_traits) values[spec.name] = ComputedTraitJson(profile, spec, kT0);
  EXPECT_EQ(values["products_viewed"], "3");
  EXPECT_EQ(values["favourite_category"], "\"books\"");
  EXPECT_EQ(values["product_views_30d"], "4");
}

TEST(InterestsTest, DecayHalvesPerHalfLifeAndNormalisesToStrongest) {
  ProfileConfig config;
  config.interests.half_life_days = 10;
  ProfileModel model{config};
  Profile profile;
  // Same weight, but "games" is one half-life older: it scores 0.5.
  profile.Apply(Track("Product Viewed", kT0 - 10 * kDay, R"({"category": "games"})"), model);
  profile.Apply(Track("Product Viewed", kT0, R"({"category": "books"})"), model);
  auto tags = InterestsAt(profile, model.config(), kT0);
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0].tag, "books");
  EXPECT_DOUBLE_EQ(tags[0].score, 1.0);
  EXPECT_NEAR(Score(tags, "games"), 0.5, 1e-12);
  EXPECT_NEAR(tags[0].weight, 1.0, 1e-12);
  // Twenty days on, weights have quartered, scores have not changed.
  auto later = InterestsAt(profile, model.config(), kT0 + 20 * kDay);
  EXPECT_NEAR(later[0].weight, 0.25, 1e-12);
  EXPECT_NEAR(Score(later, "games"), 0.5, 1e-12);
}

TEST(InterestsTest, WeightsByEventRatingsArraysAndBots) {
  ProfileModel model{ProfileConfig()};
  Profile profile;
  // A 5-star rating of a movie with two genres: 0.2 * 5 = 1 to each.
  profile.Apply(Track("Movie Rated", kT0, R"({"rating": 5, "genres": ["Sci-Fi", "Drama"], "category": "Sci-Fi"})"),
                model);
  // An order (weight 5) over two products.
  profile.Apply(Track("Order Completed", kT0, R"({"products": [{"category": "books"}, {"category": "toys"}]})"),
                model);
  event::Event bot = Track("Order Completed", kT0, R"({"category": "bot-stuff"})");
  bot.flags = event::kFlagBot;
  profile.Apply(bot, model);
  EXPECT_DOUBLE_EQ(profile.interests.at("Drama"), 1.0);
  EXPECT_DOUBLE_EQ(profile.interests.at("Sci-Fi"), 2.0);  // genres and category both name it
  EXPECT_DOUBLE_EQ(profile.interests.at("books"), 5.0);
  EXPECT_EQ(profile.interests.count("bot-stuff"), 0u);
  auto tags = InterestsAt(profile, model.config(), kT0);
  EXPECT_DOUBLE_EQ(Score(tags, "Drama"), 0.2);
}

// Sessions from events in any order equal the oracle: sort the times, cut where two
// neighbours are more than the gap apart.
TEST(SessionsTest, AnyArrivalOrderGivesTheSortedClustering) {
  ProfileConfig config;
  config.session_retention_us = 10000 * kDay;
  ProfileModel model{config};
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<int64_t> times;
    int64_t t = kT0;
    for (int idx = 0; idx < 60; ++idx) {
      t += (rng() % 4 == 0) ? (31 + rng() % 120) * kMicrosPerMinute : (rng() % 30) * kMicrosPerMinute;
      times.push_back(t);
    }
    std::vector<Session> expected;
    for (int64_t time : times) {
      if (!expected.empty() && time - expected.back().end_us <= config.session_gap_us) {
        expected.back().end_us = time;
        ++expected.back().events;
      } else {
        expected.push_back({time, time, 1});
      }
    }
    std::shuffle(times.begin(), times.end(), rng);
    Profile profile;
    for (int64_t time : times) profile.Apply(Track("Product Viewed", time, "{}"), model);
    ASSERT_EQ(profile.sessions.size(), 1u);
    const auto& got = profile.sessions.begin()->second;
    ASSERT_EQ(got.size(), expected.size()) << "round " << round;
    for (size_t idx = 0; idx < got.size(); ++idx) {
      EXPECT_EQ(got[idx].start_us, expected[idx].start_us);
      EXPECT_EQ(got[idx].end_us, expected[idx].end_us);
      EXPECT_EQ(got[idx].events, expected[idx].events);
    }
  }
}

TEST(SessionsTest, PerDeviceAndLateEventBridgesTwoSessions) {
  ProfileModel model{ProfileConfig()};
  Profile profile;
  std::string phone = R"({"device":{"id":"phone-1"}})";
  profile.Apply(Track("Product Viewed", kT0, "{}", phone), model);
  profile.Apply(Track("Product Viewed", kT0 + 50 * kMicrosPerMinute, "{}", phone), model);
  profile.Apply(Track("Product Viewed", kT0 + 10 * kMicrosPerMinute, "{}"), model);  // the laptop (anonymousId)
  ASSERT_EQ(profile.sessions.at("device:phone-1").size(), 2u);
  // A late phone event 25 minutes in joins both phone sessions into one.
  profile.Apply(Track("Product Viewed", kT0 + 25 * kMicrosPerMinute, "{}", phone), model);
  ASSERT_EQ(profile.sessions.at("device:phone-1").size(), 1u);
  EXPECT_EQ(profile.sessions.at("device:phone-1")[0].events, 3u);
  EXPECT_EQ(profile.sessions.at("anon:anon-1").size(), 1u);
}

TEST(ProfileStateTest, MergeOfPartsEqualsTheWhole) {
  ProfileModel model{ProfileConfig()};
  std::mt19937_64 rng(3);
  const char* categories[] = {"books", "games", "toys", "garden"};
  const char* names[] = {"Product Viewed", "Order Completed", "Product Added"};
  std::vector<event::Event> events;
  for (int idx = 0; idx < 400; ++idx) {
    std::string properties = std::string(R"({"category":")") + categories[rng() % 4] + R"(","product_id":"p)" +
                             std::to_string(rng() % 30) + R"(","revenue":)" + std::to_string(rng() % 100) + "}";
    std::string context = rng() % 2 ? R"({"device":{"id":"d)" + std::to_string(rng() % 3) + "\"}}" : "";
    events.push_back(Track(names[rng() % 3], kT0 - static_cast<int64_t>(rng() % (120 * kDay)), properties, context,
                           static_cast<uint64_t>(idx + 1)));
  }
  Profile whole, left, right;
  for (const auto& event : events) whole.Apply(event, model);
  for (const auto& event : events) (rng() % 2 ? left : right).Apply(event, model);
  left.Merge(right, model);
  EXPECT_EQ(left.events, whole.events);
  EXPECT_EQ(left.sessions.size(), whole.sessions.size());
  for (const auto& [device, list] : whole.sessions) {
    ASSERT_EQ(left.sessions[device].size(), list.size()) << device;
    for (size_t idx = 0; idx < list.size(); ++idx) EXPECT_EQ(left.sessions[device][idx].events, list[idx].events);
  }
  EXPECT_EQ(left.retired_sessions, whole.retired_sessions);
  for (const auto& [tag, weight] : whole.interests) EXPECT_NEAR(left.interests[tag], weight, 1e-9 * weight) << tag;
  for (const auto& spec : model.config().computed_traits) {
    EXPECT_EQ(ComputedTraitJson(left, spec, kT0), ComputedTraitJson(whole, spec, kT0)) << spec.name;
  }
  Profile decoded;
  ASSERT_TRUE(Profile::Decode(whole.Encode(), &decoded).ok());
  EXPECT_EQ(decoded.Encode(), whole.Encode());
}

TEST(ConsentTest, LatestDecisionPerPurposeByEventTime) {
  ProfileModel model{ProfileConfig()};
  Profile profile;
  profile.Apply(Track("Consent Updated", kT0 + 10, "{}",
                      R"({"consent":{"categoryPreferences":{"Advertising":false,"Analytics":true}}})", 2),
                model);
  // An older decision arriving later does not win.
  profile.Apply(Track("Consent Updated", kT0, "{}", R"({"consent":{"categoryPreferences":{"Advertising":true}}})", 3),
                model);
  event::Event identify;
  identify.type = event::EventType::kIdentify;
  identify.user_id = "u";
  identify.timestamp_us = kT0 + 20;
  identify.traits_json = R"({"consent":{"personalization":true,"analytics":false}})";
  profile.Apply(identify, model);
  EXPECT_FALSE(profile.consent.at("advertising").granted);
  EXPECT_FALSE(profile.consent.at("analytics").granted);
  EXPECT_TRUE(profile.consent.at("personalization").granted);
  Profile decoded;
  ASSERT_TRUE(Profile::Decode(profile.Encode(), &decoded).ok());
  EXPECT_EQ(decoded.Encode(), profile.Encode());
  Profile other;
  other.Apply(Track("Consent Updated", kT0 + 30, "{}", R"({"consent":{"categoryPreferences":{"advertising":true}}})", 9),
              model);
  profile.Merge(other, model);
  EXPECT_TRUE(profile.consent.at("advertising").granted);
}

TEST(RfmTest, QuintilesScoreOneToFive) {
  std::vector<RfmRaw> buyers;
  for (int idx = 1; idx <= 10; ++idx) buyers.push_back({static_cast<double>(idx), static_cast<uint64_t>(idx), idx * 10.0});
  RfmModel model = RfmModel::Fit(buyers, 0);
  EXPECT_EQ(model.buyers, 10u);
  EXPECT_EQ(model.RecencyScore(1), 5);    // most recent
  EXPECT_EQ(model.RecencyScore(10), 1);
  EXPECT_EQ(model.FrequencyScore(1), 1);
  EXPECT_EQ(model.FrequencyScore(2), 1);
  EXPECT_EQ(model.FrequencyScore(3), 2);
  EXPECT_EQ(model.FrequencyScore(10), 5);
  EXPECT_EQ(model.MonetaryScore(95), 5);
  EXPECT_EQ(model.MonetaryScore(0), 1);
}

TEST(ProfileConfigTest, ParsesAndNamesErrors) {
  auto config = ParseProfileConfig(R"({
    "computed_traits": [{"name": "big_orders_14d", "kind": "sum", "event": "Order Completed",
                         "property": "total", "window": "14d"}],
    "interests": {"half_life_days": 7, "category_properties": ["genre"], "top": 3,
                  "weights": {"Watched": 2, "Rated": {"weight": 0.5, "multiply_by": "stars"}}},
    "sessions": {"gap": "20m"}})");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->computed_traits.size(), 1u);
  EXPECT_EQ(config->computed_traits[0].window_days, 14);
  EXPECT_EQ(config->interests.weights.at("Rated").multiply_by, "stars");
  EXPECT_EQ(config->session_gap_us, 20 * kMicrosPerMinute);
  for (auto [json, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"colour": 1})", "unknown member 'colour'"},
           {R"({"computed_traits": [{"name": "x", "kind": "median"}]})", "kind 'median'"},
           {R"({"computed_traits": [{"name": "x", "kind": "distinct"}]})", "needs a 'property'"},
           {R"({"computed_traits": [{"name": "x", "window": "12h"}]})", "whole days"},
           {R"({"computed_traits": [{"name": "x", "kind": "last_seen", "window": "7d"}]})", "count and sum only"},
           {R"({"computed_traits": [{"name": "x"}, {"name": "x"}]})", "used twice"},
           {R"({"interests": {"half_life_days": 0}})", "must be positive"},
           {R"({"sessions": {"gap": "soon"}})", "sessions.gap"},
           {R"([1,2)", "not a JSON object"}}) {
    auto bad = ParseProfileConfig(json);
    ASSERT_FALSE(bad.ok()) << json;
    EXPECT_NE(std::string(bad.status().message()).find(message), std::string::npos) << bad.status();
  }
}

}  // namespace
}  // namespace aidmp::profile
