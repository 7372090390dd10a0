#include "recommend/internal/neighbours.h"

#include <algorithm>
#include <cmath>

#include "common/parallel.h"

namespace aidmp::recommend::internal {

std::vector<std::vector<Neighbour>> CosineNeighbours(const SparseMatrix& rows, int k, float shrink, int threads) {
  const int32_t n = static_cast<int32_t>(rows.rows());
  SparseMatrix columns = rows.transpose();  // features x entities, row-major
  std::vector<float> norms(n, 0);
  for (int32_t row = 0; row < n; ++row) {
    double squares = 0;
    for (SparseMatrix::InnerIterator it(rows, row); it; ++it) squares += static_cast<double>(it.value()) * it.value();
    norms[row] = static_cast<float>(std::sqrt(squares));
  }
  std::vector<std::vector<Neighbour>> result(n);
  std::vector<std::vector<double>> accumulators(std::max(1, threads));
  std::vector<std::vector<int32_t>> touched_lists(std::max(1, threads));
  // One accumulator per thread, indexed by the entity: the dot products of `row` with all
  // rows sharing a feature, found through the transpose.
  ParallelFor(std::max(1, threads), threads, [&](int64_t thread_idx) {
    std::vector<double>& dot = accumulators[thread_idx];
    std::vector<int32_t>& touched = touched_lists[thread_idx];
    dot.assign(n, 0);
    std::vector<char> seen(n, 0);
    int stride = std::max(1, threads);
    for (int32_t row = static_cast<int32_t>(thread_idx); row < n; row += stride) {
      touched.clear();
      for (SparseMatrix::InnerIterator feature(rows, row); feature; ++feature) {
        for (SparseMatrix::InnerIterator other(columns, feature.col()); other; ++other) {
          int32_t other_row = static_cast<int32_t>(other.col());
          if (other_row == row) continue;
          if (!seen[other_row]) {
            seen[other_row] = 1;
            touched.push_back(other_row);
          }
          dot[other_row] += static_cast<double>(feature.value()) * other.value();
        }
      }
      std::vector<Neighbour> neighbours;
      neighbours.reserve(touched.size());
      for (int32_t other_row : touched) {
        double denominator = static_cast<double>(norms[row]) * norms[other_row] + shrink;
        double similarity = denominator > 0 ? dot[other_row] / denominator : 0;
        dot[other_row] = 0;
        seen[other_row] = 0;
        if (similarity != 0) neighbours.push_back({other_row, static_cast<float>(similarity)});
      }
      auto better = [](const Neighbour& a, const Neighbour& b) {
        return a.similarity > b.similarity || (a.similarity == b.similarity && a.index < b.index);
      };
      if (k > 0 && static_cast<int>(neighbours.size()) > k) {
        std::nth_element(neighbours.begin(), neighbours.begin() + k, neighbours.end(), better);
        neighbours.resize(k);
      }
      std::sort(neighbours.begin(), neighbours.end(), better);
      result[row] = std::move(neighbours);
    }
  });
  return result;
}

float RowMeans(const SparseMatrix& rows, std::vector<float>* means) {
  means->assign(static_cast<size_t>(rows.rows()), 0);
  double total = 0;
  for (int32_t row = 0; row < rows.rows(); ++row) {
    double sum = 0;
    int count = 0;
    for (SparseMatrix::InnerIterator it(rows, row); it; ++it) {
      sum += it.value();
      ++count;
    }
    total += sum;
    (*means)[row] = count > 0 ? static_cast<float>(sum / count) : 0;
  }
  const float overall = rows.nonZeros() > 0 ? static_cast<float>(total / rows.nonZeros()) : 0;
  for (int32_t row = 0; row < rows.rows(); ++row) {
    if (rows.row(row).nonZeros() == 0) (*means)[row] = overall;
  }
  return overall;
}

}  // namespace aidmp::recommend::internal
