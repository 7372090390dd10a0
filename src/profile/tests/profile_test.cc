#include "profile/profile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "event/event_codec.h"
#include "profile/person_processor.h"
#include "storage/keys.h"
#include "testing/temp_dir.h"

namespace aidmp::profile {
namespace {

std::shared_ptr<const ProfileModel> Model() { return std::make_shared<const ProfileModel>(ProfileConfig()); }

const ProfileModel& DefaultModel() {
  static const ProfileModel model{ProfileConfig()};
  return model;
}

event::Event Identify(std::string user, std::string traits, int64_t ts, uint64_t seq) {
  event::Event event;
  event.type = event::EventType::kIdentify;
  event.user_id = std::move(user);
  event.traits_json = std::move(traits);
  event.timestamp_us = ts;
  event.seq = seq;
  event.source = "http:web";
  return event;
}

TEST(ProfileTest, LastValueByEventTimeWinsNotArrivalOrder) {
  Profile profile;
  profile.Apply(Identify("u", R"({"plan":"pro","city":"Oslo"})", 200, 1), DefaultModel());
  profile.Apply(Identify("u", R"({"plan":"free"})", 100, 2), DefaultModel());  // late, older event
  profile.Apply(Identify("u", R"({"city":"Bergen"})", 300, 3), DefaultModel());
  EXPECT_EQ(profile.traits["plan"].json, "\"pro\"");
  EXPECT_EQ(profile.traits["city"].json, "\"Bergen\"");
  EXPECT_EQ(profile.traits["city"].ts_us, 300);
  EXPECT_EQ(profile.traits["city"].source, "http:web");
  EXPECT_EQ(profile.first_seen_us, 100);
  EXPECT_EQ(profile.last_seen_us, 300);
  EXPECT_EQ(profile.event_counts["identify"], 3u);
}

TEST(ProfileTest, MergeIsOrderIndependentAndRoundTrips) {
  Profile a, b;
  a.Apply(Identify("u", R"({"plan":"pro"})", 200, 1), DefaultModel());
  event::Event track;
  track.type = event::EventType::kTrack;
  track.event = "Order Completed";
  track.timestamp_us = 50;
  track.seq = 2;
  track.context_json = R"({"traits":{"plan":"trial"}})";
  b.Apply(track, DefaultModel());
  Profile ab = a, ba = b;
  ab.Merge(b, DefaultModel());
  ba.Merge(a, DefaultModel());
  ab.person = ba.person = 0;
  EXPECT_EQ(ab.Encode(), ba.Encode());
  EXPECT_EQ(ab.traits["plan"].json, "\"pro\"");
  EXPECT_EQ(ab.event_counts["track:Order Completed"], 1u);
  Profile back;
  ASSERT_TRUE(Profile::Decode(ab.Encode(), &back).ok());
  EXPECT_EQ(back.Encode(), ab.Encode());
}

// Recent daily counts (for did(..., within: W)) do not depend on the order events arrive
// in, keep kRecentDays before the latest event, and survive encoding.
TEST(ProfileTest, RecentDailyCountsAreOrderIndependent) {
  constexpr int64_t kDay = 86'400'000'000LL;
  std::vector<event::Event> events;
  for (int i = 0; i < 60; ++i) {
    event::Event event;
    event.type = i % 3 == 0 ? event::EventType::kPage : event::EventType::kTrack;
    event.event = i % 3 == 0 ? "" : "Product Viewed";
    event.timestamp_us = 20000 * kDay + static_cast<int64_t>((i * 37) % 150) * kDay + i;
    event.seq = static_cast<uint64_t>(i + 1);
    events.push_back(event);
  }
  std::mt19937 rng(3);
  std::string first;
  for (int round = 0; round < 5; ++round) {
    std::shuffle(events.begin(), events.end(), rng);
    Profile profile;
    for (const auto& event : events) profile.Apply(event, DefaultModel());
    EXPECT_TRUE(profile.recent_complete);
    const int64_t floor = DayOf(profile.last_seen_us) - kRecentDays;
    uint64_t kept = 0;
    for (const auto& [key, counts] : profile.recent) {
      EXPECT_GE(counts.days.begin()->first, floor);
      for (const auto& [day, count] : counts.days) kept += count;
    }
    uint64_t recent_events = 0;
    for (const auto& event : events) recent_events += DayOf(event.timestamp_us) >= floor;
    EXPECT_EQ(kept, recent_events);
    if (round == 0) first = profile.Encode();
    EXPECT_EQ(profile.Encode(), first);
  }
  Profile back;
  ASSERT_TRUE(Profile::Decode(first, &back).ok());
  EXPECT_EQ(back.Encode(), first);
  // A profile stored before recent counts were kept does not claim them.
  Profile old;
  ASSERT_TRUE(Profile::Decode(R"({"person":1,"events":0,"traits":{}})", &old).ok());
  EXPECT_FALSE(old.recent_complete);
}

// Profiles built while events stream in, in batches of any size with restarts between,
// equal profiles rebuilt from the whole log in one pass.
TEST(PersonProcessorTest, StreamingEqualsRebuild) {
  std::mt19937 rng(17);
  std::vector<event::Event> events;
  for (int event_idx = 0; event_idx < 1500; ++event_idx) {
    event::Event event;
    event.type = rng() % 3 == 0 ? event::EventType::kIdentify : event::EventType::kTrack;
    if (rng() % 2) event.user_id = "u" + std::to_string(rng() % 40);
    if (event.user_id.empty() || rng() % 2) event.anonymous_id = "a" + std::to_string(rng() % 120);
    event.event = "E" + std::to_string(rng() % 4);
    event.timestamp_us = static_cast<int64_t>(rng() % 100000);  // out of order on purpose
    // Categories, money and devices, so interests, computed traits and sessions are covered.
    event.event = rng() % 2 ? "Order Completed" : "Product Viewed";
    event.properties_json = "{\"category\":\"c" + std::to_string(rng() % 6) + "\",\"revenue\":" +
                            std::to_string(rng() % 50) + ",\"product_id\":\"p" + std::to_string(rng() % 20) + "\"}";
    if (rng() % 2) event.context_json = "{\"device\":{\"id\":\"d" + std::to_string(rng() % 30) + "\"}}";
    event.timestamp_us *= 60'000'000;  // minutes: sessions form and split
    if (event.type == event::EventType::kIdentify) {
      event.traits_json = "{\"plan\":\"p" + std::to_string(rng() % 5) + "\",\"n\":" + std::to_string(rng() % 9) + "}";
    }
    events.push_back(event);
  }
  auto run = [&](const std::string& path, bool streaming) {
    auto store = storage::Store::Open(path, storage::StoreOptions());
    EXPECT_TRUE(store.ok());
    log::EventLog log(store->get());
    size_t next = 0;
    while (next < events.size()) {
      size_t chunk = streaming ? 1 + rng() % 97 : events.size();
      storage::WriteBatch batch(store->get());
      uint64_t last = 0;
      for (size_t event_idx = next; event_idx < std::min(events.size(), next + chunk); ++event_idx) {
        event::Event event = events[event_idx];
        event.seq = last = log.NextSeq();
        log.Stage(last, event::EncodeStoredEvent(event), &batch);
      }
      next += chunk;
      EXPECT_TRUE((*store)->Write(&batch, false).ok());
      log.Publish(last);
      if (streaming) {
        // A fresh processor each time: restarts must not change the outcome.
        log::ProcessorRunner runner(store->get(), &log,
                                    std::make_unique<PersonProcessor>(store->get(), identity::IdentityRules(), Model()));
        EXPECT_TRUE(runner.CatchUp().ok());
      }
    }
    log::ProcessorRunner runner(store->get(), &log,
                                std::make_unique<PersonProcessor>(store->get(), identity::IdentityRules(), Model()));
    EXPECT_TRUE(runner.CatchUp().ok());
    std::map<std::string, std::string> profiles;  // identifier -> profile
    for (const auto& event : events) {
      for (const auto& [type, value] : {std::pair{identity::IdType::kUserId, event.user_id},
                                        std::pair{identity::IdType::kAnonymousId, event.anonymous_id}}) {
        if (value.empty()) continue;
        auto person = identity::IdentityGraph::Lookup(store->get(), {type, value});
        EXPECT_TRUE(person.ok());
        auto profile = ReadProfile(store->get(), *person);
        EXPECT_TRUE(profile.ok());
        profiles[std::to_string(static_cast<int>(type)) + value] = profile->Encode();
      }
    }
    return profiles;
  };
  aidmp::testing::TempDir dir;
  auto streamed = run(dir.Sub("streamed"), true);
  auto rebuilt = run(dir.Sub("rebuilt"), false);
  ASSERT_EQ(streamed.size(), rebuilt.size());
  EXPECT_EQ(streamed, rebuilt);
  uint64_t total_events = 0;
  std::set<std::string> seen_profiles;
  for (const auto& [id, profile] : rebuilt) {
    if (!seen_profiles.insert(profile).second) continue;
    Profile decoded;
    ASSERT_TRUE(Profile::Decode(profile, &decoded).ok());
    total_events += decoded.events;
  }
  EXPECT_EQ(total_events, events.size());  // every event in exactly one profile
}

}  // namespace
}  // namespace aidmp::profile
