// Each recommender on small cases whose answers are known: hand-computed values, a
// direct formula, or a brute-force equivalent on seeded random inputs.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <numeric>
#include <random>

#include "recommend/bayesian_mf.h"
#include "recommend/biased_mf.h"
#include "recommend/bpr.h"
#include "recommend/content_based.h"
#include "recommend/ease.h"
#include "recommend/evaluation.h"
#include "recommend/hybrid.h"
#include "recommend/implicit_als.h"
#include "recommend/internal/neighbours.h"
#include "recommend/item_knn.h"
#include "recommend/popularity.h"
#include "recommend/rating_blend.h"
#include "recommend/registry.h"
#include "recommend/rp3beta.h"
#include "recommend/svd_plus_plus.h"
#include "recommend/user_knn.h"

namespace aidmp::recommend {
namespace {

// A users x items TrainSet from a dense table; 0 means "no interaction".
TrainSet FromTable(const std::vector<std::vector<float>>& table, bool explicit_ratings = true) {
  TrainSet train;
  train.num_users = static_cast<int32_t>(table.size());
  train.num_items = static_cast<int32_t>(table[0].size());
  train.explicit_ratings = explicit_ratings;
  std::vector<Eigen::Triplet<float, int32_t>> triplets;
  for (int32_t user = 0; user < train.num_users; ++user) {
    for (int32_t item = 0; item < train.num_items; ++item) {
      if (table[user][item] != 0) triplets.emplace_back(user, item, table[user][item]);
    }
  }
  train.matrix.resize(train.num_users, train.num_items);
  train.matrix.setFromTriplets(triplets.begin(), triplets.end());
  train.item_features.resize(train.num_items);
  return train;
}

std::vector<float> Scores(const Recommender& model, int32_t user, int32_t items) {
  std::vector<float> scores(items);
  model.ScoreItems(user, scores);
  return scores;
}

// The seed formula on a 3x4 matrix:
//   u0 = [5 3 0 0], u1 = [4 0 4 1], u2 = [0 2 5 0]
//   |u0|² = 34, |u1|² = 33, |u2|² = 29; u0·u1 = 20, u0·u2 = 6, u1·u2 = 20
//   sim(u0,u1) = 20/√(34·33) = 0.5970814, sim(u0,u2) = 6/√(34·29) = 0.1910789
//   α = 1 / (0.5970814 + 0.1910789) = 1.2687775
//   R̂(u0,·) = α · (0.5970814 · u1 + 0.1910789 · u2)
//           = α · [2.3883257, 0.3821579, 3.3437206, 0.5970814]
//           = [3.0302536, 0.4848732, 4.2424366, 0.7575634]
const std::vector<std::vector<float>> kSeedMatrix = {{5, 3, 0, 0}, {4, 0, 4, 1}, {0, 2, 5, 0}};

TEST(UserKnnTest, SeedFormulaOnAHandComputed3x4Matrix) {
  UserKnnOptions options;
  options.k = 2;
  UserKnn model(options);
  ASSERT_TRUE(model.Fit(FromTable(kSeedMatrix), FitContext()).ok());
  ASSERT_EQ(model.Neighbours(0).size(), 2u);
  EXPECT_EQ(model.Neighbours(0)[0].index, 1);
  EXPECT_NEAR(model.Neighbours(0)[0].similarity, 0.5970814, 1e-6);
  EXPECT_NEAR(model.Neighbours(0)[1].similarity, 0.1910789, 1e-6);
  std::vector<float> scores = Scores(model, 0, 4);
  EXPECT_NEAR(scores[0], 3.0302536, 1e-5);
  EXPECT_NEAR(scores[1], 0.4848732, 1e-5);
  EXPECT_NEAR(scores[2], 4.2424366, 1e-5);
  EXPECT_NEAR(scores[3], 0.7575634, 1e-5);
  // Rating prediction normalises over the neighbours who rated the item: item 2 is rated
  // by both (same value as above), item 3 only by u1, so R̂ = R(u1, 3) = 1.
  EXPECT_NEAR(model.PredictRating(0, 2), 4.2424366, 1e-5);
  EXPECT_NEAR(model.PredictRating(0, 3), 1, 1e-6);

  // k = 1 keeps only u1: the scores are u1's ratings (α = 1 / sim).
  options.k = 1;
  UserKnn nearest(options);
  ASSERT_TRUE(nearest.Fit(FromTable(kSeedMatrix), FitContext()).ok());
  std::vector<float> only_u1 = Scores(nearest, 0, 4);
  for (int item = 0; item < 4; ++item) EXPECT_NEAR(only_u1[item], kSeedMatrix[1][item], 1e-5);

  // Shrinkage 10 lowers every similarity: sim(u0,u1) = 20 / (√(34·33) + 10).
  options.k = 2;
  options.shrink = 10;
  UserKnn shrunk(options);
  ASSERT_TRUE(shrunk.Fit(FromTable(kSeedMatrix), FitContext()).ok());
  EXPECT_NEAR(shrunk.Neighbours(0)[0].similarity, 20 / (std::sqrt(34.0 * 33) + 10), 1e-6);
}

TEST(UserKnnTest, MeanCentringPredictsAroundTheUsersMean) {
  UserKnnOptions options;
  options.k = 2;
  options.mean_centring = true;
  UserKnn model(options);
  ASSERT_TRUE(model.Fit(FromTable(kSeedMatrix), FitContext()).ok());
  // Means: u0 = 4, u1 = 3, u2 = 3.5. Centred: u0 = [1 -1 . .], u1 = [1 . 1 -2], u2 = [. -1.5 1.5 .]
  // sim(u0,u1) = 1/(√2·√6), sim(u0,u2) = 1.5/(√2·√4.5) = 0.5.
  double s01 = 1 / (std::sqrt(2.0) * std::sqrt(6.0)), s02 = 0.5;
  // Item 2: 4 + (s01·1 + s02·1.5) / (s01 + s02).
  EXPECT_NEAR(model.PredictRating(0, 2), 4 + (s01 * 1 + s02 * 1.5) / (s01 + s02), 1e-5);
  EXPECT_NEAR(model.PredictRating(0, 3), 4 - 2, 1e-5);  // only u1 rated it: 4 + (-2)
  EXPECT_NEAR(model.PredictRating(7, 3), 24.0 / 7, 1e-5);  // unknown user: the global mean
}

// Brute force: every pair's cosine with shrinkage, sorted, top k.
TEST(NeighboursTest, AgreesWithBruteForceOnRandomMatrices) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<std::vector<float>> table(30, std::vector<float>(12, 0));
    std::uniform_real_distribution<float> uniform(0, 1);
    for (auto& row : table) {
      for (auto& value : row) value = uniform(rng) < 0.3 ? std::floor(uniform(rng) * 5) + 1 : 0;
    }
    TrainSet train = FromTable(table);
    const int k = 4;
    const float shrink = trial;
    auto fast = internal::CosineNeighbours(train.matrix, k, shrink, 2);
    for (int32_t row = 0; row < 30; ++row) {
      std::vector<std::pair<float, int32_t>> all;
      for (int32_t other = 0; other < 30; ++other) {
        if (other == row) continue;
        double dot = 0, a = 0, b = 0;
        for (int col = 0; col < 12; ++col) {
          dot += table[row][col] * table[other][col];
          a += table[row][col] * table[row][col];
          b += table[other][col] * table[other][col];
        }
        double similarity = dot / (std::sqrt(a) * std::sqrt(b) + shrink);
        if (dot != 0) all.push_back({-static_cast<float>(similarity), other});
      }
      std::sort(all.begin(), all.end());
      size_t expected = std::min<size_t>(k, all.size());
      ASSERT_EQ(fast[row].size(), expected) << "row " << row;
      for (size_t idx = 0; idx < expected; ++idx) {
        EXPECT_NEAR(fast[row][idx].similarity, -all[idx].first, 1e-5) << "row " << row;
      }
    }
  }
}

