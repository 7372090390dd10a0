#include "recommend/biased_mf.h"

#include <algorithm>
#include <random>

namespace aidmp::recommend {

absl::Status BiasedMf::Fit(const TrainSet& train, const FitContext& context) {
  if (!train.explicit_ratings) return absl::InvalidArgumentError("biased MF needs explicit ratings");
  struct Cell {
    int32_t user, item;
    float rating;
  };
  std::vector<Cell> cells;
  cells.reserve(train.matrix.nonZeros());
  double sum = 0;
  for (int32_t user = 0; user < train.num_users; ++user) {
    for (SparseMatrix::InnerIterator it(train.matrix, user); it; ++it) {
      cells.push_back({user, static_cast<int32_t>(it.col()), it.value()});
      sum += it.value();
    }
  }
  global_mean_ = cells.empty() ? 0 : static_cast<float>(sum / cells.size());
  user_bias_.assign(train.num_users, 0);
  item_bias_.assign(train.num_items, 0);
  const int k = options_.factors;
  std::mt19937_64 rng(context.seed);
  std::normal_distribution<float> normal(0, options_.init_std);
  user_factors_.resize(k, train.num_users);
  item_factors_.resize(k, train.num_items);
  for (Eigen::Index idx = 0; idx < user_factors_.size(); ++idx) user_factors_.data()[idx] = normal(rng);
  for (Eigen::Index idx = 0; idx < item_factors_.size(); ++idx) item_factors_.data()[idx] = normal(rng);

  float rate = options_.learning_rate;
  const float reg = options_.regularization, bias_reg = options_.bias_regularization;
  Eigen::VectorXf p_old(k);
  for (int epoch = 0; epoch < options_.epochs; ++epoch) {
    std::shuffle(cells.begin(), cells.end(), rng);
    for (const Cell& cell : cells) {
      auto p = user_factors_.col(cell.user);
      auto q = item_factors_.col(cell.item);
      float error = cell.rating - (global_mean_ + user_bias_[cell.user] + item_bias_[cell.item] + (k > 0 ? p.dot(q) : 0));
      user_bias_[cell.user] += rate * (error - bias_reg * user_bias_[cell.user]);
      item_bias_[cell.item] += rate * (error - bias_reg * item_bias_[cell.item]);
      if (k == 0) continue;
      p_old = p;
      p += rate * (error * q - reg * p);
      q += rate * (error * p_old - reg * q);
    }
    rate *= options_.learning_rate_decay;
  }
  return absl::OkStatus();
}

void BiasedMf::ScoreItems(int32_t user, std::span<float> scores) const {
  for (int32_t item = 0; item < static_cast<int32_t>(scores.size()); ++item) scores[item] = PredictRating(user, item);
}

float BiasedMf::PredictRating(int32_t user, int32_t item) const {
  bool known_user = user >= 0 && user < static_cast<int32_t>(user_bias_.size());
  bool known_item = item >= 0 && item < static_cast<int32_t>(item_bias_.size());
  float prediction = global_mean_;
  if (known_user) prediction += user_bias_[user];
  if (known_item) prediction += item_bias_[item];
  if (known_user && known_item && options_.factors > 0) prediction += user_factors_.col(user).dot(item_factors_.col(item));
  return prediction;
}

// μ + b_u is the user's constant; with factors = 0 the matrices have no rows and the
// inner product is 0, leaving b_i, which is how the bias-only model ranks.
std::optional<FactorView> BiasedMf::Factors() const {
  if (item_bias_.empty() && user_bias_.empty()) return std::nullopt;
  return FactorView{&user_factors_, &item_factors_, item_bias_};
}

}  // namespace aidmp::recommend
