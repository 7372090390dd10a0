// Lookalikes: the approximate search finds what the exact scan finds (recall, stated
// below), the people found are like the seed, and a seed with nothing to go on is an error.
#include "audience/lookalike.h"

#include <gtest/gtest.h>

#include <iostream>
#include <random>

namespace aidmp::audience {
namespace {

TEST(LookalikeTest, ApproximateRecallAgainstExactOnClusteredPeople) {
  // 12,000 people in 12 taste clusters over 32 features, with noise.
  const size_t kPeople = 12000, kDims = 32, kClusters = 12;
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.0f, 0.35f);
  std::vector<std::vector<float>> centres(kClusters, std::vector<float>(kDims));
  for (auto& centre : centres) {
    for (auto& x : centre) x = std::uniform_real_distribution<float>(0, 1)(rng) < 0.25 ? 1.0f : 0.0f;
  }
  std::vector<uint64_t> persons;
  std::vector<std::vector<float>> vectors;
  std::vector<size_t> cluster_of;
  for (size_t p = 0; p < kPeople; ++p) {
    size_t cluster = p % kClusters;
    std::vector<float> v(kDims);
    for (size_t d = 0; d < kDims; ++d) v[d] = std::max(0.0f, centres[cluster][d] + noise(rng));
    persons.push_back(p + 1);
    vectors.push_back(v);
    cluster_of.push_back(cluster);
  }
  auto model = LookalikeModel::FromVectors(persons, vectors);
  ASSERT_EQ(model->persons(), kPeople);
  // The seed: 300 people of cluster 0.
  std::vector<uint64_t> seed;
  for (size_t p = 0; p < kPeople && seed.size() < 300; ++p) {
    if (cluster_of[p] == 0) seed.push_back(persons[p]);
  }
  for (size_t size : {100u, 500u}) {
    auto approximate = model->Expand(seed, size, /*exact=*/false);
    auto exact = model->Expand(seed, size, /*exact=*/true);
    ASSERT_TRUE(approximate.ok() && exact.ok());
    ASSERT_EQ(approximate->size(), size);
    ASSERT_EQ(exact->size(), size);
    double recall = Recall(*approximate, *exact);
    // Stated in docs/segments.md: HNSW (M=16, ef=200) finds at least 95% of the exact top N.
    std::cout << "HNSW recall against exact, top " << size << ": " << recall << "\n";
    EXPECT_GE(recall, 0.95) << "size " << size;
    size_t same_cluster = 0;
    for (const auto& match : *approximate) {
      EXPECT_TRUE(std::find(seed.begin(), seed.end(), match.person) == seed.end()) << "a seed member came back";
      same_cluster += cluster_of[match.person - 1] == 0;
    }
    EXPECT_GE(same_cluster, size * 9 / 10) << "size " << size;
    for (size_t i = 1; i < approximate->size(); ++i) {
      EXPECT_GE((*approximate)[i - 1].similarity, (*approximate)[i].similarity);
    }
  }
}

TEST(LookalikeTest, ProfilesLikeTheSeed) {
  profile::ProfileModel model{profile::ProfileConfig()};
  std::vector<profile::Profile> profiles;
  for (uint64_t person = 1; person <= 60; ++person) {
    profile::Profile profile;
    profile.person = person;
    profile.interest_anchor_us = 0;
    // Thirds: book people, garden people, gamers; each with a little of something else.
    const char* main = person % 3 == 0 ? "books" : person % 3 == 1 ? "garden" : "games";
    profile.interests[main] = 10;
    profile.interests[person % 2 ? "music" : "films"] = 2;
    profile.event_counts["track:Product Viewed"] = person % 7 + 1;
    profiles.push_back(profile);
  }
  profile::Profile empty;
  empty.person = 99;
  profiles.push_back(empty);
  auto lookalike = LookalikeModel::FromProfiles(profiles, model, 0);
  EXPECT_EQ(lookalike->persons(), 60u);  // the empty profile has no direction
  std::vector<uint64_t> seed = {3, 6, 9, 12};  // book people
  auto found = lookalike->Expand(seed, 10, /*exact=*/false);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 10u);
  for (const auto& match : *found) EXPECT_EQ(match.person % 3, 0u) << match.person;
  auto nothing = lookalike->Expand({99, 1000}, 5, false);
  EXPECT_EQ(nothing.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace aidmp::audience
