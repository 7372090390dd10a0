// A hybrid that blends other recommenders: each component's scores for a user are
// standardised (z-scores over the catalogue) and summed with weights chosen on the
// validation data. Cold start: a user without training data gets popularity; items
// nobody interacted with get only what a content-based component gives them (the
// collaborative components score them alike), so include one for new items.
// Thread-safety: as Recommender.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "recommend/recommender.h"

namespace aidmp::recommend {

struct HybridComponent {
  std::string name;  // for explanations
  float weight = 1;
  std::unique_ptr<Recommender> model;
};

class Hybrid : public Recommender {
 public:
  explicit Hybrid(std::vector<HybridComponent> components) : components_(std::move(components)) {}
  // Fits every component with a non-zero weight, plus the cold-start fallbacks.
  absl::Status Fit(const TrainSet& train, const FitContext& context) override;
  void ScoreItems(int32_t user, std::span<float> scores) const override;

 private:
  std::vector<HybridComponent> components_;
  std::unique_ptr<Recommender> fallback_;  // popularity, for users without training data
  std::vector<char> known_user_;
};

}  // namespace aidmp::recommend
