#include "recserve/trainer.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "common/parallel.h"
#include "common/status.h"
#include "common/strings.h"
#include "recommend/item_knn.h"
#include "recommend/registry.h"
#include "recserve/internal/ann_index.h"

namespace aidmp::recserve {
namespace {

bool Better(const ScoredItem& a, const ScoredItem& b) { return a.score != b.score ? a.score > b.score : a.item < b.item; }

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
  std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(), Better);
  // A copy, not resize: the list is kept until every person's is done, and the candidates'
  // capacity (the catalogue) would stay with it (2 GB for 5,000 people x 50,000 items).
  return std::vector<ScoredItem>(candidates.begin(), candidates.begin() + keep);
}

// Maximum inner product search over the model's item vectors v_i = [q_i, b_i] (b_i only
// when the model has item biases) for a person's w_u = [p_u, 1], whose inner product is
// the model's score.
//
// Items are split by norm into buckets, each at most twice as long as the next (Norm-
// Ranging, Yan et al. 2018). In a bucket whose longest vector has norm Φ, item i is
// indexed as [v_i, √(Φ² − |v_i|²)] and queried with [w_u, 0] (Bachrach et al. 2014): the
// inner product is unchanged while every indexed vector has norm Φ, so the graph is one
// over angles, which HNSW navigates well. Buckets are searched longest first and stop
// once the best items found cannot be beaten: no item of a bucket scores above |w_u|·Φ.
// Why not one index over raw factors: on 50,000 items (ALS, 64 factors) hnswlib's inner-
// product graph recalled 61% of the exact top 100 whatever ef was, and one transformed
// index 49-60%, since most items' vectors are short (never-seen items' are ~0) and crowd
// together once lengthened.
class FactorRanker {
 public:
  // The last bucket takes everything shorter than 1/128 of the longest vector (never-seen
  // items among them); the bound means it is rarely searched.
  static constexpr int kBuckets = 8;
  // A bucket this small is scanned (at most this many products per person when reached)
  // rather than given a graph. Chosen, not tuned.
  static constexpr size_t kScanMaxItems = 2048;

  FactorRanker(const recommend::FactorView& view, const TrainOptions& options)
      : view_(view),
        factors_(static_cast<int>(view.items->rows())),
        has_bias_(!view.item_bias.empty()),
        dimensions_(factors_ + (has_bias_ ? 1 : 0) + 1),
        index_options_{options.hnsw_m, options.hnsw_ef_construction, options.hnsw_ef, options.seed} {
    const int32_t items = static_cast<int32_t>(view.items->cols());
    std::vector<float> norms(items);
    float longest = 0;
    for (int32_t item = 0; item < items; ++item) longest = std::max(longest, norms[item] = Norm(item));
    bucket_of_.resize(items);
    buckets_.resize(kBuckets);
    for (int32_t item = 0; item < items; ++item) {
      int bucket = kBuckets - 1;
      if (norms[item] > 0) bucket = std::min(kBuckets - 1, static_cast<int>(std::floor(std::log2(longest / norms[item]))));
      bucket_of_[item] = static_cast<uint8_t>(std::max(bucket, 0));
      Bucket& into = buckets_[bucket_of_[item]];
      into.items.push_back(item);
      into.longest = std::max(into.longest, norms[item]);
    }
  }

  void Build(int threads) {
    for (Bucket& bucket : buckets_) {
      if (bucket.items.size() <= kScanMaxItems) continue;
      bucket.index = std::make_unique<internal::AnnIndex>(dimensions_, bucket.items.size(), index_options_);
      // The first insertion sets the entry point; the rest may then run in parallel.
      Add(bucket, 0);
      ParallelFor(static_cast<int32_t>(bucket.items.size()) - 1, threads, [&](int32_t pos) { Add(bucket, pos + 1); });
    }
  }

