// Item-based collaborative filtering: each item keeps its k most similar items (cosine,
// or adjusted cosine on ratings centred by each user's mean; with shrinkage), and a user's
// score for item j is Σ_{i in N_k(j)} R(u,i) · sim(i,j) — RecBole's ItemKNN.
//
// Rating prediction: R̂(u,j) = μ_u + Σ_{i in N_k(j) ∩ I_u} sim(i,j) · (R(u,i) − μ_u) /
// Σ |sim(i,j)|, or μ_u when u rated none of j's neighbours.
// Thread-safety: as Recommender.
#pragma once

#include <vector>

#include "recommend/internal/neighbours.h"
#include "recommend/recommender.h"

namespace aidmp::recommend {

enum class ItemSimilarity { kCosine, kAdjustedCosine };

struct ItemKnnOptions {
  int k = 50;         // neighbours kept per item; <= 0 keeps all
  float shrink = 0;   // added to the cosine's denominator
  ItemSimilarity similarity = ItemSimilarity::kCosine;
  int threads = 0;    // 0: FitContext.threads
};

class ItemKnn : public Recommender {
 public:
  explicit ItemKnn(ItemKnnOptions options) : options_(options) {}
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;
  bool PredictsRatings() const override { return true; }
  float PredictRating(int32_t user, int32_t item) const override;

  // Item j's neighbours N_k(j), best first.
  const std::vector<internal::Neighbour>& Neighbours(int32_t item) const { return neighbours_[item]; }

 private:
  ItemKnnOptions options_;
  SparseMatrix matrix_;  // users x items, as given
  std::vector<float> means_;
  float global_mean_ = 0;
  std::vector<std::vector<internal::Neighbour>> neighbours_;
  // reverse_[i]: the items j with i in N_k(j), with sim(i, j); scoring walks these.
  std::vector<std::vector<internal::Neighbour>> reverse_;
};

}  // namespace aidmp::recommend
