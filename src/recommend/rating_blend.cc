#include "recommend/rating_blend.h"

#include <algorithm>
#include <random>

#include "common/status.h"

namespace aidmp::recommend {

absl::Status RatingBlend::Fit(const TrainSet& train, const FitContext& context) {
  if (!train.explicit_ratings) return absl::InvalidArgumentError("a rating blend needs explicit ratings");
  // Hold out 10% of the ratings, chosen with the seed.
  std::vector<Eigen::Triplet<float, int32_t>> kept, held_out;
  std::mt19937_64 rng(context.seed ^ 0x5eedb1e9dULL);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (int32_t user = 0; user < train.num_users; ++user) {
    for (SparseMatrix::InnerIterator it(train.matrix, user); it; ++it) {
      (uniform(rng) < 0.1 ? held_out : kept).emplace_back(user, static_cast<int32_t>(it.col()), it.value());
    }
  }
  TrainSet inner = train;
  inner.matrix.setZero();
  inner.matrix.setFromTriplets(kept.begin(), kept.end());
  const int components = static_cast<int>(factories_.size());
  Eigen::MatrixXd features(held_out.size(), components + 1);
  Eigen::VectorXd target(held_out.size());
  features.col(0).setOnes();
  for (int component = 0; component < components; ++component) {
    std::unique_ptr<Recommender> model = factories_[component]();
    AIDMP_RETURN_IF_ERROR(model->Fit(inner, context));
    for (size_t row = 0; row < held_out.size(); ++row) {
      features(row, component + 1) = model->PredictRating(held_out[row].row(), held_out[row].col());
    }
  }
  for (size_t row = 0; row < held_out.size(); ++row) target(row) = held_out[row].value();
  Eigen::MatrixXd gram = features.transpose() * features;
  gram.diagonal().array() += 1e-3 * static_cast<double>(held_out.size());
  gram(0, 0) -= 1e-3 * static_cast<double>(held_out.size());  // the intercept is not shrunk
  weights_ = gram.ldlt().solve(features.transpose() * target);
  models_.clear();
  for (int component = 0; component < components; ++component) {
    models_.push_back(factories_[component]());
    AIDMP_RETURN_IF_ERROR(models_.back()->Fit(train, context));
  }
  return absl::OkStatus();
}

void RatingBlend::ScoreItems(int32_t user, std::span<float> scores) const {
  for (int32_t item = 0; item < static_cast<int32_t>(scores.size()); ++item) scores[item] = PredictRating(user, item);
}

float RatingBlend::PredictRating(int32_t user, int32_t item) const {
  double prediction = weights_(0);
  for (size_t component = 0; component < models_.size(); ++component) {
    prediction += weights_(component + 1) * models_[component]->PredictRating(user, item);
  }
  return static_cast<float>(prediction);
}

}  // namespace aidmp::recommend