  // The user's best `k` items not in [seen_begin, seen_end) (ascending), best first,
  // leaving out scores of exactly 0 as TopUnseen does.
  std::vector<ScoredItem> TopUnseen(int32_t user, const int32_t* seen_begin, const int32_t* seen_end, int k) const {
    const size_t keep = static_cast<size_t>(std::max(k, 0));
    std::vector<float> query(dimensions_, 0.0f);
    auto factors = view_.users->col(user);
    std::copy(factors.data(), factors.data() + factors_, query.begin());
    if (has_bias_) query[factors_] = 1;
    float query_norm = 0;
    for (float value : query) query_norm += value * value;
    query_norm = std::sqrt(query_norm);
    std::array<size_t, kBuckets> seen_in{};
    for (const int32_t* seen = seen_begin; seen != seen_end; ++seen) ++seen_in[bucket_of_[*seen]];

    std::vector<ScoredItem> list;
    auto consider = [&](int32_t item) {
      if (std::binary_search(seen_begin, seen_end, item)) return;
      float score = Score(factors, item);
      if (score != 0) list.push_back({item, score});  // 0 (or NaN): no evidence, as TopUnseen
    };
    for (const Bucket& bucket : buckets_) {
      if (bucket.items.empty() || keep == 0) continue;
      if (list.size() >= keep && list[keep - 1].score >= query_norm * bucket.longest) break;
      if (bucket.index == nullptr) {
        for (int32_t item : bucket.items) consider(item);
      } else {
        for (const auto& match : bucket.index->Search(query.data(), keep + seen_in[&bucket - buckets_.data()])) {
          consider(match.label);
        }
      }
      const size_t kept = std::min(keep, list.size());
      std::partial_sort(list.begin(), list.begin() + kept, list.end(), Better);
      list.resize(kept);
    }
    list.shrink_to_fit();  // kept until every person is ranked: no spare capacity
    return list;
  }

  int32_t IndexedItems() const {
    size_t count = 0;
    for (const Bucket& bucket : buckets_) count += bucket.index ? bucket.items.size() : 0;
    return static_cast<int32_t>(count);
  }

  size_t MemoryBytes() const {
    size_t bytes = bucket_of_.size();
    for (const Bucket& bucket : buckets_) {
      bytes += bucket.items.size() * sizeof(int32_t) + (bucket.index ? bucket.index->MemoryBytes() : 0);
    }
    return bytes;
  }

 private:
  struct Bucket {
    std::vector<int32_t> items;
    float longest = 0;
    std::unique_ptr<internal::AnnIndex> index;  // null: scanned
  };

  float Norm(int32_t item) const {
    float squared = view_.items->col(item).squaredNorm();
    if (has_bias_) squared += view_.item_bias[item] * view_.item_bias[item];
    return std::sqrt(squared);
  }

  template <typename Column>
  float Score(const Column& factors, int32_t item) const {
    float score = factors.dot(view_.items->col(item));
    return has_bias_ ? score + view_.item_bias[item] : score;
  }

  void Add(Bucket& bucket, int32_t pos) {
    const int32_t item = bucket.items[pos];
    std::vector<float> vector(dimensions_, 0.0f);
    auto factors = view_.items->col(item);
    std::copy(factors.data(), factors.data() + factors_, vector.begin());
    if (has_bias_) vector[factors_] = view_.item_bias[item];
    const float norm = Norm(item);
    vector[dimensions_ - 1] = std::sqrt(std::max(0.0f, bucket.longest * bucket.longest - norm * norm));
    bucket.index->Add(vector.data(), item);
  }

  recommend::FactorView view_;
  int factors_;
  bool has_bias_;
  int dimensions_;
  internal::AnnIndexOptions index_options_;
  std::vector<uint8_t> bucket_of_;
  std::vector<Bucket> buckets_;  // longest vectors first
};

}  // namespace

absl::StatusOr<AnnMode> ParseAnnMode(std::string_view text) {
  if (text == "auto") return AnnMode::kAuto;
  if (text == "on") return AnnMode::kOn;
  if (text == "off") return AnnMode::kOff;
  return absl::InvalidArgumentError(StrCat("ann must be auto, on or off, not '", text, "'"));
}

std::string_view AnnModeName(AnnMode mode) {
  switch (mode) {
    case AnnMode::kAuto: return "auto";
    case AnnMode::kOn: return "on";
    case AnnMode::kOff: return "off";
  }
  return "auto";
}

std::string ResolveAlgorithm(std::string_view algo, int32_t items) {
  if (algo != "auto") return std::string(algo);
  return items <= kAutoEaseMaxItems ? "ease" : "itemknn";
}

