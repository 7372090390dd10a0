// Recommenders registered by name, each with a description, what it can do, its default
// hyper-parameters and the small grid `--tune` searches, so that the CLI, evaluation and
// (later) training for serving construct models the same way.
// Thread-safety: the registry is immutable after first use; Make is thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "recommend/recommender.h"

namespace aidmp::recommend {

// Hyper-parameters by name; booleans are 0/1.
using Params = std::map<std::string, double>;

struct AlgorithmSpec {
  std::string name;
  std::string description;
  bool ranks = true;     // usable for top-N on implicit feedback
  bool rates = false;    // predicts explicit ratings
  Params ranking_defaults, rating_defaults;
  // --tune: each entry overrides some defaults; the first entry should be the defaults.
  std::vector<Params> ranking_grid, rating_grid;
  // Builds an unfitted model; InvalidArgument names an unknown parameter.
  std::function<absl::StatusOr<std::unique_ptr<Recommender>>(const Params&)> make;
};

// All algorithms, in the order tables list them.
const std::vector<AlgorithmSpec>& Algorithms();
// nullptr if `name` is not registered.
const AlgorithmSpec* FindAlgorithm(std::string_view name);
// `base` with `overrides` applied.
Params Merge(const Params& base, const Params& overrides);
// "k=50 shrink=0"
std::string FormatParams(const Params& params);
// "k=50,shrink=10" (as --params takes them). InvalidArgument naming the bad pair.
absl::StatusOr<Params> ParseParams(std::string_view text);

}  // namespace aidmp::recommend
