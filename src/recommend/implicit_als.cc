#include "recommend/implicit_als.h"

#include <cmath>
#include <random>

#include "common/parallel.h"

namespace aidmp::recommend {
namespace {

// One half-step: updates every column of `solve` (factors x rows of `matrix`) against the
// fixed `fixed` (factors x columns of `matrix`). Every (row, column) term of the loss is
// weighted by the user's weight, which sits in `row_weights` when rows are users (then a
// row's problem is the unweighted one with λ / w_u) and in `fixed_weights` when they are
// items (then YᵀY and the observed terms carry w_u).
void SolveSide(const SparseMatrix& matrix, const Eigen::MatrixXf& fixed, Eigen::MatrixXf* solve,
               const ImplicitAlsOptions& options, int threads, const Eigen::VectorXf& row_weights,
               const Eigen::VectorXf& fixed_weights) {
  const int f = options.factors;
  const Eigen::MatrixXf gram = fixed * fixed_weights.asDiagonal() * fixed.transpose();  // YᵀWY, f x f
  ParallelFor(matrix.rows(), threads, [&](int64_t row) {
    const float reg = options.regularization / row_weights(row);
    auto x = solve->col(row);
    if (options.cg_steps <= 0) {
      // Exact: A = YᵀWY + λI + Σ_i w_i (c_i − 1) y_i y_iᵀ, b = Σ_i w_i c_i y_i.
      Eigen::MatrixXf a = gram;
      a.diagonal().array() += reg;
      Eigen::VectorXf b = Eigen::VectorXf::Zero(f);
      for (SparseMatrix::InnerIterator it(matrix, row); it; ++it) {
        const float weight = fixed_weights(it.col());
        float confidence = 1 + options.alpha * it.value();
        auto y = fixed.col(it.col());
        a.noalias() += weight * (confidence - 1) * y * y.transpose();
        b.noalias() += weight * confidence * y;
      }
      x = a.llt().solve(b);
      return;
    }
    // Conjugate gradient on A x = b without forming A: A v = YᵀWY v + λ v + Σ_i w_i (c_i − 1)(y_i·v) y_i.
    Eigen::VectorXf r = -(gram * x) - reg * x;
    for (SparseMatrix::InnerIterator it(matrix, row); it; ++it) {
      const float weight = fixed_weights(it.col());
      float confidence = 1 + options.alpha * it.value();
      auto y = fixed.col(it.col());
      r.noalias() += weight * (confidence - (confidence - 1) * y.dot(x)) * y;
    }
    Eigen::VectorXf p = r;
    float rs_old = r.squaredNorm();
    Eigen::VectorXf ap(f);
    for (int step = 0; step < options.cg_steps && rs_old > 1e-20f; ++step) {
      ap.noalias() = gram * p;
      ap += reg * p;
      for (SparseMatrix::InnerIterator it(matrix, row); it; ++it) {
        const float weight = fixed_weights(it.col());
        float confidence = 1 + options.alpha * it.value();
        auto y = fixed.col(it.col());
        ap.noalias() += weight * (confidence - 1) * y.dot(p) * y;
      }
      float step_size = rs_old / p.dot(ap);
      x += step_size * p;
      r -= step_size * ap;
      float rs_new = r.squaredNorm();
      p = r + (rs_new / rs_old) * p;
      rs_old = rs_new;
    }
  });
}

}  // namespace

absl::Status ImplicitAls::Fit(const TrainSet& train, const FitContext& context) {
  std::mt19937_64 rng(context.seed);
  std::normal_distribution<float> normal(0, options_.init_std);
  user_factors_.resize(options_.factors, train.num_users);
  item_factors_.resize(options_.factors, train.num_items);
  for (Eigen::Index idx = 0; idx < user_factors_.size(); ++idx) user_factors_.data()[idx] = normal(rng);
  for (Eigen::Index idx = 0; idx < item_factors_.size(); ++idx) item_factors_.data()[idx] = normal(rng);
  SparseMatrix by_item = train.matrix.transpose();
  int threads = options_.threads > 0 ? options_.threads : context.threads;
  // w_u = n_u^−e per user; items carry no weight of their own.
  Eigen::VectorXf user_weights = Eigen::VectorXf::Ones(train.num_users);
  const Eigen::VectorXf item_weights = Eigen::VectorXf::Ones(train.num_items);
  if (options_.user_exponent != 0) {
    for (int32_t user = 0; user < train.num_users; ++user) {
      const int64_t count = train.matrix.row(user).nonZeros();
      user_weights(user) = count > 0 ? std::pow(static_cast<float>(count), -options_.user_exponent) : 1.0f;
    }
  }
  for (int iteration = 0; iteration < options_.iterations; ++iteration) {
    SolveSide(train.matrix, item_factors_, &user_factors_, options_, threads, user_weights, item_weights);
    SolveSide(by_item, user_factors_, &item_factors_, options_, threads, item_weights, user_weights);
  }
  return absl::OkStatus();
}

void ImplicitAls::ScoreItems(int32_t user, std::span<float> scores) const {
  Eigen::Map<Eigen::VectorXf> out(scores.data(), static_cast<Eigen::Index>(scores.size()));
  if (user < 0 || user >= user_factors_.cols()) {
    out.setZero();
    return;
  }
  out.noalias() = item_factors_.transpose() * user_factors_.col(user);
}

std::optional<FactorView> ImplicitAls::Factors() const {
  if (item_factors_.size() == 0 && user_factors_.size() == 0) return std::nullopt;
  return FactorView{&user_factors_, &item_factors_, {}};
}

}  // namespace aidmp::recommend