TEST(ItemKnnTest, ScoresSumTheNeighbourSimilaritiesOfTheUsersItems) {
  // Binary: items 0 and 1 always together, item 2 with 0 once, item 3 alone.
  TrainSet train = FromTable({{1, 1, 0, 0}, {1, 1, 1, 0}, {0, 0, 0, 1}, {1, 0, 0, 0}}, false);
  ItemKnnOptions options;
  options.k = 1;
  ItemKnn model(options);
  ASSERT_TRUE(model.Fit(train, FitContext()).ok());
  // Columns: i0 = users {0,1,3}, i1 = {0,1}, i2 = {1}, i3 = {2}.
  // sim(i0,i1) = 2/√6 = 0.8165, sim(i0,i2) = 1/√3 = 0.5774, sim(i1,i2) = 1/√2 = 0.7071, so
  // N_1(i0) = {i1}, N_1(i1) = {i0}, N_1(i2) = {i1}, N_1(i3) = {} (no co-occurrence).
  EXPECT_EQ(model.Neighbours(1)[0].index, 0);
  EXPECT_EQ(model.Neighbours(2)[0].index, 1);
  // User 3 has item 0: scores j by sim(0, j) where 0 is in N_1(j): only j = 1.
  std::vector<float> scores = Scores(model, 3, 4);
  EXPECT_NEAR(scores[1], 2 / std::sqrt(6.0), 1e-6);
  EXPECT_EQ(scores[2], 0);
  EXPECT_EQ(scores[3], 0);
  ItemKnnOptions adjusted;
  adjusted.similarity = ItemSimilarity::kAdjustedCosine;
  EXPECT_FALSE(ItemKnn(adjusted).Fit(train, FitContext()).ok());  // needs ratings
}

TEST(EaseTest, MatchesTheConstrainedLeastSquaresDefinition) {
  // EASE's B column j minimises |X_j − X b|² + λ|b|² with b_j = 0, i.e. the ridge
  // regression of item j on the other items: b_{−j} = (X_{−j}ᵀX_{−j} + λI)⁻¹ X_{−j}ᵀ x_j.
  // With a user exponent e, row u of the squared error weighs w_u = n_u^−e:
  // b_{−j} = (X_{−j}ᵀ W X_{−j} + λI)⁻¹ X_{−j}ᵀ W x_j.
  std::vector<std::vector<float>> table = {{1, 1, 0, 1, 0}, {1, 0, 1, 0, 0}, {0, 1, 1, 1, 1},
                                           {1, 1, 1, 0, 0}, {0, 0, 1, 1, 1}, {1, 0, 0, 0, 1}};
  const double lambda = 0.5;
  const int n = 5;
  Eigen::MatrixXd x(6, n);
  for (int user = 0; user < 6; ++user) {
    for (int item = 0; item < n; ++item) x(user, item) = table[user][item];
  }
  for (double exponent : {0.0, 0.5, 1.0}) {
    SCOPED_TRACE(exponent);
    EaseOptions options;
    options.lambda = lambda;
    options.user_exponent = exponent;
    Ease model(options);
    ASSERT_TRUE(model.Fit(FromTable(table, false), FitContext()).ok());
    Eigen::MatrixXf weights = model.Weights();
    Eigen::VectorXd row_weights(6);
    for (int user = 0; user < 6; ++user) row_weights(user) = std::pow(x.row(user).sum(), -exponent);
    for (int target = 0; target < n; ++target) {
      Eigen::MatrixXd others(6, n - 1);
      for (int item = 0, col = 0; item < n; ++item) {
        if (item != target) others.col(col++) = x.col(item);
      }
      Eigen::MatrixXd gram =
          others.transpose() * row_weights.asDiagonal() * others + lambda * Eigen::MatrixXd::Identity(n - 1, n - 1);
      Eigen::VectorXd b = gram.ldlt().solve(others.transpose() * row_weights.asDiagonal() * x.col(target));
      EXPECT_EQ(weights(target, target), 0);
      for (int item = 0, col = 0; item < n; ++item) {
        if (item == target) continue;
        EXPECT_NEAR(weights(item, target), b(col++), 1e-5) << "B(" << item << ", " << target << ")";
      }
    }
    // Scores are x_u B: user 1 has items 0 and 2.
    std::vector<float> scores = Scores(model, 1, n);
    for (int item = 0; item < n; ++item) EXPECT_NEAR(scores[item], weights(0, item) + weights(2, item), 1e-5);
  }
}

