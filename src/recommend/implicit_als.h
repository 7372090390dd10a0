// Alternating least squares for implicit feedback (Hu, Koren, Volinsky 2008): minimise
// Σ_{u,i} c_ui (p_ui − x_u · y_i)² + λ (Σ|x_u|² + Σ|y_i|²) with preference p_ui = 1 for
// observed pairs (0 otherwise) and confidence c_ui = 1 + α · r_ui. Each half-step solves
// every user's (then item's) normal equations
//   (YᵀY + Yᵀ(C_u − I)Y + λI) x_u = Yᵀ C_u p_u
// approximately by a few conjugate-gradient steps warm-started from the previous x_u
// (Takács, Pilászy, Tikk 2011), touching only the user's observed items, so a sweep costs
// O(nnz · f · steps + users · f²). Users are split over threads.
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
  int threads = 0;          // 0: FitContext.threads
};

class ImplicitAls : public Recommender {
 public:
  explicit ImplicitAls(ImplicitAlsOptions options) : options_(options) {}
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;

  const Eigen::MatrixXf& user_factors() const { return user_factors_; }  // factors x users
  const Eigen::MatrixXf& item_factors() const { return item_factors_; }  // factors x items

 private:
  ImplicitAlsOptions options_;
  Eigen::MatrixXf user_factors_, item_factors_;
};

}  // namespace aidmp::recommend
