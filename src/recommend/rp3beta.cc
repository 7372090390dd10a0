#include "recommend/rp3beta.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"
#include "common/parallel.h"

namespace aidmp::recommend {

absl::Status Rp3Beta::Fit(const TrainSet& train, const FitContext& context) {
  if (!(options_.alpha > 0)) return absl::InvalidArgumentError(StrCat("RP3beta: alpha ", options_.alpha, " must be > 0"));
  if (!(options_.beta >= 0)) return absl::InvalidArgumentError(StrCat("RP3beta: beta ", options_.beta, " must be >= 0"));
  matrix_ = train.matrix;
  const int32_t num_items = train.num_items;
  const double alpha = options_.alpha;
  // P_ui^α: each user's row divided by its sum, then raised to α.
  SparseMatrix user_to_item = matrix_;
  for (int32_t user = 0; user < train.num_users; ++user) {
    double sum = 0;
    for (SparseMatrix::InnerIterator it(user_to_item, user); it; ++it) sum += it.value();
    for (SparseMatrix::InnerIterator it(user_to_item, user); it; ++it) {
      it.valueRef() = sum > 0 ? static_cast<float>(std::pow(it.value() / sum, alpha)) : 0.0f;
    }
  }
  // P_iu^α: items x users, uniform over an item's users; deg(j)^-β per column.
  SparseMatrix item_to_user = matrix_.transpose();
  std::vector<double> penalty(num_items, 0);
  for (int32_t item = 0; item < num_items; ++item) {
    const int64_t degree = item_to_user.row(item).nonZeros();
    if (degree == 0) continue;
    penalty[item] = std::pow(static_cast<double>(degree), -static_cast<double>(options_.beta));
    for (SparseMatrix::InnerIterator it(item_to_user, item); it; ++it) {
      it.valueRef() = static_cast<float>(std::pow(1.0 / static_cast<double>(degree), alpha));
    }
  }
  weights_.assign(num_items, {});
  const int threads = std::max(1, options_.threads > 0 ? options_.threads : context.threads);
  // Row i of W = Σ_u P_iu(i, u) · P_ui(u, ·), accumulated densely per thread.
  ParallelFor(threads, threads, [&](int64_t thread_idx) {
    std::vector<double> row(num_items, 0);
    std::vector<char> seen(num_items, 0);
    std::vector<int32_t> touched;
    for (int32_t item = static_cast<int32_t>(thread_idx); item < num_items; item += threads) {
      touched.clear();
      for (SparseMatrix::InnerIterator via_user(item_to_user, item); via_user; ++via_user) {
        for (SparseMatrix::InnerIterator target(user_to_item, via_user.col()); target; ++target) {
          const int32_t other = static_cast<int32_t>(target.col());
          if (!seen[other]) {
            seen[other] = 1;
            touched.push_back(other);
          }
          row[other] += static_cast<double>(via_user.value()) * target.value();
        }
      }
      std::vector<internal::Neighbour> kept;
      kept.reserve(touched.size());
      for (int32_t other : touched) {
        const double weight = row[other] * penalty[other];
        row[other] = 0;
        seen[other] = 0;
        if (other != item && weight != 0) kept.push_back({other, static_cast<float>(weight)});
      }
      auto better = [](const internal::Neighbour& a, const internal::Neighbour& b) {
        return a.similarity > b.similarity || (a.similarity == b.similarity && a.index < b.index);
      };
      if (options_.k > 0 && static_cast<int>(kept.size()) > options_.k) {
        std::nth_element(kept.begin(), kept.begin() + options_.k, kept.end(), better);
        kept.resize(options_.k);
      }
      std::sort(kept.begin(), kept.end(), better);
      if (options_.normalise) {
        double total = 0;
        for (const internal::Neighbour& neighbour : kept) total += neighbour.similarity;
        for (internal::Neighbour& neighbour : kept) neighbour.similarity = static_cast<float>(neighbour.similarity / total);
      }
      weights_[item] = std::move(kept);
    }
  });
  return absl::OkStatus();
}

void Rp3Beta::ScoreItems(int32_t user, std::span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  if (user < 0 || user >= matrix_.rows()) return;
  for (SparseMatrix::InnerIterator it(matrix_, user); it; ++it) {
    for (const internal::Neighbour& target : weights_[it.col()]) scores[target.index] += it.value() * target.similarity;
  }
}

}  // namespace aidmp::recommend