TEST(BiasedMfTest, BiasOnlyModelRecoversAnAdditiveMatrix) {
  // r_ui = 3 + a_u + b_i exactly: the bias-only model can fit it, so its RMSE on the
  // training cells must approach 0, while predicting the global mean gives the RMSE of
  // the biases themselves.
  std::vector<float> user_effect = {-1, 0, 0.5, 1}, item_effect = {-0.5, 0, 0.5, 0.25, -0.25};
  std::vector<std::vector<float>> table(4, std::vector<float>(5));
  std::vector<Interaction> cells;
  for (int user = 0; user < 4; ++user) {
    for (int item = 0; item < 5; ++item) {
      table[user][item] = 3 + user_effect[user] + item_effect[item];
      cells.push_back({user, item, table[user][item], 0});
    }
  }
  BiasedMfOptions options;
  options.factors = 0;
  options.epochs = 400;
  options.learning_rate = 0.05f;
  options.learning_rate_decay = 1;
  options.bias_regularization = 0;
  BiasedMf model(options);
  ASSERT_TRUE(model.Fit(FromTable(table), FitContext()).ok());
  EXPECT_LT(EvaluateRatings(model, cells, 1, 5).rmse, 0.01);
  EXPECT_NEAR(model.PredictRating(99, 99), 3.125, 1e-4);  // unknown both: the global mean

  // With factors, a rank-1 interaction on top is learnt too.
  for (auto& cell : cells) cell.rating += 0.5f * user_effect[cell.user] * item_effect[cell.item] * 4;
  for (const auto& cell : cells) table[cell.user][cell.item] = cell.rating;
  options.factors = 2;
  options.regularization = 0;
  options.init_std = 0.1f;
  BiasedMf factored(options);
  ASSERT_TRUE(factored.Fit(FromTable(table), FitContext()).ok());
  EXPECT_LT(EvaluateRatings(factored, cells, 0, 10).rmse, 0.05);
  EXPECT_FALSE(BiasedMf(options).Fit(FromTable(table, false), FitContext()).ok());  // implicit data
}

TEST(EaseTest, DropoutAddsPopularityProportionalRegularisation) {
  // EDLAE with p = 0.5 regularises item j by λ + 1·G_jj: on a matrix where every item
  // has the same count, that equals plain EASE with λ + count.
  std::vector<std::vector<float>> table = {{1, 1, 0}, {0, 1, 1}, {1, 0, 1}, {1, 1, 1}};
  EaseOptions edlae;
  edlae.lambda = 1;
  edlae.dropout = 0.5;
  EaseOptions plain;
  plain.lambda = 1 + 3;  // every item has 3 users
  Ease a(edlae), b(plain);
  ASSERT_TRUE(a.Fit(FromTable(table, false), FitContext()).ok());
  ASSERT_TRUE(b.Fit(FromTable(table, false), FitContext()).ok());
  EXPECT_TRUE(a.Weights().isApprox(b.Weights(), 1e-5f));
  edlae.dropout = 1;
  EXPECT_FALSE(Ease(edlae).Fit(FromTable(table, false), FitContext()).ok());
}

TEST(BayesianMfTest, PosteriorMeanPredictsHeldOutCellsOfALowRankMatrix) {
  // r_ui = 3 + a_u + b_i + x_u·y_i (rank 2) on 30 x 20, 60% observed; the held-out 40%
  // must be predicted far better than by the global mean.
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0, 1);
  std::uniform_real_distribution<float> uniform(0, 1);
  std::vector<std::vector<float>> table(30, std::vector<float>(20, 0));
  std::vector<Interaction> held_out;
  std::vector<std::array<float, 3>> user_side(30), item_side(20);
  for (auto& side : user_side) side = {0.5f * normal(rng), 0.5f * normal(rng), 0.5f * normal(rng)};
  for (auto& side : item_side) side = {0.5f * normal(rng), 0.5f * normal(rng), 0.5f * normal(rng)};
  double mean_error = 0;
  for (int user = 0; user < 30; ++user) {
    for (int item = 0; item < 20; ++item) {
      float rating = 3 + user_side[user][0] + item_side[item][0] + user_side[user][1] * item_side[item][1] +
                     user_side[user][2] * item_side[item][2];
      if (uniform(rng) < 0.6f) {
        table[user][item] = rating;
      } else {
        held_out.push_back({user, item, rating, 0});
      }
    }
  }
  TrainSet train = FromTable(table);
  float mean = 0;
  for (int32_t user = 0; user < 30; ++user) {
    for (SparseMatrix::InnerIterator it(train.matrix, user); it; ++it) mean += it.value();
  }
  mean /= static_cast<float>(train.matrix.nonZeros());
  for (const auto& cell : held_out) mean_error += (cell.rating - mean) * (cell.rating - mean);
  double mean_rmse = std::sqrt(mean_error / held_out.size());
  BayesianMfOptions options;
  options.factors = 4;
  options.samples = 150;
  BayesianMf model(options);
  ASSERT_TRUE(model.Fit(train, FitContext()).ok());
  double rmse = EvaluateRatings(model, held_out, -100, 100).rmse;
  EXPECT_LT(rmse, 0.5 * mean_rmse) << "global mean RMSE " << mean_rmse;
  EXPECT_FALSE(BayesianMf(options).Fit(FromTable(table, false), FitContext()).ok());
}

