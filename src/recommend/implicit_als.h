// Alternating least squares for implicit feedback (Hu, Koren, Volinsky 2008): minimise
// Σ_{u,i} c_ui (p_ui − x_u · y_i)² + λ (Σ|x_u|² + Σ|y_i|²) with preference p_ui = 1 for
// observed pairs (0 otherwise) and confidence c_ui = 1 + α · r_ui. Each half-step solves
// every user's (then item's) normal equations
//   (YᵀY + Yᵀ(C_u − I)Y + λI) x_u = Yᵀ C_u p_u
// approximately by a few conjugate-gradient steps warm-started from the previous x_u
// (Takács, Pilászy, Tikk 2011), touching only the user's observed items, so a sweep costs
// O(nnz · f · steps + users · f²). Users are split over threads.
//
// With a user exponent e > 0, user u's terms of the loss weigh w_u = n_u^−e (n_u the
// user's number of items): Σ_u w_u Σ_i c_ui (p_ui − x_u · y_i)² + λ (...), so heavy users
// shape the item factors less, as EASE's user_exponent does for its Gram matrix. A
// user's own solve is then the unweighted one with λ / w_u; an item's solve uses YᵀWY.
// Thread-safety: as Recommender.
#pragma once

#include <Eigen/Dense>

#include "recommend/recommender.h"

namespace aidmp::recommend {

struct ImplicitAlsOptions {
  int factors = 64;
  int iterations = 15;      // sweeps over users then items
  float regularization = 0.1f;
  float alpha = 1.0f;       // confidence slope
  int cg_steps = 3;         // 0: exact solve by Cholesky (the slow reference)
  float init_std = 0.01f;
  // User u's loss terms weigh n_u^−e; 0 is plain iALS. The weighted loss is smaller, so λ
  // must shrink too (MovieLens 100k: e = 0.5 with λ = 2.5 instead of 20).
  float user_exponent = 0;
  int threads = 0;          // 0: FitContext.threads
};

class ImplicitAls : public Recommender {
 public:
  explicit ImplicitAls(ImplicitAlsOptions options) : options_(options) {}
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;
  std::optional<FactorView> Factors() const override;

  const Eigen::MatrixXf& user_factors() const { return user_factors_; }  // factors x users
  const Eigen::MatrixXf& item_factors() const { return item_factors_; }  // factors x items

 private:
  ImplicitAlsOptions options_;
  Eigen::MatrixXf user_factors_, item_factors_;
};

}  // namespace aidmp::recommend
