#include "recommend/user_knn.h"

#include <algorithm>
#include <cmath>

namespace aidmp::recommend {

absl::Status UserKnn::Fit(const TrainSet& train, const FitContext& context) {
  matrix_ = train.matrix;
  global_mean_ = internal::RowMeans(matrix_, &means_);
  if (options_.mean_centring) {
    for (int32_t user = 0; user < train.num_users; ++user) {
      for (SparseMatrix::InnerIterator it(matrix_, user); it; ++it) it.valueRef() -= means_[user];
    }
  }
  by_item_ = matrix_.transpose();
  int threads = options_.threads > 0 ? options_.threads : context.threads;
  neighbours_ = internal::CosineNeighbours(matrix_, options_.k, options_.shrink, threads);
  return absl::OkStatus();
}

void UserKnn::ScoreItems(int32_t user, std::span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  double norm = 0;
  for (const internal::Neighbour& neighbour : neighbours_[user]) {
    norm += std::abs(neighbour.similarity);
    for (SparseMatrix::InnerIterator it(matrix_, neighbour.index); it; ++it) {
      scores[it.col()] += neighbour.similarity * it.value();
    }
  }
  if (norm == 0) return;
  float alpha = static_cast<float>(1.0 / norm);
  for (float& score : scores) score *= alpha;
}

float UserKnn::PredictRating(int32_t user, int32_t item) const {
  if (user < 0 || user >= static_cast<int32_t>(neighbours_.size())) return global_mean_;
  float base = options_.mean_centring ? means_[user] : 0;
  if (item < 0 || item >= by_item_.rows()) return means_[user];
  // The item's raters are sorted by user index: a binary search per neighbour.
  const int32_t* first = by_item_.innerIndexPtr() + by_item_.outerIndexPtr()[item];
  const int32_t* last = by_item_.innerIndexPtr() + by_item_.outerIndexPtr()[item + 1];
  double weighted = 0, norm = 0;
  for (const internal::Neighbour& neighbour : neighbours_[user]) {
    const int32_t* found = std::lower_bound(first, last, neighbour.index);
    if (found == last || *found != neighbour.index) continue;
    float value = by_item_.valuePtr()[found - by_item_.innerIndexPtr()];
    weighted += neighbour.similarity * value;
    norm += std::abs(neighbour.similarity);
  }
  if (norm == 0) return means_[user];
  return base + static_cast<float>(weighted / norm);
}

}  // namespace aidmp::recommend
