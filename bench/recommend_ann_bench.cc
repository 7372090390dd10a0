// aidmp_bench_recommend_ann: ranking every person's top 100 for serving on a large
// catalogue, by scoring every item (the baseline, in the same run) against the HNSW
// inner-product index over the model's factors: both through recserve::RankForServing,
// the trainer's own ranking step. Generates 20,000 people x 200,000 items (200 taste
// groups of 1,000 items; each person draws ~50 items, most from two groups, Zipf-popular
// within a group), fits implicit ALS once (64 factors), then reports
//   - the time to rank everyone exactly and approximately, and their ratio;
//   - the index's build time and memory, and each phase's peak RSS;
//   - recall@N of the approximate lists against the exact ones over every person, beside
//     the trainer's own estimate from its sample of 200;
//   - item-kNN's time for the similar-item lists, to judge whether they need the index too.
// Flags: --quick (5,000 x 50,000), --users=N --items=N --per-person=100 --factors=64
// --iterations=15 --threads=2 --m=16 --ef-construction=200 --ef=200 (repeatable:
// --ef=100,200,400 ranks once per value on one fit). docs/benchmarks.md keeps the figures.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "recommend/item_knn.h"
#include "recommend/registry.h"
#include "recserve/trainer.h"

namespace {

using aidmp::recommend::Dataset;

Dataset Generate(int32_t users, int32_t items, uint64_t seed) {
  constexpr int32_t kGroupSize = 1000;
  Dataset dataset;
  for (int32_t user = 0; user < users; ++user) dataset.user_ids.push_back(std::to_string(user));
  for (int32_t item = 0; item < items; ++item) dataset.item_ids.push_back(std::to_string(item));
  dataset.item_titles.resize(items);
  dataset.item_features.resize(items);
  dataset.explicit_ratings = false;
  const int32_t groups = std::max(1, items / kGroupSize);
  std::mt19937_64 rng(seed);
  std::vector<double> cumulative(kGroupSize);
  double total = 0;
  for (int32_t rank = 0; rank < kGroupSize; ++rank) cumulative[rank] = total += 1.0 / (rank + 1);
  std::uniform_int_distribution<int32_t> any_group(0, groups - 1);
  std::uniform_real_distribution<double> unit(0, 1);
  std::lognormal_distribution<double> activity(std::log(40.0), 0.7);
  for (int32_t user = 0; user < users; ++user) {
    int32_t first = any_group(rng), second = any_group(rng);
    int64_t degree = std::clamp<int64_t>(static_cast<int64_t>(activity(rng)), 10, 2000);
    std::set<int32_t> seen;
    while (static_cast<int64_t>(seen.size()) < degree) {
      double draw = unit(rng);
      int32_t group = draw < 0.5 ? first : draw < 0.85 ? second : any_group(rng);
      int32_t rank = static_cast<int32_t>(std::lower_bound(cumulative.begin(), cumulative.end(), unit(rng) * total) -
                                          cumulative.begin());
      int32_t item = std::min(group * kGroupSize + std::min(rank, kGroupSize - 1), items - 1);
      seen.insert(item);
    }
    for (int32_t item : seen) dataset.interactions.push_back({user, item, 1, 0});
  }
  return dataset;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// "VmRSS" or "VmHWM" (the peak) from /proc/self/status, in MB.
long StatusMb(const std::string& field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1)) / 1024;
  }
  return -1;
}

