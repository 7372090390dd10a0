// Biased matrix factorisation for explicit ratings (Koren, Bell, Volinsky 2009; "SVD" in
// Surprise): R̂(u,i) = μ + b_u + b_i + p_u · q_i, learned by stochastic gradient descent
// on the squared error with L2 regularisation, visiting the ratings in a new random order
// each epoch. With factors = 0 it is the bias-only baseline.
//
// For ranking, a user's scores are the predicted ratings.
// Thread-safety: as Recommender.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "recommend/recommender.h"

namespace aidmp::recommend {

struct BiasedMfOptions {
  int factors = 100;
  int epochs = 40;
  float learning_rate = 0.007f;
  float learning_rate_decay = 0.96f;  // multiplied in after every epoch
  float regularization = 0.05f;       // on the factors
  float bias_regularization = 0.02f;  // on b_u and b_i
  float init_std = 0.05f;             // factors start as N(0, init_std²)
};

class BiasedMf : public Recommender {
 public:
  explicit BiasedMf(BiasedMfOptions options) : options_(options) {}
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;
  std::optional<FactorView> Factors() const override;
  bool PredictsRatings() const override { return true; }
  float PredictRating(int32_t user, int32_t item) const override;

 private:
  BiasedMfOptions options_;
  float global_mean_ = 0;
  std::vector<float> user_bias_, item_bias_;
  Eigen::MatrixXf user_factors_, item_factors_;  // factors x users, factors x items
};

}  // namespace aidmp::recommend
