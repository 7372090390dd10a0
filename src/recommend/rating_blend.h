// A linear blend of rating models (stacking): the components are fitted on 90% of the
// training ratings, blend weights (with an intercept, by ridge-regularised least squares)
// on their predictions for the other 10%, and then the components are refitted on all
// training ratings. The blend never sees evaluation data.
// Thread-safety: as Recommender.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <Eigen/Dense>

#include "recommend/recommender.h"

namespace aidmp::recommend {

class RatingBlend : public Recommender {
 public:
  // `factories` build fresh, unfitted rating models (called twice each).
  explicit RatingBlend(std::vector<std::function<std::unique_ptr<Recommender>()>> factories)
      : factories_(std::move(factories)) {}
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;
  bool PredictsRatings() const override { return true; }
  float PredictRating(int32_t user, int32_t item) const override;

  // Intercept first, then one weight per component.
  const Eigen::VectorXd& weights() const { return weights_; }

 private:
  std::vector<std::function<std::unique_ptr<Recommender>()>> factories_;
  std::vector<std::unique_ptr<Recommender>> models_;
  Eigen::VectorXd weights_;
};

}  // namespace aidmp::recommend
