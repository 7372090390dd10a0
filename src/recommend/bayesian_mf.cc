#include "recommend/bayesian_mf.h"

#include <cmath>
#include <random>

namespace aidmp::recommend {
namespace {

// Wishart(scale, dof) by the Bartlett decomposition: L A Aᵀ Lᵀ with L = chol(scale).
Eigen::MatrixXd SampleWishart(const Eigen::MatrixXd& scale, double dof, std::mt19937_64& rng) {
  const int d = static_cast<int>(scale.rows());
  Eigen::MatrixXd lower = scale.llt().matrixL();
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(d, d);
  std::normal_distribution<double> normal(0, 1);
  for (int row = 0; row < d; ++row) {
    std::chi_squared_distribution<double> chi2(dof - row);
    a(row, row) = std::sqrt(chi2(rng));
    for (int col = 0; col < row; ++col) a(row, col) = normal(rng);
  }
  Eigen::MatrixXd la = lower * a;
  return la * la.transpose();
}

// A draw from N(mean, precision⁻¹).
Eigen::VectorXd SampleGaussian(const Eigen::VectorXd& mean, const Eigen::MatrixXd& precision, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0, 1);
  Eigen::VectorXd z(mean.size());
  for (Eigen::Index idx = 0; idx < z.size(); ++idx) z(idx) = normal(rng);
  Eigen::LLT<Eigen::MatrixXd> llt(precision);
  // precision = L Lᵀ; x = L⁻ᵀ z has covariance (L Lᵀ)⁻¹.
  return mean + llt.matrixU().solve(z);
}

struct Hyper {
  Eigen::VectorXd mean;
  Eigen::MatrixXd precision;
};

// Samples the Normal-Wishart hyper-parameters of the columns of `factors`
// (prior: μ0 = 0, β0 = 2, W0 = I, ν0 = d).
Hyper SampleHyper(const Eigen::MatrixXf& factors, std::mt19937_64& rng) {
  const int d = static_cast<int>(factors.rows());
  const double n = static_cast<double>(factors.cols());
  const double beta0 = 2, nu0 = d;
  Eigen::MatrixXd x = factors.cast<double>();
  Eigen::VectorXd mean = x.rowwise().mean();
  Eigen::MatrixXd centred = x.colwise() - mean;
  Eigen::MatrixXd scatter = centred * centred.transpose();  // N S
  Eigen::MatrixXd w_inverse = Eigen::MatrixXd::Identity(d, d) + scatter + (beta0 * n / (beta0 + n)) * mean * mean.transpose();
  Eigen::MatrixXd w = w_inverse.inverse();
  w = (w + w.transpose()) / 2;
  Hyper hyper;
  hyper.precision = SampleWishart(w, nu0 + n, rng);
  Eigen::VectorXd mean_star = (n * mean) / (beta0 + n);
  hyper.mean = SampleGaussian(mean_star, (beta0 + n) * hyper.precision, rng);
  return hyper;
}

}  // namespace

