// Offline evaluation protocols and their metrics, as the research community runs them.
//
// Top-N ranking follows RecBole's defaults: per user, that user's interactions are
// shuffled with a fixed seed and split 80/10/10 into train/validation/test; a model
// trained on train ranks ALL items the user has not interacted with in train (for
// validation) or in train and validation (for test); Recall, NDCG, MRR, Hit and Precision
// at k are averaged over users with at least one target item. Rating prediction is k-fold
// cross-validation with a fixed seed, RMSE and MAE averaged over folds.
// Thread-safety: pure functions; EvaluateRanking runs the model's const methods from
// `threads` threads.
#pragma once

#include <cstdint>
#include <vector>

#include "recommend/dataset.h"
#include "recommend/recommender.h"

namespace aidmp::recommend {

struct RankingSplit {
  std::vector<Interaction> train, valid, test;
};

// RecBole's per-user ratio split ("RO" ordering, group_by user, [0.8, 0.1, 0.1]): for a
// user with n interactions, validation and test get floor(0.1 n) each (raised to 1 when
// 0 < 0.1 n < 1 and train keeps more than one) and train the rest. Deterministic in
// `seed`.
RankingSplit SplitPerUser(const Dataset& dataset, uint64_t seed, double valid_ratio = 0.1, double test_ratio = 0.1);

// Metrics of one user's top-k list. `ranked` holds the recommended items best first
// (at most k of them); `relevant` the user's target items (non-empty, any order).
// RecBole's definitions with binary relevance: recall = hits / |relevant|, precision =
// hits / k, hit = any hit, MRR = 1 / rank of the first hit, NDCG = DCG / IDCG with
// gain 1 / log2(rank + 1) and IDCG over min(|relevant|, k) ideal positions.
struct UserMetrics {
  double recall = 0, ndcg = 0, mrr = 0, hit = 0, precision = 0;
};
UserMetrics ComputeUserMetrics(const std::vector<int32_t>& ranked, const std::vector<int32_t>& relevant, int k);

struct RankingMetrics {
  double recall = 0, ndcg = 0, mrr = 0, hit = 0, precision = 0;
  // Share of the catalogue that appears in at least one user's top-k list.
  double coverage = 0;
  int32_t users = 0;  // users evaluated (those with targets)
};

// Ranks all items for each user with targets in `targets`, excluding the items of
// `exclude` (e.g. train, or train + validation), and averages the per-user metrics.
RankingMetrics EvaluateRanking(const Recommender& model, int32_t num_users, int32_t num_items,
                               const std::vector<const std::vector<Interaction>*>& exclude,
                               const std::vector<Interaction>& targets, int k, int threads);

// The top-k items for `user` by `scores`, skipping `excluded` (sorted item indices);
// ties go to the smaller index.
std::vector<int32_t> TopK(std::span<const float> scores, const std::vector<int32_t>& excluded, int k);

// `folds` disjoint folds of the interaction indices 0..n-1, shuffled with `seed`; fold
// sizes differ by at most one.
std::vector<std::vector<int32_t>> KFoldIndices(size_t n, int folds, uint64_t seed);

struct RatingMetrics {
  double rmse = 0, mae = 0;
};
// RMSE and MAE of `model` on `targets` (ratings clipped to [min_rating, max_rating]).
RatingMetrics EvaluateRatings(const Recommender& model, const std::vector<Interaction>& targets,
                              float min_rating, float max_rating);

}  // namespace aidmp::recommend