TEST(RatingBlendTest, WeighsTheAccurateComponent) {
  // An additive 30 x 20 matrix: the bias-only model predicts it; popularity's
  // PredictRating is a constant 0 and must get no weight.
  std::mt19937 rng(2);
  std::normal_distribution<float> normal(0, 0.7f);
  std::vector<float> user_effect(30), item_effect(20);
  for (auto& effect : user_effect) effect = normal(rng);
  for (auto& effect : item_effect) effect = normal(rng);
  std::vector<std::vector<float>> table(30, std::vector<float>(20));
  std::vector<Interaction> cells;
  for (int user = 0; user < 30; ++user) {
    for (int item = 0; item < 20; ++item) {
      table[user][item] = 3 + user_effect[user] + item_effect[item];
      cells.push_back({user, item, table[user][item], 0});
    }
  }
  BiasedMfOptions bias;
  bias.factors = 0;
  bias.epochs = 200;
  bias.learning_rate = 0.05f;
  bias.learning_rate_decay = 1;
  bias.bias_regularization = 0;
  std::vector<std::function<std::unique_ptr<Recommender>()>> factories;
  factories.push_back([bias] { return std::make_unique<BiasedMf>(bias); });
  factories.push_back([] { return std::make_unique<Popularity>(); });
  RatingBlend blend(std::move(factories));
  ASSERT_TRUE(blend.Fit(FromTable(table), FitContext()).ok());
  EXPECT_NEAR(blend.weights()(1), 1, 0.05);
  EXPECT_LT(EvaluateRatings(blend, cells, -10, 10).rmse, 0.05);
}

// Two taste groups: users 0-3 use items 0-3, users 4-7 use items 4-7; each user misses one.
TrainSet TwoGroups() {
  std::vector<std::vector<float>> table(8, std::vector<float>(8, 0));
  for (int user = 0; user < 8; ++user) {
    int group = user / 4;
    for (int item = group * 4; item < group * 4 + 4; ++item) {
      if (item % 4 != user % 4) table[user][item] = 1;
    }
  }
  return FromTable(table, false);
}

void ExpectPrefersOwnGroup(const Recommender& model) {
  for (int user = 0; user < 8; ++user) {
    int missing = (user / 4) * 4 + user % 4;
    std::vector<float> scores = Scores(model, user, 8);
    for (int other = 0; other < 8; ++other) {
      if (other / 4 == user / 4) continue;
      EXPECT_GT(scores[missing], scores[other]) << "user " << user << " item " << other;
    }
  }
}

TEST(ImplicitAlsTest, ConjugateGradientMatchesTheExactSolve) {
  TrainSet train = TwoGroups();
  ImplicitAlsOptions options;
  options.factors = 4;
  options.iterations = 10;
  options.regularization = 0.1f;
  options.cg_steps = 0;
  ImplicitAls exact(options);
  ASSERT_TRUE(exact.Fit(train, FitContext()).ok());
  // With as many CG steps as factors, CG is exact up to rounding.
  options.cg_steps = 4;
  ImplicitAls conjugate(options);
  ASSERT_TRUE(conjugate.Fit(train, FitContext()).ok());
  for (int user = 0; user < 8; ++user) {
    std::vector<float> a = Scores(exact, user, 8), b = Scores(conjugate, user, 8);
    for (int item = 0; item < 8; ++item) EXPECT_NEAR(a[item], b[item], 1e-3);
  }
  ExpectPrefersOwnGroup(conjugate);
  // The default 3 steps, multi-threaded, learn the same structure.
  options.cg_steps = 3;
  ImplicitAls fast(options);
  FitContext context;
  context.threads = 2;
  ASSERT_TRUE(fast.Fit(train, context).ok());
  ExpectPrefersOwnGroup(fast);
}

