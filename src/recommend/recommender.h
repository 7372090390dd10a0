// The one interface every recommender implements, and the training matrix it learns from.
//
// A model is fitted once on a TrainSet (users x items, CSR) and then scores every item
// for a user; models that predict explicit ratings also answer PredictRating. Evaluation
// (evaluation.h), the CLI and, later, serving only see this interface.
// Thread-safety: Fit is not thread-safe; after Fit returns, the const methods may be
// called from many threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <Eigen/SparseCore>

#include "absl/status/status.h"
#include "recommend/dataset.h"

namespace aidmp::recommend {

// Row-major sparse users x items matrix of ratings (or interaction weights).
using SparseMatrix = Eigen::SparseMatrix<float, Eigen::RowMajor, int32_t>;

struct TrainSet {
  int32_t num_users = 0;
  int32_t num_items = 0;
  SparseMatrix matrix;  // num_users x num_items; one entry per (user, item)
  // Item features for content-based models; empty lists when the data set has none.
  std::vector<std::vector<int32_t>> item_features;
  int32_t num_features = 0;
  // True when the values are explicit ratings; false for implicit feedback (1 = seen).
  bool explicit_ratings = true;
};

// Builds the training matrix of `rows` over the whole catalogue of `dataset` (so indices
// agree with the test rows). With `binary`, every value is 1 (implicit feedback, as the
// ranking protocol treats ratings). Repeated pairs keep the last value.
TrainSet MakeTrainSet(const Dataset& dataset, const std::vector<Interaction>& rows, bool binary);

// What a Fit may use: threads and a seed for its random numbers (never global state).
struct FitContext {
  int threads = 2;
  uint64_t seed = 42;
};

// What a factor model's ranking is made of. For every user with training data, the
// model's ScoreItems(user) equals ⟨users.col(user), items.col(item)⟩ + item_bias[item]
// (no bias term when item_bias is empty) plus a constant of the user's, so ranking items
// by that inner product ranks them as ScoreItems does; an approximate inner-product index
// (recserve's trainer) can then stand in for scoring every item. The pointers and span
// refer into the model: valid while it lives and is not fitted again.
struct FactorView {
  const Eigen::MatrixXf* users = nullptr;  // factors x users
  const Eigen::MatrixXf* items = nullptr;  // factors x items
  std::span<const float> item_bias;        // one per item, or empty
};

class Recommender {
 public:
  virtual ~Recommender() = default;

  // Learns from `train`. InvalidArgument if the data cannot be used (e.g. a rating model
  // on implicit data); the model is unusable after a failed Fit.
  virtual absl::Status Fit(const TrainSet& train, const FitContext& context) = 0;

  // Writes a score for every item (scores.size() == num_items): larger is better. Items
  // the user has seen are scored too; callers exclude them. Users without training
  // data get a non-personalised answer.
  virtual void ScoreItems(int32_t user, std::span<float> scores) const = 0;

  // Rating models only: the predicted rating of `item` by `user`, either of which may
  // have had no training data (then a fallback such as the global mean is used).
  virtual bool PredictsRatings() const { return false; }
  virtual float PredictRating(int32_t user, int32_t item) const { return 0; }

  // Factor models whose ranking is an inner product (see FactorView), after a successful
  // Fit; std::nullopt for every other model (and before Fit).
  virtual std::optional<FactorView> Factors() const { return std::nullopt; }
};

}  // namespace aidmp::recommend
