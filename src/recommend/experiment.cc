#include "recommend/experiment.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <random>

#include "common/status.h"
#include "common/strings.h"
#include "recommend/evaluation.h"

namespace aidmp::recommend {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Report(const ExperimentOptions& options, const std::string& line) {
  if (options.progress) options.progress(line);
}

struct Fitted {
  std::unique_ptr<Recommender> model;
  double seconds = 0;
};

absl::StatusOr<Fitted> FitTimed(const AlgorithmSpec& spec, const Params& params, const TrainSet& train,
                                const ExperimentOptions& options) {
  AIDMP_ASSIGN_OR_RETURN(std::unique_ptr<Recommender> model, spec.make(params));
  FitContext context;
  context.threads = options.threads;
  context.seed = options.seed;
  auto start = std::chrono::steady_clock::now();
  absl::Status status = model->Fit(train, context);
  if (!status.ok()) return absl::Status(status.code(), StrCat(spec.name, ": ", status.message()));
  return Fitted{std::move(model), SecondsSince(start)};
}

}  // namespace

absl::StatusOr<ExperimentResult> RunRankingExperiment(const Dataset& dataset, const AlgorithmSpec& spec,
                                                      const ExperimentOptions& options) {
  if (!spec.ranks) return absl::InvalidArgumentError(StrCat(spec.name, " does not rank items (a rating model)"));
  RankingSplit split = SplitPerUser(dataset, options.seed);
  TrainSet train = MakeTrainSet(dataset, split.train, /*binary=*/true);
  const Params defaults = Merge(spec.ranking_defaults, options.overrides);
  Params params = defaults;
  if (options.tune && spec.ranking_grid.size() > 1) {
    double best = -1;
    for (size_t grid_idx = 0; grid_idx < spec.ranking_grid.size(); ++grid_idx) {
      Params candidate = Merge(Merge(spec.ranking_defaults, spec.ranking_grid[grid_idx]), options.overrides);
      AIDMP_ASSIGN_OR_RETURN(Fitted fitted, FitTimed(spec, candidate, train, options));
      RankingMetrics valid =
          EvaluateRanking(*fitted.model, dataset.num_users(), dataset.num_items(), {&split.train}, split.valid, options.k,
                          options.threads);
      Report(options, StrCat(spec.name, ": tuning ", grid_idx + 1, "/", spec.ranking_grid.size(), " ",
                             FormatParams(candidate), " valid ndcg@", options.k, " ", valid.ndcg));
      if (valid.ndcg > best) {
        best = valid.ndcg;
        params = candidate;
      }
    }
  }
  Report(options, StrCat(spec.name, ": training ", FormatParams(params)));
  AIDMP_ASSIGN_OR_RETURN(Fitted fitted, FitTimed(spec, params, train, options));
  RankingMetrics test = EvaluateRanking(*fitted.model, dataset.num_users(), dataset.num_items(),
                                        {&split.train, &split.valid}, split.test, options.k, options.threads);
  ExperimentResult result;
  result.algo = spec.name;
  result.protocol = "recbole";
  result.params = params;
  std::string at = StrCat("@", options.k);
  result.metrics = {{"ndcg" + at, test.ndcg},     {"recall" + at, test.recall}, {"mrr" + at, test.mrr},
                    {"hit" + at, test.hit},       {"precision" + at, test.precision},
                    {"coverage" + at, test.coverage}};
  result.train_seconds = fitted.seconds;
  return result;
}

absl::StatusOr<ExperimentResult> RunRatingExperiment(const Dataset& dataset, const AlgorithmSpec& spec,
                                                     const ExperimentOptions& options) {
  if (!spec.rates) return absl::InvalidArgumentError(StrCat(spec.name, " does not predict ratings"));
  if (!dataset.explicit_ratings) return absl::InvalidArgumentError("the ratings protocol needs explicit ratings");
  float min_rating = std::numeric_limits<float>::max(), max_rating = std::numeric_limits<float>::lowest();
  for (const Interaction& row : dataset.interactions) {
    min_rating = std::min(min_rating, row.rating);
    max_rating = std::max(max_rating, row.rating);
  }
  std::vector<std::vector<int32_t>> folds = KFoldIndices(dataset.interactions.size(), options.folds, options.seed);
  auto rows_of = [&](const std::vector<int32_t>& indices) {
    std::vector<Interaction> rows;
    rows.reserve(indices.size());
    for (int32_t index : indices) rows.push_back(dataset.interactions[index]);
    return rows;
  };
  auto train_indices = [&](size_t held_out) {
    std::vector<int32_t> indices;
    for (size_t fold_idx = 0; fold_idx < folds.size(); ++fold_idx) {
      if (fold_idx != held_out) indices.insert(indices.end(), folds[fold_idx].begin(), folds[fold_idx].end());
    }
    return indices;
  };

  const Params defaults = Merge(spec.rating_defaults, options.overrides);
  Params params = defaults;
  if (options.tune && spec.rating_grid.size() > 1) {
    std::vector<int32_t> inner = train_indices(0);
    std::mt19937_64 rng(options.seed + 1);
    std::shuffle(inner.begin(), inner.end(), rng);
    size_t valid_size = inner.size() / 10;
    std::vector<Interaction> valid = rows_of({inner.begin(), inner.begin() + valid_size});
    TrainSet train = MakeTrainSet(dataset, rows_of({inner.begin() + valid_size, inner.end()}), /*binary=*/false);
    double best = std::numeric_limits<double>::max();
    for (size_t grid_idx = 0; grid_idx < spec.rating_grid.size(); ++grid_idx) {
      Params candidate = Merge(Merge(spec.rating_defaults, spec.rating_grid[grid_idx]), options.overrides);
      AIDMP_ASSIGN_OR_RETURN(Fitted fitted, FitTimed(spec, candidate, train, options));
      RatingMetrics metrics = EvaluateRatings(*fitted.model, valid, min_rating, max_rating);
      Report(options, StrCat(spec.name, ": tuning ", grid_idx + 1, "/", spec.rating_grid.size(), " ",
                             FormatParams(candidate), " valid rmse ", metrics.rmse));
      if (metrics.rmse < best) {
        best = metrics.rmse;
        params = candidate;
      }
    }
  }
  double rmse = 0, mae = 0, seconds = 0;
  for (size_t fold_idx = 0; fold_idx < folds.size(); ++fold_idx) {
    Report(options, StrCat(spec.name, ": fold ", fold_idx + 1, "/", folds.size(), " ", FormatParams(params)));
    TrainSet train = MakeTrainSet(dataset, rows_of(train_indices(fold_idx)), /*binary=*/false);
    AIDMP_ASSIGN_OR_RETURN(Fitted fitted, FitTimed(spec, params, train, options));
    RatingMetrics metrics = EvaluateRatings(*fitted.model, rows_of(folds[fold_idx]), min_rating, max_rating);
    rmse += metrics.rmse;
    mae += metrics.mae;
    seconds += fitted.seconds;
  }
  double count = static_cast<double>(folds.size());
  ExperimentResult result;
  result.algo = spec.name;
  result.protocol = StrCat("ratings-", folds.size(), "fold");
  result.params = params;
  result.metrics = {{"rmse", rmse / count}, {"mae", mae / count}};
  result.train_seconds = seconds / count;
  return result;
}

}  // namespace aidmp::recommend