// With a user exponent e, converged ALS is a stationary point of the weighted loss
// Σ_u w_u Σ_i c_ui (p_ui − x_u·y_i)² + λ(Σ|x_u|² + Σ|y_i|²), w_u = n_u^−e: both halves of
// its gradient vanish, while the unweighted loss's gradient does not.
TEST(ImplicitAlsTest, UserExponentWeighsEachUsersLoss) {
  const std::vector<std::vector<float>> table = {{1, 1, 0, 1, 0}, {1, 0, 1, 0, 0}, {0, 1, 1, 1, 1},
                                                 {1, 1, 1, 0, 0}, {0, 0, 1, 1, 1}, {1, 0, 0, 0, 1}};
  ImplicitAlsOptions options;
  options.factors = 2;
  options.iterations = 400;
  options.regularization = 0.5f;
  options.alpha = 2;
  options.user_exponent = 0.5f;
  for (int cg_steps : {0, 2}) {  // exact, and CG with as many steps as factors
    SCOPED_TRACE(cg_steps);
    options.cg_steps = cg_steps;
    ImplicitAls model(options);
    ASSERT_TRUE(model.Fit(FromTable(table, false), FitContext()).ok());
    const Eigen::MatrixXd x = model.user_factors().cast<double>(), y = model.item_factors().cast<double>();
    auto gradient_norms = [&](bool weighted) {
      Eigen::MatrixXd grad_x = options.regularization * x, grad_y = options.regularization * y;
      for (int user = 0; user < 6; ++user) {
        double count = 0;
        for (float cell : table[user]) count += cell;
        const double weight = weighted ? std::pow(count, -0.5) : 1;
        for (int item = 0; item < 5; ++item) {
          const double confidence = 1 + options.alpha * table[user][item];
          const double residual = x.col(user).dot(y.col(item)) - (table[user][item] > 0 ? 1 : 0);
          grad_x.col(user) += weight * confidence * residual * y.col(item);
          grad_y.col(item) += weight * confidence * residual * x.col(user);
        }
      }
      return std::make_pair(grad_x.colwise().norm().maxCoeff(), grad_y.colwise().norm().maxCoeff());
    };
    auto [weighted_x, weighted_y] = gradient_norms(true);
    EXPECT_LT(weighted_x, 1e-4);
    EXPECT_LT(weighted_y, 1e-4);
    auto [plain_x, plain_y] = gradient_norms(false);
    EXPECT_GT(std::max(plain_x, plain_y), 1e-2);
  }
}

TEST(BprTest, LearnsTwoTasteGroups) {
  BprOptions options;
  options.factors = 8;
  options.epochs = 300;
  Bpr model(options);
  ASSERT_TRUE(model.Fit(TwoGroups(), FitContext()).ok());
  ExpectPrefersOwnGroup(model);
}

TEST(PopularityTest, CountsUsers) {
  Popularity model;
  ASSERT_TRUE(model.Fit(FromTable(kSeedMatrix), FitContext()).ok());
  EXPECT_EQ(Scores(model, 0, 4), (std::vector<float>{2, 2, 2, 1}));
}

