// Content-based recommendations: R̂(u,i) = ⟨x_u, x_i⟩. An item's vector x_i is its
// features (genres, categories) weighted by inverse document frequency and scaled to unit
// length; a user's interest vector x_u is the weighted sum of the vectors of the items
// the user interacted with (weight: the rating minus the user's mean rating for explicit
// data when `centre_ratings`, else the interaction's value), scaled to unit length.
// Items need no interactions to be scored, so new items are recommendable on day one.
// Thread-safety: as Recommender.
#pragma once

#include <Eigen/Dense>

#include "recommend/recommender.h"

namespace aidmp::recommend {

struct ContentBasedOptions {
  bool idf = true;              // weight features by log(items / items with the feature)
  bool centre_ratings = false;  // explicit data: liked above the user's mean counts positive
};

class ContentBased : public Recommender {
 public:
  explicit ContentBased(ContentBasedOptions options) : options_(options) {}
  // FailedPrecondition when the data set has no item features.
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;

  // The user's interest vector over the features (for explanations).
  Eigen::VectorXf UserVector(int32_t user) const;

 private:
  ContentBasedOptions options_;
  Eigen::MatrixXf item_vectors_;  // features x items, unit columns
  Eigen::MatrixXf user_vectors_;  // features x users, unit columns (or zero)
};

}  // namespace aidmp::recommend
