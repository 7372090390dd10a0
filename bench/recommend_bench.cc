// aidmp_bench_recommend: implicit ALS training time on a MovieLens-1M-sized input (6,040
// users, 3,706 items, ~1M interactions, popularity-skewed, generated with a seed), as a
// ratio to a naive baseline in the same run: the exact per-user Cholesky solve on one
// thread (what ALS implementations did before conjugate gradient). Also the time to
// score and rank one user's top 10. Flags: --quick (a tenth of the users), --factors=64,
// --iterations=15; --users=N --items=N --interactions=N for other sizes (e.g. 50 M), and
// --no-baseline to skip the slow exact solve there. docs/benchmarks.md keeps the figures.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <unordered_set>

#include "recommend/evaluation.h"
#include "recommend/implicit_als.h"

namespace {

using aidmp::recommend::Dataset;

Dataset Generate(int32_t users, int32_t items, int64_t target_interactions, uint64_t seed) {
  Dataset dataset;
  for (int32_t user = 0; user < users; ++user) dataset.user_ids.push_back(std::to_string(user));
  for (int32_t item = 0; item < items; ++item) dataset.item_ids.push_back(std::to_string(item));
  dataset.item_titles.resize(items);
  dataset.item_features.resize(items);
  dataset.explicit_ratings = false;
  std::mt19937_64 rng(seed);
  // Item popularity ~ 1 / rank^0.9; user activity log-normal, like MovieLens.
  std::vector<double> cumulative(items);
  double total = 0;
  for (int32_t item = 0; item < items; ++item) cumulative[item] = total += 1.0 / std::pow(item + 1, 0.9);
  std::lognormal_distribution<double> activity(0, 1);
  std::vector<double> weights(users);
  double weight_sum = 0;
  for (auto& weight : weights) weight_sum += weight = activity(rng);
  std::uniform_real_distribution<double> uniform(0, total);
  for (int32_t user = 0; user < users; ++user) {
    int64_t degree = std::clamp<int64_t>(static_cast<int64_t>(target_interactions * weights[user] / weight_sum), 20, items / 2);
    std::unordered_set<int32_t> seen;
    while (static_cast<int64_t>(seen.size()) < degree) {
      int32_t item = static_cast<int32_t>(std::lower_bound(cumulative.begin(), cumulative.end(), uniform(rng)) - cumulative.begin());
      if (seen.insert(std::min(item, items - 1)).second) dataset.interactions.push_back({user, std::min(item, items - 1), 1, 0});
    }
  }
  return dataset;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

long PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, baseline = true;
  int factors = 64, iterations = 15;
  int64_t users_flag = 0, items_flag = 3706, interactions_flag = 0;
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    std::string arg = argv[arg_idx];
    if (arg == "--quick") quick = true;
    else if (arg.rfind("--factors=", 0) == 0) factors = std::stoi(arg.substr(10));
    else if (arg.rfind("--iterations=", 0) == 0) iterations = std::stoi(arg.substr(13));
    else if (arg.rfind("--users=", 0) == 0) users_flag = std::stoll(arg.substr(8));
    else if (arg.rfind("--items=", 0) == 0) items_flag = std::stoll(arg.substr(8));
    else if (arg.rfind("--interactions=", 0) == 0) interactions_flag = std::stoll(arg.substr(15));
    else if (arg == "--no-baseline") baseline = false;
    else {
      std::fprintf(stderr,
                   "unknown flag %s (--quick, --factors=N, --iterations=N, --users=N, --items=N, --interactions=N, "
                   "--no-baseline)\n",
                   arg.c_str());
      return 2;
    }
  }
  int32_t users = static_cast<int32_t>(users_flag > 0 ? users_flag : quick ? 604 : 6040);
  int64_t target = interactions_flag > 0 ? interactions_flag : quick ? 100'000 : 1'000'209;
  auto generate_start = std::chrono::steady_clock::now();
  aidmp::recommend::TrainSet train;
  {
    Dataset dataset = Generate(users, static_cast<int32_t>(items_flag), target, 1);
    std::printf("generated %zu interactions in %.1f s\n", dataset.interactions.size(), Seconds(generate_start));
    auto build_start = std::chrono::steady_clock::now();
    train = aidmp::recommend::MakeTrainSet(dataset, dataset.interactions, /*binary=*/true);
    std::printf("training matrix built in %.1f s (%.1f M interactions/s)\n", Seconds(build_start),
                dataset.interactions.size() / Seconds(build_start) / 1e6);
  }
  std::printf("input: %d users, %d items, %lld interactions; ALS %d factors, %d iterations\n", train.num_users,
              train.num_items, static_cast<long long>(train.matrix.nonZeros()), factors, iterations);

  struct Run {
    const char* name;
    int cg_steps, threads;
  };
  const Run runs[] = {{"naive baseline: exact Cholesky, 1 thread", 0, 1},
                      {"aidmp: conjugate gradient (3 steps), 1 thread", 3, 1},
                      {"aidmp: conjugate gradient (3 steps), 2 threads", 3, 2}};
  double baseline_seconds = 0;
  for (const Run& run : runs) {
    if (!baseline && run.cg_steps == 0) continue;
    aidmp::recommend::ImplicitAlsOptions options;
    options.factors = factors;
    options.iterations = iterations;
    options.regularization = 20;
    options.cg_steps = run.cg_steps;
    aidmp::recommend::ImplicitAls model(options);
    aidmp::recommend::FitContext context;
    context.threads = run.threads;
    auto start = std::chrono::steady_clock::now();
    if (auto status = model.Fit(train, context); !status.ok()) {
      std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
      return 1;
    }
    double seconds = Seconds(start);
    if (baseline && baseline_seconds == 0) baseline_seconds = seconds;
    std::string ratio = baseline_seconds > 0 ? std::to_string(baseline_seconds / seconds) + "x faster than the baseline"
                                             : std::string("(no baseline)");
    std::printf("%-50s %8.2f s  %s; %.1f M interactions x iterations / s\n", run.name, seconds, ratio.c_str(),
                static_cast<double>(train.matrix.nonZeros()) * iterations / seconds / 1e6);
    if (run.threads == 2) {
      std::vector<float> scores(train.num_items);
      std::vector<int32_t> none;
      auto score_start = std::chrono::steady_clock::now();
      size_t checksum = 0;
      const int32_t scored_users = std::min<int32_t>(train.num_users, 10000);
      for (int32_t user = 0; user < scored_users; ++user) {
        model.ScoreItems(user, scores);
        checksum += aidmp::recommend::TopK(scores, none, 10)[0];
      }
      std::printf("score all items + top 10, one thread: %.1f us per user over %d users (checksum %zu)\n",
                  Seconds(score_start) * 1e6 / scored_users, scored_users, checksum);
    }
  }
  std::printf("peak RSS %ld MB\n", PeakRssMb());
  return 0;
}