TEST(ContentBasedTest, InnerProductOfInterestAndItemVectors) {
  // Features: 0 = comedy (items 0, 1), 1 = drama (items 1, 2), item 3 has none.
  TrainSet train = FromTable({{1, 0, 0, 0}, {0, 0, 1, 0}}, false);
  train.num_features = 2;
  train.item_features = {{0}, {0, 1}, {1}, {}};
  ContentBasedOptions options;
  options.idf = false;
  ContentBased model(options);
  ASSERT_TRUE(model.Fit(train, FitContext()).ok());
  // x_0 = comedy = (1, 0); items: (1,0), (1,1)/√2, (0,1), 0.
  std::vector<float> scores = Scores(model, 0, 4);
  EXPECT_NEAR(scores[0], 1, 1e-6);
  EXPECT_NEAR(scores[1], 1 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(scores[2], 0, 1e-6);
  EXPECT_NEAR(scores[3], 0, 1e-6);
  EXPECT_EQ(model.UserVector(1)(1), 1);
  // With IDF (log(4/2) for both) the directions are the same.
  ContentBased with_idf((ContentBasedOptions()));
  ASSERT_TRUE(with_idf.Fit(train, FitContext()).ok());
  EXPECT_NEAR(Scores(with_idf, 0, 4)[1], 1 / std::sqrt(2.0), 1e-6);
  train.num_features = 0;
  EXPECT_EQ(ContentBased(options).Fit(train, FitContext()).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(HybridTest, BlendsStandardisedScoresAndFallsBackToPopularity) {
  TrainSet train = TwoGroups();
  std::vector<HybridComponent> components;
  EaseOptions ease;
  ease.lambda = 1;
  components.push_back({"ease", 1, std::make_unique<Ease>(ease)});
  components.push_back({"pop", 0, std::make_unique<Popularity>()});  // weight 0: unused
  Hybrid model(std::move(components));
  ASSERT_TRUE(model.Fit(train, FitContext()).ok());
  ExpectPrefersOwnGroup(model);
  // A user the models never saw gets popularity (every item has 3 users here).
  std::vector<float> cold = Scores(model, 42, 8);
  for (float score : cold) EXPECT_EQ(score, 3);
}

// RP3beta on the binary version of the seed matrix:
//   u0 = [1 1 0 0], u1 = [1 0 1 1], u2 = [0 1 1 0]
//   P_ui rows: u0 [1/2 1/2 0 0], u1 [1/3 0 1/3 1/3], u2 [0 1/2 1/2 0]
//   P_iu rows: i0 {u0 1/2, u1 1/2}, i1 {u0 1/2, u2 1/2}, i2 {u1 1/2, u2 1/2}, i3 {u1 1}
//   P_iu · P_ui, diagonal dropped (α = 1):
//     i0 [0 1/4 1/6 1/6], i1 [1/4 0 1/4 0], i2 [1/6 1/4 0 1/6], i3 [1/3 0 1/3 0]
//   deg = [2 2 2 1]; β = ½ divides columns 0-2 by √2:
//     i0 {1: 0.1767767, 3: 0.1666667, 2: 0.1178511}, i1 {0: 0.1767767, 2: 0.1767767}
//   scores(u0) = W(i0, ·) + W(i1, ·) = [0.1767767 0.1767767 0.2946278 0.1666667]
const std::vector<std::vector<float>> kBinarySeedMatrix = {{1, 1, 0, 0}, {1, 0, 1, 1}, {0, 1, 1, 0}};

TEST(Rp3BetaTest, RandomWalkWeightsOnAHandComputed3x4Matrix) {
  Rp3BetaOptions options;
  options.alpha = 1;
  options.beta = 0.5f;
  options.k = 0;
  Rp3Beta model(options);
  ASSERT_TRUE(model.Fit(FromTable(kBinarySeedMatrix, false), FitContext()).ok());
  const std::vector<internal::Neighbour>& row0 = model.Weights(0);
  ASSERT_EQ(row0.size(), 3u);
  EXPECT_EQ(row0[0].index, 1);
  EXPECT_NEAR(row0[0].similarity, 0.1767767, 1e-6);
  EXPECT_EQ(row0[1].index, 3);
  EXPECT_NEAR(row0[1].similarity, 0.1666667, 1e-6);
  EXPECT_EQ(row0[2].index, 2);
  EXPECT_NEAR(row0[2].similarity, 0.1178511, 1e-6);
  ASSERT_EQ(model.Weights(3).size(), 2u);  // i3 {0: 1/(3√2), 2: 1/(3√2)}
  EXPECT_NEAR(model.Weights(3)[0].similarity, 0.2357023, 1e-6);
  std::vector<float> scores = Scores(model, 0, 4);
  EXPECT_NEAR(scores[0], 0.1767767, 1e-6);
  EXPECT_NEAR(scores[1], 0.1767767, 1e-6);
  EXPECT_NEAR(scores[2], 0.2946278, 1e-6);
  EXPECT_NEAR(scores[3], 0.1666667, 1e-6);
  // A user without training data gets zeros.
  for (float score : Scores(model, 7, 4)) EXPECT_EQ(score, 0);
}

TEST(Rp3BetaTest, AlphaIsAnElementwisePowerAndKCutsEachRow) {
  // α = 2, β = 0: P_ui² rows u0 [1/4 1/4 0 0], u1 [1/9 0 1/9 1/9]; P_iu² i0 {u0 1/4, u1 1/4}
  // so W(i0, ·) = 1/4 · u0 + 1/4 · u1 = [· 1/16 1/36 1/36]; i3 {u1 1}: W(i3, ·) = [1/9 0 1/9 ·].
  Rp3BetaOptions options;
  options.alpha = 2;
  options.beta = 0;
  options.k = 0;
  Rp3Beta squared(options);
  ASSERT_TRUE(squared.Fit(FromTable(kBinarySeedMatrix, false), FitContext()).ok());
  ASSERT_EQ(squared.Weights(0).size(), 3u);
  EXPECT_EQ(squared.Weights(0)[0].index, 1);
  EXPECT_NEAR(squared.Weights(0)[0].similarity, 1.0 / 16, 1e-7);
  EXPECT_NEAR(squared.Weights(0)[1].similarity, 1.0 / 36, 1e-7);
  EXPECT_NEAR(squared.Weights(0)[2].similarity, 1.0 / 36, 1e-7);
  ASSERT_EQ(squared.Weights(3).size(), 2u);
  EXPECT_NEAR(squared.Weights(3)[1].similarity, 1.0 / 9, 1e-7);

  // k = 1 with α = 1, β = ½ keeps i0 -> 1, i1 -> 0 (a tie with 2, the smaller index wins).
  options.alpha = 1;
  options.beta = 0.5f;
  options.k = 1;
  Rp3Beta cut(options);
  ASSERT_TRUE(cut.Fit(FromTable(kBinarySeedMatrix, false), FitContext()).ok());
  std::vector<float> scores = Scores(cut, 0, 4);
  EXPECT_NEAR(scores[0], 0.1767767, 1e-6);
  EXPECT_NEAR(scores[1], 0.1767767, 1e-6);
  EXPECT_EQ(scores[2], 0);
  EXPECT_EQ(scores[3], 0);

  // normalise divides each kept row by its sum: row i0 sums to 0.4612945 with k = 0.
  options.k = 0;
  options.normalise = true;
  Rp3Beta normalised(options);
  ASSERT_TRUE(normalised.Fit(FromTable(kBinarySeedMatrix, false), FitContext()).ok());
  EXPECT_NEAR(normalised.Weights(0)[0].similarity, 0.1767767 / 0.4612945, 1e-6);
  EXPECT_NEAR(normalised.Weights(0)[2].similarity, 0.1178511 / 0.4612945, 1e-6);

  options.alpha = 0;
  EXPECT_EQ(Rp3Beta(options).Fit(FromTable(kBinarySeedMatrix, false), FitContext()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Rp3BetaTest, LearnsTwoTasteGroups) {
  Rp3Beta model{Rp3BetaOptions()};
  ASSERT_TRUE(model.Fit(TwoGroups(), FitContext()).ok());
  ExpectPrefersOwnGroup(model);
}

// SVD++'s first epoch on two users with one rating each (u0: i0 = 5, u1: i1 = 1; μ = 3):
// with one rating, N(u) = {i}, |N(u)|^-½ = 1, and one epoch is one step per user, so the
// parameters after it follow from the starting ones (the same seed, zero epochs) by the
// update rules written out here. Item 2 has no rating: its factors end at zero.
TEST(SvdPlusPlusTest, OneStepFollowsTheUpdateRules) {
  TrainSet train = FromTable({{5, 0, 0}, {0, 1, 0}});
  SvdPlusPlusOptions options;
  options.factors = 3;
  options.learning_rate = 0.1f;
  options.regularization = 0.05f;
  options.bias_regularization = 0.02f;
  options.epochs = 0;
  SvdPlusPlus start(options);
  ASSERT_TRUE(start.Fit(train, FitContext()).ok());
  options.epochs = 1;
  SvdPlusPlus stepped(options);
  ASSERT_TRUE(stepped.Fit(train, FitContext()).ok());
  EXPECT_FLOAT_EQ(stepped.global_mean(), 3);
  const float rate = 0.1f, reg = 0.05f;
  const float ratings[2] = {5, 1};
  for (int32_t user = 0; user < 2; ++user) {
    const int32_t item = user;
    Eigen::VectorXf p = start.user_factors().col(user), q = start.item_factors().col(item),
                    y = start.implicit_factors().col(item);
    const float error = ratings[user] - (3 + q.dot(p + y));  // the biases start at 0
    EXPECT_NEAR(stepped.user_bias()[user], rate * error, 1e-6);
    EXPECT_NEAR(stepped.item_bias()[item], rate * error, 1e-6);
    Eigen::VectorXf p1 = p + rate * (error * q - reg * p);
    Eigen::VectorXf q1 = q + rate * (error * (p + y) - reg * q);
    Eigen::VectorXf y1 = y + rate * (error * q - reg * y);
    EXPECT_LT((stepped.user_factors().col(user) - p1).norm(), 1e-6);
    EXPECT_LT((stepped.item_factors().col(item) - q1).norm(), 1e-6);
    EXPECT_LT((stepped.implicit_factors().col(item) - y1).norm(), 1e-6);
    EXPECT_NEAR(stepped.PredictRating(user, item), 3 + 2 * rate * error + q1.dot(p1 + y1), 1e-5);
    EXPECT_NEAR(stepped.PredictRating(user, 2), 3 + rate * error, 1e-6);  // unrated item: μ + b_u
  }
  EXPECT_TRUE(stepped.item_factors().col(2).isZero());
  EXPECT_NEAR(stepped.PredictRating(5, 0), 3 + stepped.item_bias()[0], 1e-6);  // unknown user: μ + b_i
}

// The closed-form per-user update of the y_j against the per-rating rule applied literally
// (every y_j of the user moved at every rating), replaying the model's random numbers: the
// same seed, the factors drawn p, q, y column by column, then per epoch a shuffle of the
// users and, per user, of the positions of their ratings.
TEST(SvdPlusPlusTest, ClosedFormUserUpdateEqualsThePerRatingRule) {
  std::mt19937_64 data_rng(11);
  std::uniform_int_distribution<int> stars(1, 5);
  std::bernoulli_distribution present(0.6);
  std::vector<std::vector<float>> table(6, std::vector<float>(5, 0));
  for (auto& row : table) {
    for (float& cell : row) cell = present(data_rng) ? static_cast<float>(stars(data_rng)) : 0;
  }
  TrainSet train = FromTable(table);
  SvdPlusPlusOptions options;
  options.factors = 4;
  options.epochs = 3;
  options.learning_rate = 0.05f;
  options.learning_rate_decay = 0.9f;
  SvdPlusPlus model(options);
  FitContext context;
  context.seed = 99;
  ASSERT_TRUE(model.Fit(train, context).ok());

  const int k = options.factors, users = train.num_users, items = train.num_items;
  std::mt19937_64 rng(context.seed);
  std::normal_distribution<float> normal(0, options.init_std);
  Eigen::MatrixXf p(k, users), q(k, items), y(k, items);
  for (Eigen::MatrixXf* factors : {&p, &q, &y}) {
    for (Eigen::Index idx = 0; idx < factors->size(); ++idx) factors->data()[idx] = normal(rng);
  }
  std::vector<float> bu(users, 0), bi(items, 0);
  double sum = 0;
  for (int64_t idx = 0; idx < train.matrix.nonZeros(); ++idx) sum += train.matrix.valuePtr()[idx];
  const float mu = static_cast<float>(sum / train.matrix.nonZeros());
  std::vector<int32_t> order(users);
  std::iota(order.begin(), order.end(), 0);
  float rate = options.learning_rate;
  const float reg = options.regularization, bias_reg = options.bias_regularization;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    for (int32_t user : order) {
      std::vector<int32_t> rated;
      std::vector<float> values;
      for (SparseMatrix::InnerIterator it(train.matrix, user); it; ++it) {
        rated.push_back(static_cast<int32_t>(it.col()));
        values.push_back(it.value());
      }
      if (rated.empty()) continue;
      std::vector<int32_t> positions(rated.size());
      std::iota(positions.begin(), positions.end(), 0);
      std::shuffle(positions.begin(), positions.end(), rng);
      const float scale = 1 / std::sqrt(static_cast<float>(rated.size()));
      for (int32_t position : positions) {
        const int32_t item = rated[position];
        Eigen::VectorXf implicit = Eigen::VectorXf::Zero(k);
        for (int32_t other : rated) implicit += y.col(other);
        implicit *= scale;
        const float error = values[position] - (mu + bu[user] + bi[item] + q.col(item).dot(p.col(user) + implicit));
        bu[user] += rate * (error - bias_reg * bu[user]);
        bi[item] += rate * (error - bias_reg * bi[item]);
        Eigen::VectorXf p_old = p.col(user), q_old = q.col(item);
        p.col(user) += rate * (error * q_old - reg * p_old);
        q.col(item) += rate * (error * (p_old + implicit) - reg * q_old);
        for (int32_t other : rated) y.col(other) += rate * (error * scale * q_old - reg * y.col(other));
      }
    }
    rate *= options.learning_rate_decay;
  }
  for (int32_t user = 0; user < users; ++user) {
    EXPECT_NEAR(model.user_bias()[user], bu[user], 1e-4);
    EXPECT_LT((model.user_factors().col(user) - p.col(user)).norm(), 1e-4);
  }
  std::vector<char> rated(items, 0);
  for (int64_t idx = 0; idx < train.matrix.nonZeros(); ++idx) rated[train.matrix.innerIndexPtr()[idx]] = 1;
  for (int32_t item = 0; item < items; ++item) {
    EXPECT_NEAR(model.item_bias()[item], bi[item], 1e-4);
    if (!rated[item]) continue;  // zeroed after training
    EXPECT_LT((model.item_factors().col(item) - q.col(item)).norm(), 1e-4);
    EXPECT_LT((model.implicit_factors().col(item) - y.col(item)).norm(), 1e-4);
  }
}

// Two taste groups that biases cannot describe (every user's and item's mean is 3): on
// held-out cells SVD++ must beat the bias-only model by far.
TEST(SvdPlusPlusTest, FitsTwoTasteGroupsBetterThanBiases) {
  const int users = 20, items = 10;
  std::vector<Interaction> train_rows, held_out;
  for (int32_t user = 0; user < users; ++user) {
    for (int32_t item = 0; item < items; ++item) {
      const bool likes = (user < users / 2) == (item < items / 2);
      Interaction row{user, item, likes ? 5.0f : 1.0f, 0};
      ((user * 7 + item * 3) % 5 == 0 ? held_out : train_rows).push_back(row);
    }
  }
  std::vector<Eigen::Triplet<float, int32_t>> triplets;
  for (const Interaction& row : train_rows) triplets.emplace_back(row.user, row.item, row.rating);
  TrainSet train;
  train.num_users = users;
  train.num_items = items;
  train.matrix.resize(users, items);
  train.matrix.setFromTriplets(triplets.begin(), triplets.end());
  SvdPlusPlusOptions options;
  options.factors = 4;
  options.epochs = 100;
  options.learning_rate = 0.02f;
  SvdPlusPlus svdpp(options);
  ASSERT_TRUE(svdpp.Fit(train, FitContext()).ok());
  BiasedMfOptions bias_options;
  bias_options.factors = 0;
  BiasedMf bias(bias_options);
  ASSERT_TRUE(bias.Fit(train, FitContext()).ok());
  const double svdpp_rmse = EvaluateRatings(svdpp, held_out, 1, 5).rmse;
  const double bias_rmse = EvaluateRatings(bias, held_out, 1, 5).rmse;
  EXPECT_GT(bias_rmse, 1.5);
  EXPECT_LT(svdpp_rmse, 0.5);

  EXPECT_EQ(svdpp.Fit(FromTable(kSeedMatrix, false), FitContext()).code(), absl::StatusCode::kInvalidArgument);
}

// FactorView's contract: the model's scores are ⟨p_u, q_i⟩ + b_i plus a constant per user
// (zero for ALS and BPR, μ + b_u for biased MF), on seeded random data.
TEST(FactorViewTest, TheInnerProductReproducesScoreItems) {
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> rating(1, 5);
  std::bernoulli_distribution present(0.3);
  std::vector<std::vector<float>> table(30, std::vector<float>(40, 0));
  for (auto& row : table) {
    for (auto& cell : row) cell = present(rng) ? static_cast<float>(rating(rng)) : 0;
  }
  struct Case {
    std::string name;
    std::unique_ptr<Recommender> model;
    bool constant_is_zero;
  };
  std::vector<Case> cases;
  cases.push_back({"als", std::make_unique<ImplicitAls>(ImplicitAlsOptions{.factors = 8, .iterations = 3}), true});
  cases.push_back({"bpr", std::make_unique<Bpr>(BprOptions{.factors = 8, .epochs = 3}), true});
  cases.push_back({"mf", std::make_unique<BiasedMf>(BiasedMfOptions{.factors = 8, .epochs = 3}), false});
  cases.push_back({"bias", std::make_unique<BiasedMf>(BiasedMfOptions{.factors = 0, .epochs = 3}), false});
  for (auto& [name, model, constant_is_zero] : cases) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(model->Factors().has_value()) << "no factors before Fit";
    TrainSet train = FromTable(table, /*explicit_ratings=*/true);
    ASSERT_TRUE(model->Fit(train, FitContext{}).ok());
    std::optional<FactorView> view = model->Factors();
    ASSERT_TRUE(view.has_value());
    ASSERT_EQ(view->users->cols(), train.num_users);
    ASSERT_EQ(view->items->cols(), train.num_items);
    ASSERT_TRUE(view->item_bias.empty() || static_cast<int32_t>(view->item_bias.size()) == train.num_items);
    for (int32_t user = 0; user < train.num_users; ++user) {
      std::vector<float> scores = Scores(*model, user, train.num_items);
      float constant = 0;
      for (int32_t item = 0; item < train.num_items; ++item) {
        float inner = view->users->col(user).dot(view->items->col(item));
        if (!view->item_bias.empty()) inner += view->item_bias[item];
        if (item == 0) constant = scores[0] - inner;
        EXPECT_NEAR(scores[item] - inner, constant, 1e-5f) << "user " << user << " item " << item;
      }
      if (constant_is_zero) {
        EXPECT_NEAR(constant, 0, 1e-5f) << "user " << user;
      }
    }
  }
  EXPECT_FALSE(Ease(EaseOptions{}).Factors().has_value());
}

TEST(RegistryTest, EveryAlgorithmBuildsAndRejectsUnknownParameters) {
  for (const AlgorithmSpec& spec : Algorithms()) {
    EXPECT_TRUE(spec.make(spec.ranks ? spec.ranking_defaults : spec.rating_defaults).ok()) << spec.name;
    EXPECT_FALSE(spec.make({{"no_such_parameter", 1}}).ok()) << spec.name;
    EXPECT_EQ(FindAlgorithm(spec.name), &spec);
  }
  EXPECT_EQ(FindAlgorithm("svd"), nullptr);
}

}  // namespace
}  // namespace aidmp::recommend
