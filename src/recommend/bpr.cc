#include "recommend/bpr.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace aidmp::recommend {

absl::Status Bpr::Fit(const TrainSet& train, const FitContext& context) {
  const int k = options_.factors;
  std::mt19937_64 rng(context.seed);
  std::normal_distribution<float> normal(0, options_.init_std);
  user_factors_.resize(k, train.num_users);
  item_factors_.resize(k, train.num_items);
  for (Eigen::Index idx = 0; idx < user_factors_.size(); ++idx) user_factors_.data()[idx] = normal(rng);
  for (Eigen::Index idx = 0; idx < item_factors_.size(); ++idx) item_factors_.data()[idx] = normal(rng);
  item_bias_.assign(train.num_items, 0);
  const SparseMatrix& matrix = train.matrix;
  const int64_t pairs = matrix.nonZeros();
  if (pairs == 0 || train.num_items < 2) return absl::OkStatus();
  // The user of every stored pair, to draw pairs uniformly.
  std::vector<int32_t> pair_user(pairs);
  for (int32_t user = 0; user < train.num_users; ++user) {
    for (int64_t pos = matrix.outerIndexPtr()[user]; pos < matrix.outerIndexPtr()[user + 1]; ++pos) pair_user[pos] = user;
  }
  std::uniform_int_distribution<int64_t> pick_pair(0, pairs - 1);
  std::uniform_int_distribution<int32_t> pick_item(0, train.num_items - 1);
  const float rate = options_.learning_rate, reg = options_.regularization;
  Eigen::VectorXf p_old(k);
  for (int epoch = 0; epoch < options_.epochs; ++epoch) {
    for (int64_t sample = 0; sample < pairs; ++sample) {
      int64_t pos = pick_pair(rng);
      int32_t user = pair_user[pos];
      int32_t positive = matrix.innerIndexPtr()[pos];
      const int32_t* first = matrix.innerIndexPtr() + matrix.outerIndexPtr()[user];
      const int32_t* last = matrix.innerIndexPtr() + matrix.outerIndexPtr()[user + 1];
      if (last - first >= train.num_items) continue;  // the user has seen everything
      int32_t negative;
      do {
        negative = pick_item(rng);
      } while (std::binary_search(first, last, negative));
      auto p = user_factors_.col(user);
      auto qi = item_factors_.col(positive);
      auto qj = item_factors_.col(negative);
      float difference = item_bias_[positive] - item_bias_[negative] + p.dot(qi - qj);
      // d/dθ ln σ(x) = σ(−x) · dx/dθ
      float gradient = 1.0f / (1.0f + std::exp(difference));
      item_bias_[positive] += rate * (gradient - reg * item_bias_[positive]);
      item_bias_[negative] += rate * (-gradient - reg * item_bias_[negative]);
      p_old = p;
      p += rate * (gradient * (qi - qj) - reg * p);
      qi += rate * (gradient * p_old - reg * qi);
      qj += rate * (-gradient * p_old - reg * qj);
    }
  }
  return absl::OkStatus();
}

void Bpr::ScoreItems(int32_t user, std::span<float> scores) const {
  Eigen::Map<Eigen::VectorXf> out(scores.data(), static_cast<Eigen::Index>(scores.size()));
  out = Eigen::Map<const Eigen::VectorXf>(item_bias_.data(), static_cast<Eigen::Index>(item_bias_.size()));
  if (user < 0 || user >= user_factors_.cols()) return;
  out.noalias() += item_factors_.transpose() * user_factors_.col(user);
}

std::optional<FactorView> Bpr::Factors() const {
  if (item_bias_.empty() && user_factors_.size() == 0) return std::nullopt;
  return FactorView{&user_factors_, &item_factors_, item_bias_};
}

}  // namespace aidmp::recommend
