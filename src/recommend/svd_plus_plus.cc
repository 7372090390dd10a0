#include "recommend/svd_plus_plus.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace aidmp::recommend {

absl::Status SvdPlusPlus::Fit(const TrainSet& train, const FitContext& context) {
  if (!train.explicit_ratings) return absl::InvalidArgumentError("SVD++ needs explicit ratings");
  const SparseMatrix& ratings = train.matrix;
  double sum = 0;
  for (int64_t idx = 0; idx < ratings.nonZeros(); ++idx) sum += ratings.valuePtr()[idx];
  global_mean_ = ratings.nonZeros() > 0 ? static_cast<float>(sum / static_cast<double>(ratings.nonZeros())) : 0;
  user_bias_.assign(train.num_users, 0);
  item_bias_.assign(train.num_items, 0);
  const int k = options_.factors;
  std::mt19937_64 rng(context.seed);
  std::normal_distribution<float> normal(0, options_.init_std);
  user_factors_.resize(k, train.num_users);
  item_factors_.resize(k, train.num_items);
  implicit_factors_.resize(k, train.num_items);
  for (Eigen::MatrixXf* factors : {&user_factors_, &item_factors_, &implicit_factors_}) {
    for (Eigen::Index idx = 0; idx < factors->size(); ++idx) factors->data()[idx] = normal(rng);
  }

  std::vector<int32_t> users(train.num_users);
  std::iota(users.begin(), users.end(), 0);
  std::vector<int32_t> order;  // positions of one user's ratings in the row
  float rate = options_.learning_rate;
  const float reg = options_.regularization, bias_reg = options_.bias_regularization;
  Eigen::VectorXf implicit_sum(k), y_shift(k), p_old(k), z_old(k);
  for (int epoch = 0; epoch < options_.epochs; ++epoch) {
    std::shuffle(users.begin(), users.end(), rng);
    const float decay = 1 - rate * reg;  // what one step's regularisation does to y_j
    for (int32_t user : users) {
      const int64_t begin = ratings.outerIndexPtr()[user], end = ratings.outerIndexPtr()[user + 1];
      const int64_t count = end - begin;
      if (count == 0) continue;
      const int32_t* items = ratings.innerIndexPtr() + begin;
      const float* values = ratings.valuePtr() + begin;
      const float scale = 1 / std::sqrt(static_cast<float>(count));  // |N(u)|^-½
      implicit_sum.setZero();
      for (int64_t idx = 0; idx < count; ++idx) implicit_sum += implicit_factors_.col(items[idx]);
      implicit_sum *= scale;  // z = |N(u)|^-½ Σ y_j, kept equal to it through the steps
      y_shift.setZero();      // after t steps every y_j = decay^t · y_j(0) + y_shift
      order.resize(count);
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      auto p = user_factors_.col(user);
      for (int32_t position : order) {
        const int32_t item = items[position];
        auto q = item_factors_.col(item);
        const float error =
            values[position] - (global_mean_ + user_bias_[user] + item_bias_[item] + q.dot(p + implicit_sum));
        user_bias_[user] += rate * (error - bias_reg * user_bias_[user]);
        item_bias_[item] += rate * (error - bias_reg * item_bias_[item]);
        p_old = p;
        z_old = implicit_sum;
        p += rate * (error * q - reg * p);
        // Σ over N(u) of the y_j step, times |N(u)|^-½: z' = decay·z + γ e q_i.
        implicit_sum = decay * implicit_sum + rate * error * q;
        y_shift = decay * y_shift + (rate * error * scale) * q;
        q += rate * (error * (p_old + z_old) - reg * q);
      }
      const float total_decay = std::pow(decay, static_cast<float>(count));
      for (int64_t idx = 0; idx < count; ++idx) {
        auto y = implicit_factors_.col(items[idx]);
        y = total_decay * y + y_shift;
      }
    }
    rate *= options_.learning_rate_decay;
  }

  // Factors that never met a rating are still their random start: they must not add noise.
  user_vectors_ = user_factors_;
  std::vector<char> rated(train.num_items, 0);
  for (int64_t idx = 0; idx < ratings.nonZeros(); ++idx) rated[ratings.innerIndexPtr()[idx]] = 1;
  for (int32_t item = 0; item < train.num_items; ++item) {
    if (!rated[item]) item_factors_.col(item).setZero();
  }
  for (int32_t user = 0; user < train.num_users; ++user) {
    const int64_t count = ratings.outerIndexPtr()[user + 1] - ratings.outerIndexPtr()[user];
    if (count == 0) {
      user_vectors_.col(user).setZero();
      continue;
    }
    implicit_sum.setZero();
    for (SparseMatrix::InnerIterator it(ratings, user); it; ++it) implicit_sum += implicit_factors_.col(it.col());
    user_vectors_.col(user) += implicit_sum / std::sqrt(static_cast<float>(count));
  }
  return absl::OkStatus();
}

void SvdPlusPlus::ScoreItems(int32_t user, std::span<float> scores) const {
  for (int32_t item = 0; item < static_cast<int32_t>(scores.size()); ++item) scores[item] = PredictRating(user, item);
}

float SvdPlusPlus::PredictRating(int32_t user, int32_t item) const {
  const bool known_user = user >= 0 && user < static_cast<int32_t>(user_bias_.size());
  const bool known_item = item >= 0 && item < static_cast<int32_t>(item_bias_.size());
  float prediction = global_mean_;
  if (known_user) prediction += user_bias_[user];
  if (known_item) prediction += item_bias_[item];
  if (known_user && known_item && options_.factors > 0) {
    prediction += item_factors_.col(item).dot(user_vectors_.col(user));
  }
  return prediction;
}

}  // namespace aidmp::recommend
