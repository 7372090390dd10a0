#include "recommend/content_based.h"

#include <cmath>

namespace aidmp::recommend {

absl::Status ContentBased::Fit(const TrainSet& train, const FitContext& context) {
  if (train.num_features == 0) {
    return absl::FailedPreconditionError("content-based needs item features (genres/categories); the data set has none");
  }
  const int32_t features = train.num_features;
  std::vector<int32_t> document_frequency(features, 0);
  for (const auto& item_features : train.item_features) {
    for (int32_t feature : item_features) ++document_frequency[feature];
  }
  item_vectors_ = Eigen::MatrixXf::Zero(features, train.num_items);
  for (int32_t item = 0; item < train.num_items; ++item) {
    if (item >= static_cast<int32_t>(train.item_features.size())) break;
    for (int32_t feature : train.item_features[item]) {
      item_vectors_(feature, item) =
          options_.idf ? static_cast<float>(std::log(static_cast<double>(train.num_items) / document_frequency[feature]))
                       : 1.0f;
    }
    float norm = item_vectors_.col(item).norm();
    if (norm > 0) item_vectors_.col(item) /= norm;
  }
  user_vectors_ = Eigen::MatrixXf::Zero(features, train.num_users);
  for (int32_t user = 0; user < train.num_users; ++user) {
    float mean = 0;
    if (options_.centre_ratings && train.explicit_ratings) {
      int count = 0;
      for (SparseMatrix::InnerIterator it(train.matrix, user); it; ++it, ++count) mean += it.value();
      if (count > 0) mean /= count;
    }
    for (SparseMatrix::InnerIterator it(train.matrix, user); it; ++it) {
      user_vectors_.col(user) += (it.value() - mean) * item_vectors_.col(it.col());
    }
    float norm = user_vectors_.col(user).norm();
    if (norm > 0) user_vectors_.col(user) /= norm;
  }
  return absl::OkStatus();
}

void ContentBased::ScoreItems(int32_t user, std::span<float> scores) const {
  Eigen::Map<Eigen::VectorXf> out(scores.data(), static_cast<Eigen::Index>(scores.size()));
  if (user < 0 || user >= user_vectors_.cols()) {
    out.setZero();
    return;
  }
  out.noalias() = item_vectors_.transpose() * user_vectors_.col(user);
}

Eigen::VectorXf ContentBased::UserVector(int32_t user) const { return user_vectors_.col(user); }

}  // namespace aidmp::recommend
