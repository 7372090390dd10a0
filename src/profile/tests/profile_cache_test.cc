#include "profile/profile_cache.h"

#include <vector>

#include "gtest/gtest.h"

namespace aidmp::profile {
namespace {

Profile WithEvents(uint64_t person, uint64_t events) {
  Profile profile;
  profile.person = person;
  profile.events = events;
  return profile;
}

// Collects what Trim and FlushDirty hand over.
struct Written {
  std::vector<std::pair<uint64_t, uint64_t>> profiles;  // person, events
  ProfileCache::WriteFn Fn() {
    return [this](uint64_t person, const Profile& profile) {
      profiles.emplace_back(person, profile.events);
      return absl::OkStatus();
    };
  }
};

TEST(ProfileCacheTest, FindsWhatWasInsertedAndKeepsChangesMadeThroughThePointer) {
  ProfileCache cache(1000);
  EXPECT_EQ(cache.Find(7), nullptr);
  Profile* inserted = cache.Insert(7, WithEvents(7, 1));
  inserted->events = 5;
  ASSERT_NE(cache.Find(7), nullptr);
  EXPECT_EQ(cache.Find(7), inserted);
  EXPECT_EQ(cache.Find(7)->events, 5u);
  cache.Insert(7, WithEvents(7, 9));  // replaces
  EXPECT_EQ(cache.Find(7)->events, 9u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ProfileCacheTest, TrimEvictsLeastRecentlyUsedFirstUntilWithinBudget) {
  ProfileCache cache(250);
  for (uint64_t person = 1; person <= 4; ++person) {
    cache.Insert(person, WithEvents(person, person));
    cache.Charge(person, 100, /*dirty=*/false);
  }
  EXPECT_EQ(cache.charged_bytes(), 400u);
  cache.Find(1);  // 1 is now the most recent: 2 and 3 go first
  Written written;
  ASSERT_TRUE(cache.Trim(written.Fn()).ok());
  EXPECT_TRUE(written.profiles.empty()) << "clean entries are not written";
  EXPECT_EQ(cache.charged_bytes(), 200u);
  EXPECT_EQ(cache.Find(2), nullptr);
  EXPECT_EQ(cache.Find(3), nullptr);
  EXPECT_NE(cache.Find(1), nullptr);
  EXPECT_NE(cache.Find(4), nullptr);
}

TEST(ProfileCacheTest, DirtyEntriesAreWrittenBeforeTheyLeave) {
  ProfileCache cache(150);
  cache.Insert(1, WithEvents(1, 10));
  cache.Charge(1, 100, /*dirty=*/true);
  cache.Insert(2, WithEvents(2, 20));
  cache.Charge(2, 100, /*dirty=*/false);
  Written written;
  ASSERT_TRUE(cache.Trim(written.Fn()).ok());
  ASSERT_EQ(written.profiles.size(), 1u);
  EXPECT_EQ(written.profiles[0], std::make_pair(uint64_t{1}, uint64_t{10}));
  EXPECT_EQ(cache.Find(1), nullptr);
}

TEST(ProfileCacheTest, AFailedWriteKeepsTheEntry) {
  ProfileCache cache(0);
  cache.Insert(1, WithEvents(1, 10));
  cache.Charge(1, 100, /*dirty=*/true);
  absl::Status status = cache.Trim([](uint64_t, const Profile&) { return absl::UnavailableError("disk full"); });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  ASSERT_NE(cache.Find(1), nullptr);
  EXPECT_EQ(cache.charged_bytes(), 100u);
}

TEST(ProfileCacheTest, FlushDirtyWritesEveryDirtyEntryOnceInPersonOrder) {
  ProfileCache cache(1 << 20);
  for (uint64_t person : {5, 3, 9, 1}) {
    cache.Insert(person, WithEvents(person, person * 10));
    cache.Charge(person, 10, /*dirty=*/person != 9);
  }
  Written written;
  ASSERT_TRUE(cache.FlushDirty(written.Fn()).ok());
  std::vector<std::pair<uint64_t, uint64_t>> expected = {{1, 10}, {3, 30}, {5, 50}};
  EXPECT_EQ(written.profiles, expected);
  Written again;
  ASSERT_TRUE(cache.FlushDirty(again.Fn()).ok());
  EXPECT_TRUE(again.profiles.empty()) << "flushed entries are clean";
  EXPECT_EQ(cache.size(), 4u) << "flushing keeps the entries";
}

TEST(ProfileCacheTest, EraseAndClearReleaseTheirCharges) {
  ProfileCache cache(1000);
  cache.Insert(1, WithEvents(1, 1));
  cache.Charge(1, 300, false);
  cache.Insert(2, WithEvents(2, 2));
  cache.Charge(2, 200, false);
  cache.Charge(2, 250, true);  // recharged, not added
  EXPECT_EQ(cache.charged_bytes(), 550u);
  cache.Erase(1);
  cache.Erase(42);  // absent: nothing happens
  EXPECT_EQ(cache.charged_bytes(), 250u);
  cache.Clear();
  EXPECT_EQ(cache.charged_bytes(), 0u);
  EXPECT_EQ(cache.size(), 0u);
  Written written;
  ASSERT_TRUE(cache.Trim(written.Fn()).ok());
  ASSERT_TRUE(cache.FlushDirty(written.Fn()).ok());
  EXPECT_TRUE(written.profiles.empty());
}

TEST(ProfileCacheTest, ApproxBytesGrowsWithTheProfile) {
  Profile small = WithEvents(1, 1);
  Profile large = small;
  for (int idx = 0; idx < 100; ++idx) {
    large.traits["trait_with_a_long_name_" + std::to_string(idx)].json = std::string(40, 'x');
    large.interests["category " + std::to_string(idx)] = 0.5;
  }
  EXPECT_GE(small.ApproxBytes(), sizeof(Profile));
  // 200 map nodes and 200 heap strings at least.
  EXPECT_GT(large.ApproxBytes(), small.ApproxBytes() + 200 * 48 + 100 * 40);
}

}  // namespace
}  // namespace aidmp::profile
