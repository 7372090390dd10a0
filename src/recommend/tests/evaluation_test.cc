// The RecBole split and the metrics against values computed by hand.
#include "recommend/evaluation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace aidmp::recommend {
namespace {

TEST(MetricsTest, HandComputedTopTen) {
  // Hits at ranks 1 and 3; a third relevant item (99) is not in the list.
  std::vector<int32_t> ranked = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
  UserMetrics metrics = ComputeUserMetrics(ranked, {12, 10, 99}, 10);
  EXPECT_DOUBLE_EQ(metrics.recall, 2.0 / 3);
  EXPECT_DOUBLE_EQ(metrics.precision, 0.2);
  EXPECT_DOUBLE_EQ(metrics.hit, 1);
  EXPECT_DOUBLE_EQ(metrics.mrr, 1);
  // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG over min(3, 10) = 1 + 1/log2(3) + 1/log2(4).
  EXPECT_NEAR(metrics.ndcg, 1.5 / (1 + 1 / std::log2(3.0) + 0.5), 1e-12);
  EXPECT_NEAR(metrics.ndcg, 0.70391808903, 1e-10);

  // One relevant item at rank 4: MRR 1/4, NDCG 1/log2(5), recall 1, precision 1/10.
  metrics = ComputeUserMetrics(ranked, {13}, 10);
  EXPECT_DOUBLE_EQ(metrics.mrr, 0.25);
  EXPECT_NEAR(metrics.ndcg, 0.43067655807, 1e-10);
  EXPECT_DOUBLE_EQ(metrics.recall, 1);
  EXPECT_DOUBLE_EQ(metrics.precision, 0.1);

  // Twelve relevant items, all ten slots hit: the ideal DCG stops at k, so NDCG is 1.
  std::vector<int32_t> many(ranked);
  many.push_back(50);
  many.push_back(51);
  metrics = ComputeUserMetrics(ranked, many, 10);
  EXPECT_NEAR(metrics.ndcg, 1, 1e-12);
  EXPECT_DOUBLE_EQ(metrics.recall, 10.0 / 12);

  metrics = ComputeUserMetrics(ranked, {42}, 10);
  EXPECT_EQ(metrics.hit, 0);
  EXPECT_EQ(metrics.ndcg, 0);
  EXPECT_EQ(metrics.mrr, 0);
}

TEST(MetricsTest, TopKSkipsExcludedAndBreaksTiesByIndex) {
  std::vector<float> scores = {0.5f, 0.9f, 0.9f, 0.1f, 0.7f};
  EXPECT_EQ(TopK(scores, {}, 3), (std::vector<int32_t>{1, 2, 4}));
  EXPECT_EQ(TopK(scores, {1, 4}, 3), (std::vector<int32_t>{2, 0, 3}));
  EXPECT_EQ(TopK(scores, {}, 10).size(), 5u);
}

// Scores every item by a fixed table; users share it.
class FixedScores : public Recommender {
 public:
  explicit FixedScores(std::vector<float> scores, float rating = 3) : scores_(std::move(scores)), rating_(rating) {}
  absl::Status Fit(const TrainSet&, const FitContext&) override { return absl::OkStatus(); }
  void ScoreItems(int32_t, std::span<float> scores) const override { std::copy(scores_.begin(), scores_.end(), scores.begin()); }
  bool PredictsRatings() const override { return true; }
  float PredictRating(int32_t, int32_t) const override { return rating_; }

