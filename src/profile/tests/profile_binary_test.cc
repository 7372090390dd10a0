// The binary profile encoding (profile_binary.cc): round trips, the JSON form stored
// before still reads the same, and truncated or corrupt records give DataLoss, never a
// crash or a silently wrong profile.
#include <gtest/gtest.h>

#include <random>

#include "event/event_codec.h"
#include "log/event_log.h"
#include "log/processor_runner.h"
#include "profile/internal/profile_json.h"
#include "profile/person_processor.h"
#include "profile/profile.h"
#include "storage/keys.h"
#include "testing/temp_dir.h"

namespace aidmp::profile {
namespace {

const ProfileModel& DefaultModel() {
  static const ProfileModel model{ProfileConfig()};
  return model;
}

// Events that touch every part of a profile: traits, consent, series with values and
// money, interests, sessions on several devices (some retired), recent day counts.
std::vector<event::Event> RandomEvents(std::mt19937_64* rng, int count) {
  std::vector<event::Event> events;
  for (int event_idx = 0; event_idx < count; ++event_idx) {
    event::Event event;
    int kind = static_cast<int>((*rng)() % 4);
    event.type = kind == 0 ? event::EventType::kIdentify : kind == 1 ? event::EventType::kPage : event::EventType::kTrack;
    event.user_id = "u" + std::to_string((*rng)() % 30);
    event.anonymous_id = "a" + std::to_string((*rng)() % 90);
    event.event = (*rng)() % 2 ? "Order Completed" : "Product Viewed";
    event.timestamp_us = static_cast<int64_t>((*rng)() % 400'000) * 60'000'000 + 1'700'000'000'000'000;
    event.seq = static_cast<uint64_t>(event_idx + 1);
    event.source = (*rng)() % 2 ? "http:web" : "http:ios";
    event.properties_json = "{\"category\":\"c" + std::to_string((*rng)() % 6) + "\",\"revenue\":" +
                            std::to_string((*rng)() % 50) + ".25,\"product_id\":\"p\\u00e9" +
                            std::to_string((*rng)() % 40) + "\"}";
    event.context_json = "{\"device\":{\"id\":\"d" + std::to_string((*rng)() % 4) +
                         "\"},\"consent\":{\"categoryPreferences\":{\"Advertising\":" +
                         ((*rng)() % 2 ? "true" : "false") + "}}}";
    if (event.type == event::EventType::kIdentify) {
      event.traits_json = "{\"plan\":\"p" + std::to_string((*rng)() % 5) + "\",\"n\":" + std::to_string((*rng)() % 9) +
                          ",\"tags\":[1,\"x\\\"y\"],\"nested\":{\"a\":null}}";
    }
    events.push_back(event);
  }
  return events;
}

std::vector<Profile> RandomProfiles(uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  std::vector<Profile> profiles;
  for (int profile_idx = 0; profile_idx < count; ++profile_idx) {
    Profile profile;
    profile.person = rng() % 100000;
    for (const auto& event : RandomEvents(&rng, static_cast<int>(rng() % 200))) profile.Apply(event, DefaultModel());
    profiles.push_back(std::move(profile));
  }
  return profiles;
}

TEST(ProfileBinaryTest, RoundTripsEveryField) {
  for (const Profile& profile : RandomProfiles(1, 40)) {
    std::string encoded = profile.Encode();
    ASSERT_EQ(encoded[0], '\x02');  // binary, not JSON
    Profile back;
    ASSERT_TRUE(Profile::Decode(encoded, &back).ok());
    EXPECT_EQ(back.Encode(), encoded);
    EXPECT_EQ(back.person, profile.person);
    EXPECT_EQ(back.events, profile.events);
    EXPECT_EQ(back.first_seen_us, profile.first_seen_us);
    EXPECT_EQ(back.last_seen_us, profile.last_seen_us);
    ASSERT_EQ(back.traits.size(), profile.traits.size());
    for (const auto& [key, value] : profile.traits) {
      EXPECT_EQ(back.traits[key].json, value.json);
      EXPECT_EQ(back.traits[key].ts_us, value.ts_us);
      EXPECT_EQ(back.traits[key].seq, value.seq);
      EXPECT_EQ(back.traits[key].source, value.source);
    }
    EXPECT_EQ(back.event_counts, profile.event_counts);
    EXPECT_EQ(back.interests, profile.interests);
    EXPECT_EQ(back.interest_anchor_us, profile.interest_anchor_us);
    EXPECT_EQ(back.consent.size(), profile.consent.size());
    ASSERT_EQ(back.series.size(), profile.series.size());
    for (const auto& [key, state] : profile.series) {
      EXPECT_EQ(back.series[key].values, state.values);
      EXPECT_EQ(back.series[key].sum, state.sum);
      EXPECT_EQ(back.series[key].days.size(), state.days.size());
    }
    EXPECT_EQ(back.sessions.size(), profile.sessions.size());
    EXPECT_EQ(back.retired_sessions, profile.retired_sessions);
    EXPECT_EQ(back.recent.size(), profile.recent.size());
  }
  Profile empty;
  Profile back;
  ASSERT_TRUE(Profile::Decode(empty.Encode(), &back).ok());
  EXPECT_EQ(back.Encode(), empty.Encode());
  EXPECT_EQ(back.first_seen_us, std::numeric_limits<int64_t>::max());
}

// Profiles stored as JSON by earlier versions decode to the same profile.
TEST(ProfileBinaryTest, OldJsonRecordsReadTheSame) {
  for (const Profile& profile : RandomProfiles(2, 40)) {
    if (profile.events == 0) continue;  // JSON leaves out the times of an empty profile
    Profile from_json;
    ASSERT_TRUE(Profile::Decode(internal::EncodeProfileJson(profile), &from_json).ok());
    EXPECT_EQ(from_json.Encode(), profile.Encode());
  }
  // A record as the JSON encoder wrote it.
  Profile old;
  ASSERT_TRUE(Profile::Decode(R"({"person":7,"events":3,"first_seen_us":100,"last_seen_us":300,)"
                              R"("traits":{"plan":{"value":"pro","ts_us":200,"seq":2,"source":"http:web"}},)"
                              R"("event_counts":{"identify":3},"recent_complete":true,"recent":{},"consent":{},)"
                              R"("series":{"x|y":{"count":2,"sum":1.5,"first_us":100,"last_us":300,)"
                              R"("days":[[19000,2,1.5]],"values":{"a":1,"b":1}}},)"
                              R"("interest_anchor_us":300,"interests":{"shoes":2.5},)"
                              R"("sessions":{"d1":[[100,300,3]]},"retired_sessions":[1,60,4]})",
                              &old)
                  .ok());
  EXPECT_EQ(old.person, 7u);
  EXPECT_EQ(old.traits["plan"].json, "\"pro\"");
  EXPECT_EQ(old.series["x|y"].values.size(), 2u);
  EXPECT_EQ(old.series["x|y"].days[19000].sum, 1.5);
  EXPECT_EQ(old.interests["shoes"], 2.5);
  EXPECT_EQ(old.sessions["d1"].size(), 1u);
  EXPECT_EQ(old.retired_session_us, 60);
  Profile again;
  ASSERT_TRUE(Profile::Decode(old.Encode(), &again).ok());
  EXPECT_EQ(again.Encode(), old.Encode());
}

TEST(ProfileBinaryTest, EveryTruncationIsDataLoss) {
  std::vector<Profile> profiles = RandomProfiles(3, 5);
  for (const Profile& profile : profiles) {
    std::string encoded = profile.Encode();
    for (size_t length = 0; length < encoded.size(); ++length) {
      Profile back;
      absl::Status status = Profile::Decode(std::string_view(encoded).substr(0, length), &back);
      ASSERT_TRUE(absl::IsDataLoss(status)) << length << " of " << encoded.size() << ": " << status;
    }
    Profile back;
    EXPECT_TRUE(absl::IsDataLoss(Profile::Decode(encoded + "x", &back)));  // trailing bytes
  }
}

// Flipped bytes give DataLoss or a profile that encodes and decodes again; never a
// crash or an oversized allocation.
TEST(ProfileBinaryTest, CorruptRecordsFailCleanly) {
  std::mt19937_64 rng(4);
  std::vector<Profile> profiles = RandomProfiles(5, 5);
  int failed = 0;
  for (int trial_idx = 0; trial_idx < 3000; ++trial_idx) {
    std::string encoded = profiles[trial_idx % profiles.size()].Encode();
    for (int flip_idx = 0; flip_idx < 1 + static_cast<int>(rng() % 3); ++flip_idx) {
      encoded[1 + rng() % (encoded.size() - 1)] = static_cast<char>(rng());
    }
    Profile back;
    absl::Status status = Profile::Decode(encoded, &back);
    if (!status.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(status)) << status;
      ++failed;
      continue;
    }
    Profile again;
    EXPECT_TRUE(Profile::Decode(back.Encode(), &again).ok());
  }
  EXPECT_GT(failed, 0);
  Profile back;
  EXPECT_TRUE(absl::IsDataLoss(Profile::Decode("", &back)));
  EXPECT_TRUE(absl::IsDataLoss(Profile::Decode("\x07garbage", &back)));
  // A count far beyond the record's size must not be trusted.
  EXPECT_TRUE(absl::IsDataLoss(Profile::Decode(std::string("\x02\x01\x01\x02\x02\xff\xff\xff\xff\x0f", 10), &back)));
}

// A data directory whose profiles are JSON (written by an older version) keeps working:
// events processed on top of it give the same profiles as a directory that was binary
// all along, and the profiles they touch are rewritten in binary.
TEST(ProfileBinaryTest, JsonDataDirectoryMigratesAsEventsArrive) {
  std::mt19937_64 rng(6);
  std::vector<event::Event> events = RandomEvents(&rng, 1200);
  auto run = [&](const std::string& path, bool json_between) {
    auto store = storage::Store::Open(path, storage::StoreOptions());
    EXPECT_TRUE(store.ok());
    log::EventLog log(store->get());
    auto process = [&](size_t begin, size_t end) {
      storage::WriteBatch batch(store->get());
      uint64_t last = 0;
      for (size_t event_idx = begin; event_idx < end; ++event_idx) {
        event::Event event = events[event_idx];
        event.seq = last = log.NextSeq();
        log.Stage(last, event::EncodeStoredEvent(event), &batch);
      }
      EXPECT_TRUE((*store)->Write(&batch, false).ok());
      log.Publish(last);
      log::ProcessorRunner runner(store->get(), &log,
                                  std::make_unique<PersonProcessor>(store->get(), identity::IdentityRules(),
                                                                    std::make_shared<const ProfileModel>(ProfileConfig())));
      EXPECT_TRUE(runner.CatchUp().ok());
    };
    process(0, 800);
    if (json_between) {
      storage::WriteBatch batch(store->get());
      auto it = (*store)->NewIterator(storage::Family::kIdentity);
      int rewritten = 0;
      for (it->Seek(std::string(1, storage::kIdentityProfile));
           it->Valid() && it->key()[0] == storage::kIdentityProfile; it->Next()) {
        Profile profile;
        EXPECT_TRUE(Profile::Decode(it->value(), &profile).ok());
        batch.Put(storage::Family::kIdentity, it->key(), internal::EncodeProfileJson(profile));
        ++rewritten;
      }
      EXPECT_GT(rewritten, 10);
      EXPECT_TRUE((*store)->Write(&batch, false).ok());
    }
    process(800, events.size());
    std::map<std::string, std::string> profiles;  // profile key -> binary encoding
    int json_left = 0;
    auto it = (*store)->NewIterator(storage::Family::kIdentity);
    for (it->Seek(std::string(1, storage::kIdentityProfile)); it->Valid() && it->key()[0] == storage::kIdentityProfile;
         it->Next()) {
      json_left += it->value()[0] == '{';
      Profile profile;
      EXPECT_TRUE(Profile::Decode(it->value(), &profile).ok());
      profiles[std::string(it->key())] = profile.Encode();
    }
    return std::pair{profiles, json_left};
  };
  aidmp::testing::TempDir dir;
  auto [binary, binary_json_left] = run(dir.Sub("binary"), false);
  auto [migrated, migrated_json_left] = run(dir.Sub("migrated"), true);
  EXPECT_EQ(binary_json_left, 0);
  EXPECT_LT(migrated_json_left, static_cast<int>(migrated.size()));  // touched ones are binary now
  EXPECT_EQ(migrated, binary);
}

}  // namespace
}  // namespace aidmp::profile
