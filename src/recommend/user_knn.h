// User-based collaborative filtering: the seed formula R̂(u,i) = α · Σ_v sim(u,v) · R(v,i)
// over u's k most similar users v (cosine between rating vectors, with shrinkage).
//
// Ranking: α = 1 / Σ_{v in N_k(u)} |sim(u,v)|, a per-user constant. Rating prediction
// sums only over the neighbours who rated i, with α = 1 / Σ of their |sim|; with
// mean-centring, R̂(u,i) = μ_u + α · Σ_v sim(u,v) · (R(v,i) − μ_v), and the similarity is
// computed on the centred vectors (Pearson-like). Without neighbours who rated i the
// prediction is μ_u (or the global mean for unknown users).
// Thread-safety: as Recommender.
#pragma once

#include <vector>

#include "recommend/internal/neighbours.h"
#include "recommend/recommender.h"

namespace aidmp::recommend {

struct UserKnnOptions {
  int k = 50;              // neighbours per user; <= 0 keeps all
  float shrink = 0;        // added to the cosine's denominator; damps small overlaps
  bool mean_centring = false;  // subtract each user's mean rating (explicit data)
  int threads = 0;         // 0: FitContext.threads
};

class UserKnn : public Recommender {
 public:
  explicit UserKnn(UserKnnOptions options) : options_(options) {}
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;
  bool PredictsRatings() const override { return true; }
  float PredictRating(int32_t user, int32_t item) const override;

  // The neighbours of `user`, best first (for explanations and tests).
  const std::vector<internal::Neighbour>& Neighbours(int32_t user) const { return neighbours_[user]; }

 private:
  UserKnnOptions options_;
  SparseMatrix matrix_;        // users x items, as trained (centred with mean_centring)
  SparseMatrix by_item_;       // the same, transposed (items x users)
  std::vector<float> means_;   // per user
  float global_mean_ = 0;
  std::vector<std::vector<internal::Neighbour>> neighbours_;
};

}  // namespace aidmp::recommend
