#include "recserve/internal/ann_index.h"

#include <algorithm>
#include <mutex>

// hnswlib 0.6.2's headers define ordinary (non-inline) functions (cpuid, xgetbv,
// AVXCapable, AVX512Capable) and variables (hnswlib::InnerProductSIMD16Ext, ...), so a
// second file including them in the same binary (audience/lookalike.cc does) fails to
// link with duplicate symbols. The system headers they use are included first, then the
// namespace and the four global names are made ours for this file only.
#include <cpuid.h>
#include <x86intrin.h>
#define hnswlib aidmp_recserve_hnswlib
#define cpuid aidmp_recserve_hnswlib_cpuid
#define xgetbv aidmp_recserve_hnswlib_xgetbv
#define AVXCapable AidmpRecserveHnswlibAvxCapable
#define AVX512Capable AidmpRecserveHnswlibAvx512Capable
#include "hnswlib/hnswlib.h"
#undef hnswlib
#undef cpuid
#undef xgetbv
#undef AVXCapable
#undef AVX512Capable

namespace aidmp::recserve::internal {

struct AnnIndex::Graph {
  Graph(int dimensions, size_t capacity, const AnnIndexOptions& options)
      : space(dimensions),
        hnsw(&space, std::max<size_t>(capacity, 1), static_cast<size_t>(std::max(options.m, 2)),
             static_cast<size_t>(std::max(options.ef_construction, 1)), options.seed) {
    hnsw.setEf(static_cast<size_t>(std::max(options.ef, 1)));
  }
  aidmp_recserve_hnswlib::InnerProductSpace space;
  aidmp_recserve_hnswlib::HierarchicalNSW<float> hnsw;
};

AnnIndex::AnnIndex(int dimensions, size_t capacity, const AnnIndexOptions& options)
    : graph_(std::make_unique<Graph>(dimensions, capacity, options)) {}

AnnIndex::~AnnIndex() = default;

void AnnIndex::Add(const float* vector, int32_t label) { graph_->hnsw.addPoint(vector, static_cast<size_t>(label)); }

std::vector<AnnIndex::Match> AnnIndex::Search(const float* query, size_t k) const {
  std::vector<Match> matches;
  if (k == 0 || graph_->hnsw.cur_element_count == 0) return matches;
  auto found = graph_->hnsw.searchKnn(query, k);
  matches.resize(found.size());
  // The queue pops the farthest first; InnerProductSpace's distance is 1 − ⟨a, b⟩.
  for (size_t pos = found.size(); pos-- > 0;) {
    matches[pos] = {static_cast<int32_t>(found.top().second), 1.0f - found.top().first};
    found.pop();
  }
  return matches;
}

size_t AnnIndex::MemoryBytes() const {
  const auto& hnsw = graph_->hnsw;
  size_t bytes = hnsw.max_elements_ * hnsw.size_data_per_element_;
  for (size_t element = 0; element < hnsw.cur_element_count; ++element) {
    if (hnsw.element_levels_[element] > 0) bytes += hnsw.size_links_per_element_ * hnsw.element_levels_[element];
  }
  // Per element also: its upper-layer pointer, level, lock, and label map entry (~48 bytes).
  return bytes + hnsw.max_elements_ * (sizeof(void*) + sizeof(int) + sizeof(std::mutex) + 48);
}

}  // namespace aidmp::recserve::internal
