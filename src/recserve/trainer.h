// Training for serving: fits a registered recommender (recommend/registry.h) on the
// interactions of a data directory and reduces it to a ServingModel: each person's best
// unseen items, each item's most similar items (item-kNN cosine over who interacted with
// what), popularity and the catalogue.
//
// Each person's list comes from scoring every item (persons x items work) or, for a
// factor model (recommend::FactorView: als, bpr) on a large catalogue, from HNSW graphs
// over the item vectors, one per octave of vector length (internal/ann_index.h; why, in
// trainer.cc): the person's best N + |seen| items are asked for, seen ones dropped, N
// kept. The recall of those lists against scoring every item is measured on a sample of
// persons and kept in the model.
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

namespace aidmp::recommend {
class Recommender;
}  // namespace aidmp::recommend

namespace aidmp::recserve {

// How per-person lists are ranked (see the top of this file). Models without factors are
// always ranked exactly.
enum class AnnMode {
  kAuto,  // approximate from kAutoAnnMinItems items on
  kOn,    // approximate whenever the model has factors
  kOff,   // score every item
};
constexpr int32_t kAutoAnnMinItems = 50000;
// "auto", "on", "off"; InvalidArgument otherwise.
absl::StatusOr<AnnMode> ParseAnnMode(std::string_view text);
std::string_view AnnModeName(AnnMode mode);

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

  AnnMode ann = AnnMode::kAuto;
  // The HNSW graph: degree, candidate list while building and while searching (at least
  // N + |seen| is used). Larger is slower and more accurate.
  int hnsw_m = 16;
  int hnsw_ef_construction = 200;
  int hnsw_ef = 200;
  // Persons whose approximate lists are checked against scoring every item.
  int ann_recall_sample = 200;
};
constexpr int32_t kAutoEaseMaxItems = 15000;

// Called with a stage ("read", "fit", "index", "rank", "similar") and the fraction done.
using TrainProgress = std::function<void(std::string_view stage, double fraction)>;

// InvalidArgument for an unknown or non-ranking algorithm, bad parameters (HNSW ones
// included), or data without any interaction. With more than one thread, approximate
// lists may differ slightly between runs (the graph depends on insertion order).
absl::StatusOr<ServingModel> BuildServingModel(const TrainingData& data, const TrainOptions& options,
                                               int64_t now_us, const TrainProgress& progress = {});

// How RankForServing ranked, and what it cost.
struct RankingReport {
  std::string ranking = "exact";  // as ServingModel::ranking
  double recall = 1;              // as ServingModel::ann_recall
  uint32_t recall_persons = 0;
  double index_seconds = 0;       // building the HNSW index (0 when exact)
  double rank_seconds = 0;        // the persons' lists, after the index is built
  size_t index_bytes = 0;         // the index's graph and vectors
  int32_t indexed_items = 0;      // in HNSW graphs
  int32_t scanned_items = 0;      // in norm buckets too small for a graph, scanned when reached
};

// BuildServingModel's ranking step on its own (the benchmark calls it): each user's best
// `options.recommendations_per_person` items of `model` (fitted on num_items items) that
// are not in their `seen` row, best first, exactly or approximately as the top of this
// file says. `report` may be null.
Rows<ScoredItem> RankForServing(const recommend::Recommender& model, const Rows<int32_t>& seen, int32_t num_items,
                                const TrainOptions& options, RankingReport* report = nullptr,
                                const TrainProgress& progress = {});

// ReadTrainingData, then BuildServingModel.
absl::StatusOr<ServingModel> TrainFromStore(storage::Store* store, const TrainOptions& options, int64_t now_us,
                                            const TrainProgress& progress = {});

// The algorithm "auto" stands for with `items` items; others unchanged.
std::string ResolveAlgorithm(std::string_view algo, int32_t items);

}  // namespace aidmp::recserve
