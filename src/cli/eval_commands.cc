// `aidmp eval recommend`: offline evaluation of the recommenders on a data set, as a table
// or as one JSON object per algorithm and line (docs/recommendations.md).
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "recserve/training_data.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "recommend/experiment.h"

namespace aidmp::cli {
namespace {

struct EvalFlags {
  std::string input, format = "movielens-100k", protocol = "recbole", algo = "all";
  bool json = false, tune = false;
  uint64_t seed = 2020;
  int threads = 2;
  std::string user_column = "user", item_column = "item", rating_column = "rating", event_column = "event",
              timestamp_column = "timestamp", event_weights, delimiter = ",", params;
};

absl::StatusOr<recommend::TableOptions> ToTableOptions(const EvalFlags& flags) {
  recommend::TableOptions options;
  options.user_column = flags.user_column;
  options.item_column = flags.item_column;
  options.rating_column = flags.rating_column;
  options.event_column = flags.event_column;
  options.timestamp_column = flags.timestamp_column;
  if (flags.delimiter.size() != 1) return absl::InvalidArgumentError("--delimiter must be one character");
  options.delimiter = flags.delimiter == "\\t" ? '\t' : flags.delimiter[0];
  for (std::string_view pair : Split(flags.event_weights, ',', /*skip_empty=*/true)) {
    std::vector<std::string_view> parts = Split(pair, '=');
    double weight = 0;
    if (parts.size() != 2 || !ParseDouble(parts[1], &weight)) {
      return absl::InvalidArgumentError(StrCat("--event-weights: \"", pair, "\" is not EVENT=WEIGHT"));
    }
    options.event_weights[std::string(StripWhitespace(parts[0]))] = static_cast<float>(weight);
  }
  return options;
}

std::string JsonLine(const recommend::ExperimentResult& result) {
  JsonWriter json;
  json.BeginObject().Key("algo").String(result.algo).Key("protocol").String(result.protocol).Key("metrics").BeginObject();
  for (const auto& [name, value] : result.metrics) json.Key(name).Double(value);
  json.EndObject().Key("train_seconds").Double(result.train_seconds).EndObject();
  return json.Take();
}

void PrintTable(const std::vector<recommend::ExperimentResult>& results) {
  if (results.empty()) return;
  std::printf("%-9s", "algo");
  for (const auto& [name, value] : results[0].metrics) std::printf(" %12s", name.c_str());
  std::printf(" %9s  %s\n", "train_s", "params");
  for (const auto& result : results) {
    std::printf("%-9s", result.algo.c_str());
    for (const auto& [name, value] : result.metrics) std::printf(" %12.4f", value);
    std::printf(" %9.3f  %s\n", result.train_seconds, recommend::FormatParams(result.params).c_str());
  }
}

int RunEval(const EvalFlags& flags) {
  auto table_options = ToTableOptions(flags);
  if (!table_options.ok()) return ReportError(table_options.status());
  bool ranking = flags.protocol == "recbole";
  if (!ranking && flags.protocol != "ratings-5fold") {
    return ReportError(absl::InvalidArgumentError(
        StrCat("unknown --protocol \"", flags.protocol, "\" (recbole, ratings-5fold)")));
  }
  std::vector<const recommend::AlgorithmSpec*> specs;
  if (flags.algo == "all") {
    for (const auto& spec : recommend::Algorithms()) {
      if (ranking ? spec.ranks : spec.rates) specs.push_back(&spec);
    }
  } else {
    for (std::string_view name : Split(flags.algo, ',', /*skip_empty=*/true)) {
      const recommend::AlgorithmSpec* spec = recommend::FindAlgorithm(name);
      if (spec == nullptr) {
        std::string known;
        for (const auto& each : recommend::Algorithms()) StrAppend(&known, known.empty() ? "" : ", ", each.name);
        return ReportError(absl::InvalidArgumentError(StrCat("unknown --algo \"", name, "\" (", known, ", all)")));
      }
      specs.push_back(spec);
    }
  }
  std::fprintf(stderr, "loading %s (%s)\n", flags.input.c_str(), flags.format.c_str());
  absl::StatusOr<recommend::Dataset> dataset;
  if (flags.format == "data-dir") {
    // The events an aidmp data directory holds, read as training for serving reads them.
    EngineFlags engine_flags;
    engine_flags.data_dir = flags.input;
    engine_flags.log_level = "warn";
    auto engine = engine_flags.OpenForReading();
    if (!engine.ok()) return ReportError(engine.status());
    auto data = recserve::ReadTrainingData((*engine)->store(), recserve::InteractionOptions());
    if (!data.ok()) return ReportError(data.status());
    dataset = std::move(data->dataset);
  } else {
    dataset = recommend::LoadDataset(flags.format, flags.input, *table_options);
  }
  if (!dataset.ok()) return ReportError(dataset.status());
  std::fprintf(stderr, "%d users, %d items, %zu interactions\n", dataset->num_users(), dataset->num_items(),
               dataset->interactions.size());

  recommend::ExperimentOptions options;
  options.seed = flags.seed;
  options.threads = flags.threads;
  options.tune = flags.tune;
  auto overrides = recommend::ParseParams(flags.params);
  if (!overrides.ok()) return ReportError(overrides.status());
  options.overrides = *std::move(overrides);
  options.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  std::vector<recommend::ExperimentResult> results;
  for (const recommend::AlgorithmSpec* spec : specs) {
    auto result = ranking ? recommend::RunRankingExperiment(*dataset, *spec, options)
                          : recommend::RunRatingExperiment(*dataset, *spec, options);
    if (!result.ok()) {
      // With "all", a model that cannot run on this data (no features, say) is skipped.
      if (flags.algo == "all") {
        std::fprintf(stderr, "skipped %s: %s\n", spec->name.c_str(), std::string(result.status().message()).c_str());
        continue;
      }
      return ReportError(result.status());
    }
    if (flags.json) std::cout << JsonLine(*result) << std::endl;
    results.push_back(std::move(*result));
  }
  if (!flags.json) PrintTable(results);
  return 0;
}

}  // namespace

void AddEvalCommands(CLI::App& app, int* exit_code) {
  CLI::App* eval = app.add_subcommand("eval", "Offline evaluation (docs/recommendations.md)");
  eval->require_subcommand(1);
  auto flags = std::make_shared<EvalFlags>();
  CLI::App* recommend = eval->add_subcommand(
      "recommend", "Evaluate recommenders: RecBole top-N protocol or rating cross-validation");
  recommend->add_option("--input", flags->input, "Data set directory (MovieLens, or an aidmp data directory) or file (csv, jsonl)")->required();
  recommend->add_option("--format", flags->format, "movielens-100k, movielens-1m, movielens-20m, csv, jsonl, or data-dir (the events of an aidmp --data directory)")
      ->capture_default_str();
  recommend->add_option("--protocol", flags->protocol, "recbole (top-N) or ratings-5fold (RMSE/MAE)")
      ->capture_default_str();
  recommend->add_option("--algo", flags->algo, "Algorithm name, a comma-separated list, or all")->capture_default_str();
  recommend->add_flag("--json", flags->json, "One JSON object per algorithm and line");
  recommend->add_flag("--tune", flags->tune, "Choose hyper-parameters on the validation data from a small grid");
  recommend->add_option("--params", flags->params,
                        "Hyper-parameters overriding the defaults, e.g. k=100,shrink=10 (see docs/recommendations.md)");
  recommend->add_option("--seed", flags->seed, "Seed of the splits and of the models")->capture_default_str();
  recommend->add_option("--threads", flags->threads, "Threads for training and scoring")->capture_default_str();
  recommend->add_option("--user-column", flags->user_column, "csv/jsonl: user column")->capture_default_str();
  recommend->add_option("--item-column", flags->item_column, "csv/jsonl: item column")->capture_default_str();
  recommend->add_option("--rating-column", flags->rating_column, "csv/jsonl: rating column; \"\" for implicit events")
      ->capture_default_str();
  recommend->add_option("--event-column", flags->event_column, "csv/jsonl: event column (implicit data)")
      ->capture_default_str();
  recommend->add_option("--timestamp-column", flags->timestamp_column, "csv/jsonl: timestamp column (optional)")
      ->capture_default_str();
  recommend->add_option("--event-weights", flags->event_weights, "Implicit data: e.g. view=1,cart=2,purchase=3 (0 drops)");
  recommend->add_option("--delimiter", flags->delimiter, "csv: field delimiter (\\t for tab)")->capture_default_str();
  recommend->callback([flags, exit_code] { *exit_code = RunEval(*flags); });
}

}  // namespace aidmp::cli
