// RP3beta (Christoffel et al. 2015, "Blockbusters and Wallflowers"; Paudel et al. 2017):
// item-item weights from a three-step random walk user -> item -> user -> item on the
// bipartite interaction graph, with a popularity penalty.
//
// With P_ui the users x items matrix with each row divided by its sum (a walk from a user
// to one of their items, weighted by the values) and P_iu the binarised items x users
// matrix with each row divided by its sum (from an item to one of its users, uniformly):
//   W(i, j) = [P_iu^α · P_ui^α](i, j) / deg(j)^β,   W(i, i) = 0,
// where ^α is an element-wise power and deg(j) the number of users of item j. Each row
// keeps its k largest weights. A user's scores are Σ_i R(u, i) · W(i, j) — the
// implementation of Dacrema et al. ("Are we really making much progress?", 2019).
// α = 1, β = 0 is P3alpha's plain random walk; β > 0 lifts less popular items.
//
// Fit is O(Σ_items Σ_{u in users(i)} deg(u)) time (as item-kNN) and O(items · k) memory.
// Thread-safety: as Recommender.
#pragma once

#include <vector>

#include "recommend/internal/neighbours.h"
#include "recommend/recommender.h"

namespace aidmp::recommend {

struct Rp3BetaOptions {
  float alpha = 1;    // element-wise exponent on both transition matrices (> 0)
  float beta = 0.6f;  // popularity penalty: W(i, j) is divided by deg(j)^β (>= 0)
  int k = 200;        // weights kept per item i (the largest W(i, ·)); <= 0 keeps all
  // Divide each kept row of W by its sum (Dacrema et al.'s normalize_similarity).
  bool normalise = false;
  int threads = 0;    // 0: FitContext.threads
};

class Rp3Beta : public Recommender {
 public:
  explicit Rp3Beta(Rp3BetaOptions options) : options_(options) {}
  // InvalidArgument for alpha <= 0 or beta < 0.
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;

  // Row i of W after the top-k cut: (j, W(i, j)), largest first.
  const std::vector<internal::Neighbour>& Weights(int32_t item) const { return weights_[item]; }

 private:
  Rp3BetaOptions options_;
  SparseMatrix matrix_;  // users x items, as given
  std::vector<std::vector<internal::Neighbour>> weights_;
};

}  // namespace aidmp::recommend
