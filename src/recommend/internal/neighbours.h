// Top-k cosine neighbours between the rows of a sparse matrix (users, or items via the
// transpose), and row means, shared by the user- and item-based models. Private to recommend/.
// Thread-safety: pure; uses `threads` worker threads internally.
#pragma once

#include <cstdint>
#include <vector>

#include "recommend/recommender.h"

namespace aidmp::recommend::internal {

struct Neighbour {
  int32_t index = 0;
  float similarity = 0;
};

// For every row r of `rows` (entities x features): its `k` most similar other rows by
// cosine similarity with shrinkage, sim(r, s) = <r, s> / (|r| |s| + shrink), best first,
// zero similarities omitted. k <= 0 keeps every neighbour.
std::vector<std::vector<Neighbour>> CosineNeighbours(const SparseMatrix& rows, int k, float shrink, int threads);

// Each row's mean value into `means` (rows without values get the overall mean), and the
// overall mean of all values, which it returns.
float RowMeans(const SparseMatrix& rows, std::vector<float>* means);

}  // namespace aidmp::recommend::internal