absl::Status BayesianMf::Fit(const TrainSet& train, const FitContext& context) {
  if (!train.explicit_ratings) return absl::InvalidArgumentError("Bayesian MF needs explicit ratings");
  const int d = options_.factors;
  num_users_ = train.num_users;
  num_items_ = train.num_items;
  std::mt19937_64 rng(context.seed);
  std::normal_distribution<float> init(0, options_.init_std);
  std::normal_distribution<double> normal(0, 1);
  const SparseMatrix& by_user = train.matrix;
  SparseMatrix by_item = train.matrix.transpose();
  double sum = 0;
  for (int32_t user = 0; user < num_users_; ++user) {
    for (SparseMatrix::InnerIterator it(by_user, user); it; ++it) sum += it.value();
  }
  const double n_ratings = static_cast<double>(by_user.nonZeros());
  global_mean_ = n_ratings > 0 ? static_cast<float>(sum / n_ratings) : 0;
  Eigen::MatrixXf users(d, num_users_), items(d, num_items_);
  for (Eigen::Index idx = 0; idx < users.size(); ++idx) users.data()[idx] = init(rng);
  for (Eigen::Index idx = 0; idx < items.size(); ++idx) items.data()[idx] = init(rng);
  std::vector<double> user_bias(num_users_, 0), item_bias(num_items_, 0);
  double tau = 1, user_bias_precision = 1, item_bias_precision = 1;
  user_bias_sum_.assign(num_users_, 0);
  item_bias_sum_.assign(num_items_, 0);
  user_samples_.clear();
  item_samples_.clear();

  // One side's Gibbs step: biases then factors of every row of `matrix`, the other side
  // fixed. `self_bias`/`other_bias` are the biases of the rows/columns.
  auto sweep = [&](const SparseMatrix& matrix, Eigen::MatrixXf& self, const Eigen::MatrixXf& other,
                   std::vector<double>& self_bias, const std::vector<double>& other_bias, double bias_precision) {
    Hyper hyper = SampleHyper(self, rng);
    Eigen::VectorXd prior_term = hyper.precision * hyper.mean;
    for (Eigen::Index row = 0; row < matrix.rows(); ++row) {
      // Bias: Gaussian with precision bias_precision + τ n, mean τ Σ residual / precision.
      double residual_sum = 0;
      int count = 0;
      for (SparseMatrix::InnerIterator it(matrix, row); it; ++it, ++count) {
        residual_sum += it.value() - global_mean_ - other_bias[it.col()] - self.col(row).dot(other.col(it.col()));
      }
      double precision = bias_precision + tau * count;
      self_bias[row] = tau * residual_sum / precision + normal(rng) / std::sqrt(precision);
      // Factors: precision Λ + τ Σ v vᵀ, mean (τ Σ v (r − μ − b_u − b_i) + Λ μ_hyper) / precision.
      Eigen::MatrixXd factor_precision = hyper.precision;
      Eigen::VectorXd rhs = prior_term;
      for (SparseMatrix::InnerIterator it(matrix, row); it; ++it) {
        Eigen::VectorXd v = other.col(it.col()).cast<double>();
        factor_precision.noalias() += tau * v * v.transpose();
        rhs.noalias() += tau * (it.value() - global_mean_ - self_bias[row] - other_bias[it.col()]) * v;
      }
      Eigen::LLT<Eigen::MatrixXd> llt(factor_precision);
      Eigen::VectorXd mean = llt.solve(rhs);
      Eigen::VectorXd z(d);
      for (int idx = 0; idx < d; ++idx) z(idx) = normal(rng);
      self.col(row) = (mean + llt.matrixU().solve(z)).cast<float>();
    }
  };
  // Gamma(a, rate b) draws for the precisions; prior a0 = b0 = 1.
  auto sample_gamma = [&](double shape, double rate) { return std::gamma_distribution<double>(shape, 1 / rate)(rng); };

  for (int sample = 0; sample < options_.samples; ++sample) {
    sweep(by_user, users, items, user_bias, item_bias, user_bias_precision);
    sweep(by_item, items, users, item_bias, user_bias, item_bias_precision);
    double squared_error = 0;
    for (int32_t user = 0; user < num_users_; ++user) {
      for (SparseMatrix::InnerIterator it(by_user, user); it; ++it) {
        double error = it.value() - global_mean_ - user_bias[user] - item_bias[it.col()] - users.col(user).dot(items.col(it.col()));
        squared_error += error * error;
      }
    }
    tau = sample_gamma(1 + n_ratings / 2, 1 + squared_error / 2);
    double user_squares = 0, item_squares = 0;
    for (double bias : user_bias) user_squares += bias * bias;
    for (double bias : item_bias) item_squares += bias * bias;
    user_bias_precision = sample_gamma(1 + num_users_ / 2.0, 1 + user_squares / 2);
    item_bias_precision = sample_gamma(1 + num_items_ / 2.0, 1 + item_squares / 2);
    if (sample < options_.burn_in) continue;
    for (int32_t user = 0; user < num_users_; ++user) user_bias_sum_[user] += user_bias[user];
    for (int32_t item = 0; item < num_items_; ++item) item_bias_sum_[item] += item_bias[item];
    user_samples_.push_back(users);
    item_samples_.push_back(items);
  }
  return absl::OkStatus();
}

void BayesianMf::ScoreItems(int32_t user, std::span<float> scores) const {
  for (int32_t item = 0; item < static_cast<int32_t>(scores.size()); ++item) scores[item] = PredictRating(user, item);
}

float BayesianMf::PredictRating(int32_t user, int32_t item) const {
  const double kept = static_cast<double>(user_samples_.size());
  if (kept == 0) return global_mean_;
  bool known_user = user >= 0 && user < num_users_, known_item = item >= 0 && item < num_items_;
  double prediction = global_mean_;
  if (known_user) prediction += user_bias_sum_[user] / kept;
  if (known_item) prediction += item_bias_sum_[item] / kept;
  if (known_user && known_item) {
    double dot = 0;
    for (size_t sample = 0; sample < user_samples_.size(); ++sample) {
      dot += user_samples_[sample].col(user).dot(item_samples_[sample].col(item));
    }
    prediction += dot / kept;
  }
  return static_cast<float>(prediction);
}

}  // namespace aidmp::recommend
