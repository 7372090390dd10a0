// Bayesian personalised ranking (Rendle et al. 2009): matrix factorisation with item
// biases trained by SGD on sampled triples (u, i seen, j unseen) to maximise
// ln σ(x̂_ui − x̂_uj) − λ|Θ|², with x̂_ui = b_i + p_u · q_i. An epoch draws as many triples
// as there are training pairs; positives uniformly over pairs, negatives uniformly over
// the catalogue (resampled while seen).
// Thread-safety: as Recommender.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "recommend/recommender.h"

namespace aidmp::recommend {

struct BprOptions {
  int factors = 64;
  int epochs = 60;
  float learning_rate = 0.05f;
  float regularization = 0.002f;
  float init_std = 0.1f;
};

class Bpr : public Recommender {
 public:
  explicit Bpr(BprOptions options) : options_(options) {}
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;
  std::optional<FactorView> Factors() const override;

 private:
  BprOptions options_;
  std::vector<float> item_bias_;
  Eigen::MatrixXf user_factors_, item_factors_;  // factors x users, factors x items
};

}  // namespace aidmp::recommend
