#include "recommend/evaluation.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <thread>

namespace aidmp::recommend {

RankingSplit SplitPerUser(const Dataset& dataset, uint64_t seed, double valid_ratio, double test_ratio) {
  std::vector<std::vector<Interaction>> by_user(dataset.num_users());
  for (const Interaction& row : dataset.interactions) by_user[row.user].push_back(row);
  std::mt19937_64 rng(seed);
  RankingSplit split;
  for (std::vector<Interaction>& rows : by_user) {
    std::shuffle(rows.begin(), rows.end(), rng);
    const int64_t total = static_cast<int64_t>(rows.size());
    // RecBole's _calcu_split_ids, for ratios [train, valid, test].
    const double ratios[3] = {1 - valid_ratio - test_ratio, valid_ratio, test_ratio};
    int64_t count[3] = {0, static_cast<int64_t>(ratios[1] * total), static_cast<int64_t>(ratios[2] * total)};
    count[0] = total - count[1] - count[2];
    for (int part = 2; part >= 1; --part) {
      if (count[0] <= 1) break;
      double expected = ratios[part] * total;
      if (expected > 0 && expected < 1) {
        ++count[part];
        --count[0];
      }
    }
    auto first = rows.begin();
    split.train.insert(split.train.end(), first, first + count[0]);
    split.valid.insert(split.valid.end(), first + count[0], first + count[0] + count[1]);
    split.test.insert(split.test.end(), first + count[0] + count[1], rows.end());
  }
  return split;
}

UserMetrics ComputeUserMetrics(const std::vector<int32_t>& ranked, const std::vector<int32_t>& relevant, int k) {
  UserMetrics metrics;
  if (relevant.empty() || k <= 0) return metrics;
  std::vector<int32_t> sorted_relevant = relevant;
  std::sort(sorted_relevant.begin(), sorted_relevant.end());
  double dcg = 0;
  int hits = 0;
  int limit = std::min<int>(k, static_cast<int>(ranked.size()));
  for (int rank_idx = 0; rank_idx < limit; ++rank_idx) {
    if (!std::binary_search(sorted_relevant.begin(), sorted_relevant.end(), ranked[rank_idx])) continue;
    if (hits == 0) metrics.mrr = 1.0 / (rank_idx + 1);
    ++hits;
    dcg += 1.0 / std::log2(rank_idx + 2.0);
  }
  double idcg = 0;
  int ideal = std::min<int>(k, static_cast<int>(sorted_relevant.size()));
  for (int rank_idx = 0; rank_idx < ideal; ++rank_idx) idcg += 1.0 / std::log2(rank_idx + 2.0);
  metrics.recall = static_cast<double>(hits) / static_cast<double>(sorted_relevant.size());
  metrics.precision = static_cast<double>(hits) / k;
  metrics.hit = hits > 0 ? 1 : 0;
  metrics.ndcg = dcg / idcg;
  return metrics;
}

std::vector<int32_t> TopK(std::span<const float> scores, const std::vector<int32_t>& excluded, int k) {
  // Min-heap of the best k seen so far: the worst (lowest score, then largest index) on top.
  auto better = [&](int32_t a, int32_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); };
  std::vector<int32_t> heap;
  heap.reserve(k + 1);
  size_t excluded_idx = 0;
  for (int32_t item = 0; item < static_cast<int32_t>(scores.size()); ++item) {
    while (excluded_idx < excluded.size() && excluded[excluded_idx] < item) ++excluded_idx;
    if (excluded_idx < excluded.size() && excluded[excluded_idx] == item) continue;
    if (std::isnan(scores[item])) continue;
    if (static_cast<int>(heap.size()) < k) {
      heap.push_back(item);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (k > 0 && better(item, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = item;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  return heap;
}

RankingMetrics EvaluateRanking(const Recommender& model, int32_t num_users, int32_t num_items,
                               const std::vector<const std::vector<Interaction>*>& exclude,
                               const std::vector<Interaction>& targets, int k, int threads) {
  std::vector<std::vector<int32_t>> excluded(num_users), relevant(num_users);
  for (const auto* rows : exclude) {
    for (const Interaction& row : *rows) excluded[row.user].push_back(row.item);
  }
  for (auto& items : excluded) {
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
  }
  for (const Interaction& row : targets) relevant[row.user].push_back(row.item);
  for (auto& items : relevant) {
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
  }

  struct Partial {
    UserMetrics sum;
    int32_t users = 0;
    std::vector<char> recommended;
  };
  threads = std::max(1, threads);
  std::vector<Partial> partials(threads);
  auto work = [&](int thread_idx) {
    Partial& partial = partials[thread_idx];
    partial.recommended.assign(num_items, 0);
    std::vector<float> scores(num_items);
    for (int32_t user = thread_idx; user < num_users; user += threads) {
      if (relevant[user].empty()) continue;
      model.ScoreItems(user, scores);
      std::vector<int32_t> top = TopK(scores, excluded[user], k);
      for (int32_t item : top) partial.recommended[item] = 1;
      UserMetrics metrics = ComputeUserMetrics(top, relevant[user], k);
      partial.sum.recall += metrics.recall;
      partial.sum.ndcg += metrics.ndcg;
      partial.sum.mrr += metrics.mrr;
      partial.sum.hit += metrics.hit;
      partial.sum.precision += metrics.precision;
      ++partial.users;
    }
  };
  std::vector<std::thread> workers;
  for (int thread_idx = 1; thread_idx < threads; ++thread_idx) workers.emplace_back(work, thread_idx);
  work(0);
  for (auto& worker : workers) worker.join();

  RankingMetrics result;
  std::vector<char> recommended(num_items, 0);
  for (const Partial& partial : partials) {
    result.recall += partial.sum.recall;
    result.ndcg += partial.sum.ndcg;
    result.mrr += partial.sum.mrr;
    result.hit += partial.sum.hit;
    result.precision += partial.sum.precision;
    result.users += partial.users;
    for (int32_t item = 0; item < num_items; ++item) recommended[item] |= partial.recommended[item];
  }
  if (result.users > 0) {
    double users = result.users;
    result.recall /= users;
    result.ndcg /= users;
    result.mrr /= users;
    result.hit /= users;
    result.precision /= users;
  }
  if (num_items > 0) {
    result.coverage = static_cast<double>(std::count(recommended.begin(), recommended.end(), 1)) / num_items;
  }
  return result;
}

std::vector<std::vector<int32_t>> KFoldIndices(size_t n, int folds, uint64_t seed) {
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::vector<int32_t>> result(std::max(1, folds));
  for (size_t row_idx = 0; row_idx < n; ++row_idx) result[row_idx % result.size()].push_back(order[row_idx]);
  return result;
}

RatingMetrics EvaluateRatings(const Recommender& model, const std::vector<Interaction>& targets, float min_rating,
                              float max_rating) {
  RatingMetrics metrics;
  if (targets.empty()) return metrics;
  double squared = 0, absolute = 0;
  for (const Interaction& row : targets) {
    float predicted = std::clamp(model.PredictRating(row.user, row.item), min_rating, max_rating);
    double error = static_cast<double>(predicted) - row.rating;
    squared += error * error;
    absolute += std::abs(error);
  }
  metrics.rmse = std::sqrt(squared / targets.size());
  metrics.mae = absolute / targets.size();
  return metrics;
}

}  // namespace aidmp::recommend
