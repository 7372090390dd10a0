#include "recommend/hybrid.h"

#include <cmath>

#include "common/status.h"
#include "recommend/popularity.h"

namespace aidmp::recommend {
namespace {

// Scales `scores` to zero mean and unit variance (all zero if constant).
void Standardise(std::span<float> scores) {
  double sum = 0, squares = 0;
  for (float score : scores) {
    sum += score;
    squares += static_cast<double>(score) * score;
  }
  double n = static_cast<double>(scores.size());
  double mean = sum / n;
  double variance = squares / n - mean * mean;
  float scale = variance > 1e-12 ? static_cast<float>(1 / std::sqrt(variance)) : 0.0f;
  for (float& score : scores) score = static_cast<float>((score - mean) * scale);
}

}  // namespace

absl::Status Hybrid::Fit(const TrainSet& train, const FitContext& context) {
  for (HybridComponent& component : components_) {
    if (component.weight == 0) continue;
    AIDMP_RETURN_IF_ERROR(component.model->Fit(train, context));
  }
  fallback_ = std::make_unique<Popularity>();
  AIDMP_RETURN_IF_ERROR(fallback_->Fit(train, context));
  known_user_.assign(train.num_users, 0);
  for (int32_t user = 0; user < train.num_users; ++user) known_user_[user] = train.matrix.row(user).nonZeros() > 0;
  return absl::OkStatus();
}

void Hybrid::ScoreItems(int32_t user, std::span<float> scores) const {
  bool known = user >= 0 && user < static_cast<int32_t>(known_user_.size()) && known_user_[user];
  if (!known) {
    fallback_->ScoreItems(user, scores);
    return;
  }
  std::fill(scores.begin(), scores.end(), 0.0f);
  std::vector<float> component_scores(scores.size());
  for (const HybridComponent& component : components_) {
    if (component.weight == 0) continue;
    component.model->ScoreItems(user, component_scores);
    Standardise(component_scores);
    for (size_t item = 0; item < scores.size(); ++item) scores[item] += component.weight * component_scores[item];
  }
}

}  // namespace aidmp::recommend
