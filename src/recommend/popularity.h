// The non-personalised baseline: items ranked by how many users interacted with them.
// Thread-safety: as Recommender (const methods concurrent after Fit).
#pragma once

#include <vector>

#include "recommend/recommender.h"

namespace aidmp::recommend {

class Popularity : public Recommender {
 public:
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  // Every user gets the same scores: the number of training users of each item.
  void ScoreItems(int32_t user, std::span<float> scores) const override;

 private:
  std::vector<float> counts_;
};

}  // namespace aidmp::recommend
