// An approximate maximum-inner-product index over float vectors: a hierarchical navigable
// small-world graph (hnswlib's HierarchicalNSW with its InnerProductSpace). The trainer
// (trainer.cc) uses it to rank a large catalogue for every person without scoring every
// item. hnswlib stays behind this header.
// Thread-safety: Add may be called from many threads at once for distinct labels; after
// the last Add, Search may be called from many threads at once. Not both together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace aidmp::recserve::internal {

struct AnnIndexOptions {
  int m = 16;                 // graph degree (2·m on the bottom layer); memory grows with it
  int ef_construction = 200;  // candidate list while inserting; build time grows with it
  int ef = 200;               // candidate list while searching (at least k is used)
  uint64_t seed = 100;        // level draws
};

class AnnIndex {
 public:
  struct Match {
    int32_t label = 0;
    float inner_product = 0;
  };

  // Room for `capacity` vectors of `dimensions` floats.
  AnnIndex(int dimensions, size_t capacity, const AnnIndexOptions& options);
  ~AnnIndex();
  AnnIndex(const AnnIndex&) = delete;
  AnnIndex& operator=(const AnnIndex&) = delete;

  // Copies `vector` (dimensions floats) into the index under `label` (any non-negative
  // number, once each); at most `capacity` vectors.
  void Add(const float* vector, int32_t label);
  // Up to k labels with the largest inner product with `query`, largest first. Approximate:
  // a true top-k vector may be missing (the recall of the graph, which ef trades for time).
  std::vector<Match> Search(const float* query, size_t k) const;
  // Bytes held by the graph and its copy of the vectors.
  size_t MemoryBytes() const;

 private:
  struct Graph;
  std::unique_ptr<Graph> graph_;
};

}  // namespace aidmp::recserve::internal
