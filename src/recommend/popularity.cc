#include "recommend/popularity.h"

#include <algorithm>

namespace aidmp::recommend {

absl::Status Popularity::Fit(const TrainSet& train, const FitContext& context) {
  counts_.assign(train.num_items, 0);
  for (int32_t user = 0; user < train.num_users; ++user) {
    for (SparseMatrix::InnerIterator it(train.matrix, user); it; ++it) counts_[it.col()] += 1;
  }
  return absl::OkStatus();
}

void Popularity::ScoreItems(int32_t user, std::span<float> scores) const {
  std::copy(counts_.begin(), counts_.end(), scores.begin());
}

}  // namespace aidmp::recommend