Rows<ScoredItem> RankForServing(const recommend::Recommender& model, const Rows<int32_t>& seen, int32_t num_items,
                                const TrainOptions& options, RankingReport* report, const TrainProgress& progress) {
  const auto started = std::chrono::steady_clock::now();
  const int32_t num_users = static_cast<int32_t>(seen.size());
  const int per_person = options.recommendations_per_person;
  std::optional<recommend::FactorView> factors = model.Factors();
  const bool approximate = factors.has_value() && factors->items->cols() == num_items &&
                           factors->users->cols() == num_users && options.ann != AnnMode::kOff &&
                           (options.ann == AnnMode::kOn || num_items >= kAutoAnnMinItems);
  std::unique_ptr<FactorRanker> ranker;
  RankingReport local;
  if (report == nullptr) report = &local;
  *report = RankingReport();
  if (approximate) {
    if (progress) progress("index", 0);
    ranker = std::make_unique<FactorRanker>(*factors, options);
    ranker->Build(options.threads);
    if (progress) progress("index", 1);
    report->ranking = StrCat("hnsw m=", options.hnsw_m, " ef_construction=", options.hnsw_ef_construction,
                             " ef=", options.hnsw_ef);
    report->index_bytes = ranker->MemoryBytes();
    report->indexed_items = ranker->IndexedItems();
    report->scanned_items = num_items - report->indexed_items;
    report->index_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  auto exact = [&](int32_t user) {
    std::vector<float> scores(num_items);
    model.ScoreItems(user, scores);
    return TopUnseen(scores, seen.begin(user), seen.end(user), per_person);
  };
  const auto ranking_started = std::chrono::steady_clock::now();
  std::vector<std::vector<ScoredItem>> lists(num_users);
  std::atomic<int32_t> done{0};
  ParallelFor(num_users, options.threads, [&](int32_t user) {
    lists[user] = ranker ? ranker->TopUnseen(user, seen.begin(user), seen.end(user), per_person) : exact(user);
    int32_t finished = done.fetch_add(1) + 1;
    if (progress && finished % 1024 == 0) progress("rank", static_cast<double>(finished) / num_users);
  });
  report->rank_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - ranking_started).count();
  if (ranker) {
    ranker.reset();
    // Recall against scoring every item, on a seeded sample of persons.
    std::vector<int32_t> users(num_users);
    for (int32_t user = 0; user < num_users; ++user) users[user] = user;
    std::vector<int32_t> sample;
    std::mt19937_64 rng(options.seed);
    std::sample(users.begin(), users.end(), std::back_inserter(sample), options.ann_recall_sample, rng);
    std::vector<double> recall(sample.size(), -1);
    ParallelFor(static_cast<int32_t>(sample.size()), options.threads, [&](int32_t pos) {
      std::vector<ScoredItem> truth = exact(sample[pos]);
      if (truth.empty()) return;
      std::vector<int32_t> found;
      for (const ScoredItem& entry : lists[sample[pos]]) found.push_back(entry.item);
      std::sort(found.begin(), found.end());
      size_t hits = 0;
      for (const ScoredItem& entry : truth) hits += std::binary_search(found.begin(), found.end(), entry.item);
      recall[pos] = static_cast<double>(hits) / static_cast<double>(truth.size());
    });
    double sum = 0;
    for (double value : recall) {
      if (value < 0) continue;
      sum += value;
      ++report->recall_persons;
    }
    report->recall = report->recall_persons > 0 ? sum / report->recall_persons : 1;
  }
  Rows<ScoredItem> recommended;
  for (const auto& list : lists) recommended.Add(list);
  if (progress) progress("rank", 1);
  return recommended;
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
  if (options.hnsw_m < 2 || options.hnsw_m > 1000 || options.hnsw_ef_construction < 1 || options.hnsw_ef < 1 ||
      options.ann_recall_sample < 0) {
    return absl::InvalidArgumentError(StrCat("HNSW parameters out of range: m ", options.hnsw_m, " (2 to 1000), ef_construction ",
                                             options.hnsw_ef_construction, " and ef ", options.hnsw_ef,
                                             " (at least 1), recall sample ", options.ann_recall_sample, " (at least 0)"));
  }
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
  RankingReport report;
  serving.recommended = RankForServing(*model, serving.seen, train.num_items, options, &report, progress);
  serving.ranking = report.ranking;
  serving.ann_recall = report.recall;
  serving.ann_recall_persons = report.recall_persons;

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
  if (progress) progress("read", 0);  // the number of persons is not known ahead
  AIDMP_ASSIGN_OR_RETURN(TrainingData data, ReadTrainingData(store, options.interactions));
  if (progress) progress("read", 1);
  AIDMP_ASSIGN_OR_RETURN(ServingModel model, BuildServingModel(data, options, now_us, progress));
  model.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return model;
}

}  // namespace aidmp::recserve
