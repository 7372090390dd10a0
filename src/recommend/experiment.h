// One algorithm through one evaluation protocol, end to end: split, optional tuning on
// the validation data only, training (timed), and the metrics on the held-out data. The
// CLI (`aidmp eval recommend`) prints what these return.
// Thread-safety: pure functions of their arguments; `progress` is called on the calling
// thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "recommend/dataset.h"
#include "recommend/registry.h"

namespace aidmp::recommend {

struct ExperimentOptions {
  uint64_t seed = 2020;
  int threads = 2;
  int k = 10;          // list length for the ranking metrics
  bool tune = false;   // search the algorithm's grid on the validation data
  int folds = 5;       // ratings protocol
  // Override the algorithm's defaults (and every grid point) with these, e.g. {"k": 100}.
  Params overrides;
  // Called with one line of progress (no newline), e.g. "ease: tuning 2/5".
  std::function<void(const std::string&)> progress;
};

struct ExperimentResult {
  std::string algo;
  std::string protocol;  // "recbole" or "ratings-5fold"
  Params params;         // the hyper-parameters used for the reported figures
  std::vector<std::pair<std::string, double>> metrics;  // in display order
  double train_seconds = 0;  // the final fit; per fold (mean) for the ratings protocol
};

// RecBole protocol (evaluation.h): tuning by NDCG@k on validation, then the model with the
// chosen parameters, trained on train, is measured on test. InvalidArgument if the
// algorithm cannot rank.
absl::StatusOr<ExperimentResult> RunRankingExperiment(const Dataset& dataset, const AlgorithmSpec& spec,
                                                      const ExperimentOptions& options);

// k-fold cross-validation of rating prediction. Tuning holds out 10% of the first fold's
// training ratings as validation and picks the lowest RMSE; the chosen parameters are
// then used on every fold. InvalidArgument if the algorithm does not predict ratings or
// the data are implicit.
absl::StatusOr<ExperimentResult> RunRatingExperiment(const Dataset& dataset, const AlgorithmSpec& spec,
                                                     const ExperimentOptions& options);

}  // namespace aidmp::recommend
