#include "recommend/recommender.h"

namespace aidmp::recommend {

TrainSet MakeTrainSet(const Dataset& dataset, const std::vector<Interaction>& rows, bool binary) {
  TrainSet train;
  train.num_users = dataset.num_users();
  train.num_items = dataset.num_items();
  train.explicit_ratings = dataset.explicit_ratings && !binary;
  std::vector<Eigen::Triplet<float, int32_t>> triplets;
  triplets.reserve(rows.size());
  for (const Interaction& row : rows) triplets.emplace_back(row.user, row.item, binary ? 1.0f : row.rating);
  train.matrix.resize(train.num_users, train.num_items);
  train.matrix.setFromTriplets(triplets.begin(), triplets.end(), [](float, float last) { return last; });
  train.matrix.makeCompressed();
  train.item_features = dataset.item_features;
  train.num_features = static_cast<int32_t>(dataset.feature_names.size());
  return train;
}

}  // namespace aidmp::recommend
