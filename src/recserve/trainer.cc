#include "recserve/trainer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "common/status.h"
#include "common/strings.h"
#include "recommend/item_knn.h"
#include "recommend/registry.h"

namespace aidmp::recserve {
namespace {

// Runs fn(row) for rows [0, n) on `threads` threads.
void ParallelFor(int32_t n, int threads, const std::function<void(int32_t)>& fn) {
  threads = std::max(1, std::min(threads, n));
  std::atomic<int32_t> next{0};
  auto work = [&] {
    for (int32_t row; (row = next.fetch_add(1)) < n;) fn(row);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
}

std::vector<ScoredItem> TopUnseen(std::span<const float> scores, const int32_t* seen_begin, const int32_t* seen_end,
                                  int k) {
  std::vector<ScoredItem> candidates;
  candidates.reserve(scores.size());
  const int32_t* seen = seen_begin;
  for (int32_t item = 0; item < static_cast<int32_t>(scores.size()); ++item) {
    while (seen != seen_end && *seen < item) ++seen;
    if (seen != seen_end && *seen == item) continue;
    if (!(scores[item] != 0)) continue;  // no evidence at all (or NaN): popularity does better
    candidates.push_back({item, scores[item]});
  }
  size_t keep = std::min(candidates.size(), static_cast<size_t>(std::max(k, 0)));
  auto better = [](const ScoredItem& a, const ScoredItem& b) {
    return a.score != b.score ? a.score > b.score : a.item < b.item;
  };
  std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(), better);
  candidates.resize(keep);
  return candidates;
}

}  // namespace

std::string ResolveAlgorithm(std::string_view algo, int32_t items) {
  if (algo != "auto") return std::string(algo);
  return items <= kAutoEaseMaxItems ? "ease" : "itemknn";
}

absl::StatusOr<ServingModel> BuildServingModel(const TrainingData& data, const TrainOptions& options,
                                               int64_t now_us, const TrainProgress& progress) {
  const auto started = std::chrono::steady_clock::now();
  const recommend::Dataset& dataset = data.dataset;
  if (dataset.interactions.empty()) {
    return absl::InvalidArgumentError(
        "nothing to train on: no stored event names an item (product_id, item_id or sku in its properties, or "
        "products[])");
  }
  const std::string algo = ResolveAlgorithm(options.algo, dataset.num_items());
  const recommend::AlgorithmSpec* spec = recommend::FindAlgorithm(algo);
  if (spec == nullptr) return absl::InvalidArgumentError(StrCat("unknown algorithm '", algo, "'"));
  if (!spec->ranks) return absl::InvalidArgumentError(StrCat("'", algo, "' does not rank items (a rating model)"));
  recommend::Params params = recommend::Merge(spec->ranking_defaults, options.params);
  AIDMP_ASSIGN_OR_RETURN(std::unique_ptr<recommend::Recommender> model, spec->make(params));

  recommend::TrainSet train = recommend::MakeTrainSet(dataset, dataset.interactions, /*binary=*/!options.weighted);
  train.explicit_ratings = false;
  recommend::FitContext context{options.threads, options.seed};
  if (progress) progress("fit", 0);
  AIDMP_RETURN_IF_ERROR(model->Fit(train, context));
  if (progress) progress("fit", 1);

  ServingModel serving;
  serving.algo = algo;
  serving.params = recommend::FormatParams(params);
  serving.trained_at_us = now_us;
  serving.data_until_us = data.latest_event_us;
  serving.interactions = dataset.interactions.size();
  serving.items = data.items;
  serving.items.resize(dataset.num_items());
  serving.persons = data.persons;

  // Seen items and popularity from the matrix (rows are sorted by item).
  serving.popularity.assign(dataset.num_items(), 0);
  const recommend::SparseMatrix& matrix = train.matrix;
  std::vector<int32_t> row;
  for (int32_t user = 0; user < train.num_users; ++user) {
    row.clear();
    for (recommend::SparseMatrix::InnerIterator it(matrix, user); it; ++it) {
      row.push_back(it.col());
      ++serving.popularity[it.col()];
    }
    serving.seen.Add(row);
  }

  // Each person's best unseen items.
  std::vector<std::vector<ScoredItem>> lists(train.num_users);
  std::atomic<int32_t> done{0};
  ParallelFor(train.num_users, options.threads, [&](int32_t user) {
    std::vector<float> scores(train.num_items);
    model->ScoreItems(user, scores);
    lists[user] = TopUnseen(scores, serving.seen.begin(user), serving.seen.end(user), options.recommendations_per_person);
    int32_t finished = done.fetch_add(1) + 1;
    if (progress && finished % 1024 == 0) progress("rank", static_cast<double>(finished) / train.num_users);
  });
  for (const auto& list : lists) serving.recommended.Add(list);
  lists.clear();
  if (progress) progress("rank", 1);

  // Similar items: item-kNN cosine over who interacted with what.
  recommend::ItemKnnOptions knn_options;
  knn_options.k = options.similar_per_item;
  recommend::ItemKnn knn(knn_options);
  recommend::TrainSet binary = options.weighted ? recommend::MakeTrainSet(dataset, dataset.interactions, true) : train;
  binary.explicit_ratings = false;
  AIDMP_RETURN_IF_ERROR(knn.Fit(binary, context));
  std::vector<ScoredItem> similar;
  for (int32_t item = 0; item < train.num_items; ++item) {
    similar.clear();
    for (const auto& neighbour : knn.Neighbours(item)) similar.push_back({neighbour.index, neighbour.similarity});
    serving.similar.Add(similar);
  }
  if (progress) progress("similar", 1);
  serving.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  serving.BuildLookups();
  return serving;
}

absl::StatusOr<ServingModel> TrainFromStore(storage::Store* store, const TrainOptions& options, int64_t now_us,
                                            const TrainProgress& progress) {
  const auto started = std::chrono::steady_clock::now();
  AIDMP_ASSIGN_OR_RETURN(TrainingData data,
                         ReadTrainingData(store, options.interactions, [&](uint64_t persons) {
                           if (progress) progress("read", 0);
                           (void)persons;
                         }));
  if (progress) progress("read", 1);
  AIDMP_ASSIGN_OR_RETURN(ServingModel model, BuildServingModel(data, options, now_us, progress));
  model.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return model;
}

}  // namespace aidmp::recserve
