// Lookalike audiences: expand a seed (a segment's members) to the N people most like
// them who are not in it.
//
// Each person is a vector: their interest tag scores, and their behaviour as log-scaled
// event counts per event name (relative to the busiest person), weighted `behaviour_weight`
// against interests; the vector is scaled to length 1, so inner products are cosine
// similarities. The seed is its members' mean direction; candidates are ranked by cosine
// similarity to it. Search is approximate, on an HNSW graph (hnswlib), or exact (a scan),
// which measures the approximation's recall (tested; docs/segments.md has figures).
// People without any interest or event have no direction and are never proposed.
//
// Thread-safety: immutable once built; Expand may run on many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/profile.h"
#include "storage/store.h"

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
class InnerProductSpace;
}  // namespace hnswlib

namespace aidmp::audience {

struct LookalikeOptions {
  double behaviour_weight = 0.5;
  size_t max_event_features = 64;  // the most common event names
  size_t hnsw_m = 16;
  size_t hnsw_ef_construction = 200;
  size_t hnsw_ef_search = 200;
};

struct LookalikeMatch {
  uint64_t person = 0;
  float similarity = 0;  // cosine, in [-1, 1]
};

class LookalikeModel {
 public:
  ~LookalikeModel();

  // One vector per profile, features at `now_us`.
  static std::unique_ptr<LookalikeModel> FromProfiles(const std::vector<profile::Profile>& profiles,
                                                      const profile::ProfileModel& model, int64_t now_us,
                                                      const LookalikeOptions& options = {});
  // Every stored profile (a scan).
  static absl::StatusOr<std::unique_ptr<LookalikeModel>> Build(storage::Store* store, const profile::ProfileModel& model,
                                                               int64_t now_us, const LookalikeOptions& options = {});
  // Given vectors (of equal length; scaled to length 1 here).
  static std::unique_ptr<LookalikeModel> FromVectors(const std::vector<uint64_t>& persons,
                                                     const std::vector<std::vector<float>>& vectors,
                                                     const LookalikeOptions& options = {});

  // The `size` people most similar to the seed, not in it, most similar first.
  // FailedPrecondition if no seed member has a vector.
  absl::StatusOr<std::vector<LookalikeMatch>> Expand(const std::vector<uint64_t>& seed, size_t size, bool exact) const;

  size_t persons() const { return persons_.size(); }
  size_t dimensions() const { return dimensions_; }
  const std::vector<std::string>& features() const { return features_; }
  int64_t built_at_us() const { return built_at_us_; }

 private:
  LookalikeModel() = default;
  void Index(const LookalikeOptions& options);

  size_t dimensions_ = 0;
  std::vector<std::string> features_;
  std::vector<uint64_t> persons_;                 // by row
  std::vector<float> vectors_;                    // rows x dimensions, unit length
  std::unordered_map<uint64_t, uint32_t> rows_;   // person -> row
  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
  int64_t built_at_us_ = 0;
};

// The fraction of `exact` also in `approximate` (recall of the approximate search).
double Recall(const std::vector<LookalikeMatch>& approximate, const std::vector<LookalikeMatch>& exact);

}  // namespace aidmp::audience