 private:
  std::vector<float> scores_;
  float rating_;
};

TEST(MetricsTest, EvaluateRankingAveragesOverUsersWithTargets) {
  // Items ranked 4 > 3 > 2 > 1 > 0 for everyone, k = 2.
  FixedScores model({0, 1, 2, 3, 4});
  std::vector<Interaction> train = {{0, 4, 1, 0}};  // user 0 saw item 4: its list is 3, 2
  std::vector<Interaction> test = {{0, 2, 1, 0}, {1, 0, 1, 0}};  // user 1's list is 4, 3: a miss
  RankingMetrics metrics = EvaluateRanking(model, 3, 5, {&train}, test, 2, 2);
  EXPECT_EQ(metrics.users, 2);  // user 2 has no targets
  // User 0: hit at rank 2, NDCG = (1/log2 3) / 1; user 1: 0.
  EXPECT_NEAR(metrics.ndcg, (1 / std::log2(3.0)) / 2, 1e-9);
  EXPECT_NEAR(metrics.recall, 0.5, 1e-12);
  EXPECT_NEAR(metrics.mrr, 0.25, 1e-12);
  EXPECT_NEAR(metrics.precision, 0.25, 1e-12);
  EXPECT_NEAR(metrics.coverage, 3.0 / 5, 1e-12);  // items 2, 3, 4 recommended
}

TEST(MetricsTest, RmseAndMaeOfAConstantPredictor) {
  FixedScores model({}, 3);
  // Errors 2, 2 and 1: RMSE = sqrt((4 + 4 + 1) / 3) = sqrt(3), MAE = 5/3.
  std::vector<Interaction> targets = {{0, 0, 1, 0}, {0, 1, 5, 0}, {1, 0, 4, 0}};
  RatingMetrics metrics = EvaluateRatings(model, targets, 1, 5);
  EXPECT_NEAR(metrics.rmse, std::sqrt(3.0), 1e-6);
  EXPECT_NEAR(metrics.mae, 5.0 / 3, 1e-6);
  // Predictions are clipped to the rating scale: 3 clipped to [4, 5] is 4.
  metrics = EvaluateRatings(model, targets, 4, 5);
  EXPECT_NEAR(metrics.rmse, std::sqrt((9 + 1 + 0) / 3.0), 1e-6);
}

Dataset UsersWithCounts(const std::vector<int>& counts) {
  Dataset dataset;
  int32_t items = *std::max_element(counts.begin(), counts.end());
  for (int32_t item = 0; item < items; ++item) dataset.item_ids.push_back(std::to_string(item));
  for (int32_t user = 0; user < static_cast<int32_t>(counts.size()); ++user) {
    dataset.user_ids.push_back(std::to_string(user));
    for (int32_t item = 0; item < counts[user]; ++item) dataset.interactions.push_back({user, item, 1, item});
  }
  return dataset;
}

TEST(SplitTest, RecBoleRatiosPerUser) {
  // 20 -> 16/2/2; 25 -> 21/2/2 (floor); 5 -> 3/1/1 (0.5 rounds up to 1 each);
  // 2 -> 1/0/1 (test first, then train would drop to 1); 1 -> 1/0/0.
  Dataset dataset = UsersWithCounts({20, 25, 5, 2, 1});
  RankingSplit split = SplitPerUser(dataset, 7);
  auto count = [](const std::vector<Interaction>& rows, int32_t user) {
    return std::count_if(rows.begin(), rows.end(), [&](const Interaction& row) { return row.user == user; });
  };
  int expected[5][3] = {{16, 2, 2}, {21, 2, 2}, {3, 1, 1}, {1, 0, 1}, {1, 0, 0}};
  for (int32_t user = 0; user < 5; ++user) {
    EXPECT_EQ(count(split.train, user), expected[user][0]) << "user " << user;
    EXPECT_EQ(count(split.valid, user), expected[user][1]) << "user " << user;
    EXPECT_EQ(count(split.test, user), expected[user][2]) << "user " << user;
  }
  // A partition of the interactions, and the same for the same seed.
  std::set<std::pair<int32_t, int32_t>> all;
  for (const auto* rows : {&split.train, &split.valid, &split.test}) {
    for (const Interaction& row : *rows) EXPECT_TRUE(all.insert({row.user, row.item}).second);
  }
  EXPECT_EQ(all.size(), dataset.interactions.size());
  RankingSplit again = SplitPerUser(dataset, 7);
  for (size_t row_idx = 0; row_idx < split.test.size(); ++row_idx) EXPECT_EQ(again.test[row_idx].item, split.test[row_idx].item);
  RankingSplit other = SplitPerUser(dataset, 8);
  bool differs = false;
  for (size_t row_idx = 0; row_idx < split.test.size(); ++row_idx) differs |= other.test[row_idx].item != split.test[row_idx].item;
  EXPECT_TRUE(differs);
}

TEST(SplitTest, KFoldIsABalancedPartition) {
  auto folds = KFoldIndices(103, 5, 1);
  ASSERT_EQ(folds.size(), 5u);
  std::set<int32_t> all;
  for (const auto& fold : folds) {
    EXPECT_TRUE(fold.size() == 20 || fold.size() == 21);
    for (int32_t index : fold) EXPECT_TRUE(all.insert(index).second);
  }
  EXPECT_EQ(all.size(), 103u);
  EXPECT_EQ(*all.rbegin(), 102);
}

}  // namespace
}  // namespace aidmp::recommend
