// SVD++ (Koren, KDD 2008, "Factorization meets the neighborhood", section 4): biased
// matrix factorisation in which a user is also described by the items they rated,
//   R̂(u,i) = μ + b_u + b_i + q_i · (p_u + |N(u)|^-½ Σ_{j in N(u)} y_j),
// N(u) the items u rated in training. Learned by stochastic gradient descent on the
// squared error, with e = R(u,i) − R̂(u,i) and rate γ, per rating:
//   b_u += γ (e − λ_b b_u)            b_i += γ (e − λ_b b_i)
//   p_u += γ (e q_i − λ p_u)          q_i += γ (e (p_u + |N(u)|^-½ Σ y_j) − λ q_i)
//   y_j += γ (e |N(u)|^-½ q_i − λ y_j)  for every j in N(u)
// (all right-hand sides use the values before the step, as in Surprise's SVDpp). An epoch
// visits the users in a new random order and each user's ratings in a random order. Since
// every y_j of a user moves by the same vector, the updates are applied to the implicit
// sum and to the y_j in closed form once per user: exactly the per-rating result in
// O(factors · (ratings + |N(u)|)) per user instead of O(factors · ratings · |N(u)|).
//
// Users without training ratings get μ + b_i, items without them μ + b_u (their factors
// are zeroed after training, not left at their random start). For ranking, a user's
// scores are the predicted ratings.
// Thread-safety: as Recommender.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "recommend/recommender.h"

namespace aidmp::recommend {

struct SvdPlusPlusOptions {
  // Defaults chosen on held-out training ratings of MovieLens 100k (docs/benchmarks.md);
  // Surprise's SVDpp uses 20 factors, 20 epochs, γ 0.007, λ 0.02, init 0.1, no decay.
  int factors = 100;
  int epochs = 60;
  float learning_rate = 0.007f;        // γ
  float learning_rate_decay = 0.98f;   // γ is multiplied by this after every epoch
  float regularization = 0.06f;        // λ, on p_u, q_i and y_j
  float bias_regularization = 0.02f;   // λ_b, on b_u and b_i
  float init_std = 0.05f;              // p, q and y start as N(0, init_std²)
};

class SvdPlusPlus : public Recommender {
 public:
  explicit SvdPlusPlus(SvdPlusPlusOptions options) : options_(options) {}
  // InvalidArgument on implicit data.
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;
  bool PredictsRatings() const override { return true; }
  float PredictRating(int32_t user, int32_t item) const override;

  // The learned parameters (for tests and explanations): factors x users / items.
  float global_mean() const { return global_mean_; }
  const std::vector<float>& user_bias() const { return user_bias_; }
  const std::vector<float>& item_bias() const { return item_bias_; }
  const Eigen::MatrixXf& user_factors() const { return user_factors_; }      // p
  const Eigen::MatrixXf& item_factors() const { return item_factors_; }      // q
  const Eigen::MatrixXf& implicit_factors() const { return implicit_factors_; }  // y

 private:
  SvdPlusPlusOptions options_;
  float global_mean_ = 0;
  std::vector<float> user_bias_, item_bias_;
  Eigen::MatrixXf user_factors_, item_factors_, implicit_factors_;
  // p_u + |N(u)|^-½ Σ y_j per user, computed once after training.
  Eigen::MatrixXf user_vectors_;
};

}  // namespace aidmp::recommend
