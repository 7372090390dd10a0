#include "recommend/ease.h"

#include <cmath>

#include "common/strings.h"

namespace aidmp::recommend {

absl::Status Ease::Fit(const TrainSet& train, const FitContext& context) {
  if (train.num_items > options_.max_items) {
    return absl::InvalidArgumentError(StrCat("EASE: ", train.num_items, " items exceed max_items ", options_.max_items,
                                             " (the dense item-item matrix would be too large)"));
  }
  matrix_ = train.matrix;
  for (int32_t user = 0; user < train.num_users; ++user) {
    for (SparseMatrix::InnerIterator it(matrix_, user); it; ++it) it.valueRef() = 1;
  }
  if (options_.dropout < 0 || options_.dropout >= 1) {
    return absl::InvalidArgumentError(StrCat("EASE: dropout ", options_.dropout, " must be in [0, 1)"));
  }
  const int32_t n = train.num_items;
  Eigen::SparseMatrix<double, Eigen::ColMajor, int32_t> x = matrix_.cast<double>();
  Eigen::SparseMatrix<double, Eigen::ColMajor, int32_t> weighted = x;
  if (options_.user_exponent != 0) {
    Eigen::VectorXd row_weights(train.num_users);
    for (int32_t user = 0; user < train.num_users; ++user) {
      const int64_t count = matrix_.row(user).nonZeros();
      row_weights(user) = count > 0 ? std::pow(static_cast<double>(count), -options_.user_exponent) : 0;
    }
    weighted = row_weights.asDiagonal() * x;
  }
  Eigen::MatrixXd gram = Eigen::MatrixXd(x.transpose() * weighted);
  gram.diagonal() = gram.diagonal() * (1 + options_.dropout / (1 - options_.dropout));
  gram.diagonal().array() += options_.lambda;
  Eigen::MatrixXd p = gram.llt().solve(Eigen::MatrixXd::Identity(n, n));
  // B[i][j] = -P[i][j] / P[j][j], B[j][j] = 0. Stored transposed: Bt(j, i) = B[i][j], so
  // that column i is contiguous; P is symmetric, hence Bt(j, i) = -P(j, i) / P(j, j).
  weights_.resize(n, n);
  for (int32_t column = 0; column < n; ++column) {
    for (int32_t row = 0; row < n; ++row) {
      weights_(row, column) = row == column ? 0.0f : static_cast<float>(-p(row, column) / p(row, row));
    }
  }
  return absl::OkStatus();
}

void Ease::ScoreItems(int32_t user, std::span<float> scores) const {
  Eigen::Map<Eigen::VectorXf> out(scores.data(), static_cast<Eigen::Index>(scores.size()));
  out.setZero();
  if (user < 0 || user >= matrix_.rows()) return;
  for (SparseMatrix::InnerIterator it(matrix_, user); it; ++it) out += weights_.col(it.col());
}

}  // namespace aidmp::recommend