// Resets the peak (VmHWM) to the current RSS, so that a phase's own peak can be read.
void ResetPeak() { std::ofstream("/proc/self/clear_refs") << "5"; }

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> values;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');) values.push_back(std::stoi(part));
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  bool quick = false;
  int64_t users_flag = 0, items_flag = 0;
  int per_person = 100, factors = 64, iterations = 15, threads = 2, m = 16, ef_construction = 200;
  std::vector<int> efs = {200};
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    std::string arg = argv[arg_idx];
    auto value = [&](const char* prefix) { return arg.substr(std::string(prefix).size()); };
    if (arg == "--quick") quick = true;
    else if (arg.rfind("--users=", 0) == 0) users_flag = std::stoll(value("--users="));
    else if (arg.rfind("--items=", 0) == 0) items_flag = std::stoll(value("--items="));
    else if (arg.rfind("--per-person=", 0) == 0) per_person = std::stoi(value("--per-person="));
    else if (arg.rfind("--factors=", 0) == 0) factors = std::stoi(value("--factors="));
    else if (arg.rfind("--iterations=", 0) == 0) iterations = std::stoi(value("--iterations="));
    else if (arg.rfind("--threads=", 0) == 0) threads = std::stoi(value("--threads="));
    else if (arg.rfind("--m=", 0) == 0) m = std::stoi(value("--m="));
    else if (arg.rfind("--ef-construction=", 0) == 0) ef_construction = std::stoi(value("--ef-construction="));
    else if (arg.rfind("--ef=", 0) == 0) efs = ParseList(value("--ef="));
    else {
      std::fprintf(stderr,
                   "unknown flag %s (--quick, --users=N, --items=N, --per-person=N, --factors=N, --iterations=N, "
                   "--threads=N, --m=N, --ef-construction=N, --ef=N[,N...])\n",
                   arg.c_str());
      return 2;
    }
  }
  const int32_t users = static_cast<int32_t>(users_flag > 0 ? users_flag : quick ? 5000 : 20000);
  const int32_t items = static_cast<int32_t>(items_flag > 0 ? items_flag : quick ? 50000 : 200000);

  auto start = std::chrono::steady_clock::now();
  aidmp::recommend::TrainSet train;
  {
    Dataset dataset = Generate(users, items, 1);
    train = aidmp::recommend::MakeTrainSet(dataset, dataset.interactions, /*binary=*/true);
    train.explicit_ratings = false;
  }
  std::printf("input: %d people, %d items, %lld interactions (generated in %.1f s; RSS %ld MB, peak %ld MB)\n",
              train.num_users, train.num_items, static_cast<long long>(train.matrix.nonZeros()), Seconds(start),
              StatusMb("VmRSS"), StatusMb("VmHWM"));

  const aidmp::recommend::AlgorithmSpec* spec = aidmp::recommend::FindAlgorithm("als");
  auto model = spec->make(aidmp::recommend::Merge(
      spec->ranking_defaults, {{"factors", factors}, {"iterations", iterations}}));
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", std::string(model.status().message()).c_str());
    return 1;
  }
  start = std::chrono::steady_clock::now();
  if (auto status = (*model)->Fit(train, aidmp::recommend::FitContext{threads, 42}); !status.ok()) {
    std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    return 1;
  }
  std::printf("ALS fit: %d factors, %d iterations, %d threads: %.1f s (RSS %ld MB, peak %ld MB)\n", factors, iterations,
              threads, Seconds(start), StatusMb("VmRSS"), StatusMb("VmHWM"));

  aidmp::recserve::Rows<int32_t> seen;
  std::vector<int32_t> row;
  for (int32_t user = 0; user < train.num_users; ++user) {
    row.clear();
    for (aidmp::recommend::SparseMatrix::InnerIterator it(train.matrix, user); it; ++it) row.push_back(it.col());
    seen.Add(row);
  }

  aidmp::recserve::TrainOptions options;
  options.recommendations_per_person = per_person;
  options.threads = threads;
  options.hnsw_m = m;
  options.hnsw_ef_construction = ef_construction;
  options.ann = aidmp::recserve::AnnMode::kOff;
  aidmp::recserve::RankingReport exact_report;
  ResetPeak();
  aidmp::recserve::Rows<aidmp::recserve::ScoredItem> exact =
      aidmp::recserve::RankForServing(**model, seen, train.num_items, options, &exact_report);
  std::printf("exact (score every item), %d threads: %.1f s, %.0f people/s (RSS %ld MB, peak %ld MB)\n", threads,
              exact_report.rank_seconds, train.num_users / exact_report.rank_seconds, StatusMb("VmRSS"),
              StatusMb("VmHWM"));

  for (int ef : efs) {
    options.ann = aidmp::recserve::AnnMode::kOn;
    options.hnsw_ef = ef;
    aidmp::recserve::RankingReport report;
    const long rss_before = StatusMb("VmRSS");
    ResetPeak();
    aidmp::recserve::Rows<aidmp::recserve::ScoredItem> approximate =
        aidmp::recserve::RankForServing(**model, seen, train.num_items, options, &report);
    std::printf("(approximate ranking: RSS %ld MB before, peak %ld MB during, %ld MB after)\n", rss_before,
                StatusMb("VmHWM"), StatusMb("VmRSS"));
    double recall_sum = 0;
    int64_t counted = 0;
    for (int32_t user = 0; user < train.num_users; ++user) {
      if (exact.begin(user) == exact.end(user)) continue;
      std::set<int32_t> found;
      for (auto* it = approximate.begin(user); it != approximate.end(user); ++it) found.insert(it->item);
      size_t hits = 0;
      for (auto* it = exact.begin(user); it != exact.end(user); ++it) hits += found.count(it->item);
      recall_sum += static_cast<double>(hits) / (exact.end(user) - exact.begin(user));
      ++counted;
    }
    std::printf("%s, %d threads: index over %d items (%d more scanned) built in %.1f s (%.0f MB), ranked in %.1f s (%.0f people/s); "
                "exact / hnsw ranking = %.1fx (%.1fx with the build); recall@%d %.4f over all %lld people "
                "(trainer's sample of %u: %.4f)\n",
                report.ranking.c_str(), threads, report.indexed_items, report.scanned_items, report.index_seconds, report.index_bytes / 1e6, report.rank_seconds,
                train.num_users / report.rank_seconds, exact_report.rank_seconds / report.rank_seconds,
                exact_report.rank_seconds / (report.rank_seconds + report.index_seconds), per_person,
                recall_sum / std::max<int64_t>(counted, 1), static_cast<long long>(counted), report.recall_persons,
                report.recall);
  }

  aidmp::recommend::ItemKnnOptions knn_options;
  knn_options.k = 20;
  aidmp::recommend::ItemKnn knn(knn_options);
  start = std::chrono::steady_clock::now();
  if (auto status = knn.Fit(train, aidmp::recommend::FitContext{threads, 42}); !status.ok()) {
    std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    return 1;
  }
  std::printf("similar items (item-kNN cosine, 20 per item), %d threads: %.1f s\n", threads, Seconds(start));
  std::printf("RSS at the end %ld MB\n", StatusMb("VmRSS"));
  return 0;
}
