// Training for serving: fits a registered recommender (recommend/registry.h) on the
// interactions of a data directory and reduces it to a ServingModel: each person's best
// unseen items, each item's most similar items (item-kNN cosine over who interacted with
// what), popularity and the catalogue.
// Thread-safety: pure functions of their inputs; the store is only read.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "recserve/serving_model.h"
#include "recserve/training_data.h"
#include "storage/store.h"

namespace aidmp::recserve {

struct TrainOptions {
  // A ranking algorithm of the registry, or "auto": EASE while the catalogue has at most
  // kAutoEaseMaxItems items (its cost grows with items³), item-kNN beyond.
  std::string algo = "auto";
  // Overrides of the algorithm's ranking defaults (recommend::Params; this header keeps
  // Eigen out of its includers).
  std::map<std::string, double> params;
  int recommendations_per_person = 100;  // stored per person, filtered at serving time
  int similar_per_item = 20;
  // Train on the interaction weights instead of 1 per (person, item).
  bool weighted = false;
  int threads = 2;
  uint64_t seed = 42;
  InteractionOptions interactions;
};
constexpr int32_t kAutoEaseMaxItems = 15000;

// Called with a stage ("read", "fit", "rank", "similar") and the fraction done.
using TrainProgress = std::function<void(std::string_view stage, double fraction)>;

// InvalidArgument for an unknown or non-ranking algorithm, bad parameters, or data
// without any interaction.
absl::StatusOr<ServingModel> BuildServingModel(const TrainingData& data, const TrainOptions& options,
                                               int64_t now_us, const TrainProgress& progress = {});

// ReadTrainingData, then BuildServingModel.
absl::StatusOr<ServingModel> TrainFromStore(storage::Store* store, const TrainOptions& options, int64_t now_us,
                                            const TrainProgress& progress = {});

// The algorithm "auto" stands for with `items` items; others unchanged.
std::string ResolveAlgorithm(std::string_view algo, int32_t items);

}  // namespace aidmp::recserve
