// Bayesian matrix factorisation by Gibbs sampling (Salakhutdinov & Mnih 2008, "BPMF"),
// with user and item biases as in libFM's MCMC: r_ui ~ N(μ + b_u + b_i + u_u · v_i, 1/τ),
// Gaussian priors on factors and biases whose hyper-parameters (Normal-Wishart for the
// factors, Gamma for the precisions) are sampled too, so there is no regularisation to
// tune. A prediction is the mean over the samples after burn-in, which is what makes
// MCMC more accurate than a single SGD point estimate on small data.
// Thread-safety: as Recommender.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "recommend/recommender.h"

namespace aidmp::recommend {

struct BayesianMfOptions {
  int factors = 10;
  int samples = 200;  // Gibbs sweeps in total
  int burn_in = 30;   // first sweeps not averaged
  float init_std = 0.1f;
};

class BayesianMf : public Recommender {
 public:
  explicit BayesianMf(BayesianMfOptions options) : options_(options) {}
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  // Scores are the predicted ratings.
  void ScoreItems(int32_t user, std::span<float> scores) const override;
  bool PredictsRatings() const override { return true; }
  float PredictRating(int32_t user, int32_t item) const override;

 private:
  BayesianMfOptions options_;
  float global_mean_ = 0;
  int32_t num_users_ = 0, num_items_ = 0;
  // Sum over kept samples of the biases; factors of every kept sample (prediction is the
  // mean of the per-sample dot products, not the dot product of the means).
  std::vector<double> user_bias_sum_, item_bias_sum_;
  std::vector<Eigen::MatrixXf> user_samples_, item_samples_;  // factors x users / items
};

}  // namespace aidmp::recommend
