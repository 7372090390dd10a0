#include "recommend/item_knn.h"

#include <algorithm>
#include <cmath>

namespace aidmp::recommend {

absl::Status ItemKnn::Fit(const TrainSet& train, const FitContext& context) {
  if (options_.similarity == ItemSimilarity::kAdjustedCosine && !train.explicit_ratings) {
    return absl::InvalidArgumentError("adjusted cosine needs explicit ratings (implicit values centre to zero)");
  }
  matrix_ = train.matrix;
  global_mean_ = internal::RowMeans(matrix_, &means_);
  SparseMatrix for_similarity = matrix_;
  if (options_.similarity == ItemSimilarity::kAdjustedCosine) {
    for (int32_t user = 0; user < train.num_users; ++user) {
      for (SparseMatrix::InnerIterator it(for_similarity, user); it; ++it) it.valueRef() -= means_[user];
    }
  }
  SparseMatrix items = for_similarity.transpose();
  int threads = options_.threads > 0 ? options_.threads : context.threads;
  neighbours_ = internal::CosineNeighbours(items, options_.k, options_.shrink, threads);
  reverse_.assign(train.num_items, {});
  for (int32_t item = 0; item < train.num_items; ++item) {
    for (const internal::Neighbour& neighbour : neighbours_[item]) {
      reverse_[neighbour.index].push_back({item, neighbour.similarity});
    }
  }
  return absl::OkStatus();
}

void ItemKnn::ScoreItems(int32_t user, std::span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  if (user < 0 || user >= matrix_.rows()) return;
  for (SparseMatrix::InnerIterator it(matrix_, user); it; ++it) {
    for (const internal::Neighbour& target : reverse_[it.col()]) scores[target.index] += it.value() * target.similarity;
  }
}

float ItemKnn::PredictRating(int32_t user, int32_t item) const {
  if (user < 0 || user >= matrix_.rows()) return global_mean_;
  if (item < 0 || item >= static_cast<int32_t>(neighbours_.size())) return means_[user];
  const int32_t* first = matrix_.innerIndexPtr() + matrix_.outerIndexPtr()[user];
  const int32_t* last = matrix_.innerIndexPtr() + matrix_.outerIndexPtr()[user + 1];
  double weighted = 0, norm = 0;
  for (const internal::Neighbour& neighbour : neighbours_[item]) {
    const int32_t* found = std::lower_bound(first, last, neighbour.index);
    if (found == last || *found != neighbour.index) continue;
    float value = matrix_.valuePtr()[found - matrix_.innerIndexPtr()];
    weighted += neighbour.similarity * (value - means_[user]);
    norm += std::abs(neighbour.similarity);
  }
  if (norm == 0) return means_[user];
  return means_[user] + static_cast<float>(weighted / norm);
}

}  // namespace aidmp::recommend
