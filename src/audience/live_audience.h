// The audience index of a running engine: a PersonIndex built from the store on first
// use, then kept current by the person processor (every profile a batch writes, every
// person merged away), by erasures and by unmerges, and rebuilt when the UTC day turns
// (computed traits with windows move with the day). It follows the latest day asked
// for; a question about an earlier day (`at=`) builds a one-off index for its answer.
//
// Thread-safe: updates take the index exclusively, evaluations share it. Updates that
// arrive before the first build are dropped: the build reads the store, which already
// holds them (updates are reported after their batch is written).
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "audience/person_index.h"
#include "profile/profile.h"
#include "storage/store.h"

namespace aidmp::audience {

struct AudienceResult {
  uint64_t count = 0;            // the people matching
  uint64_t persons = 0;          // everyone with a profile
  int64_t index_time_us = 0;     // the evaluation time
  std::vector<PlanStep> plan;    // when asked to explain
};

class LiveAudience {
 public:
  // `model` must outlive this.
  LiveAudience(storage::Store* store, const profile::ProfileModel* model) : store_(store), model_(model) {}

  // From the person processor, after its batch is written.
  void OnProfiles(const std::vector<const profile::Profile*>& changed, const std::vector<uint64_t>& removed);
  // After an erasure; after an unmerge or anything else that rewrote profiles (re-read).
  void Remove(const std::vector<uint64_t>& persons);
  absl::Status Refresh(const std::vector<uint64_t>& persons);
  // Forgets the index (after a rebuild); the next evaluation builds it again.
  void Reset();

  // Evaluates at `now_us`, among `among` (null: everyone). `members`, if given, receives
  // the matching persons in slot order; without them and `among`, only the count is
  // computed.
  absl::StatusOr<AudienceResult> Evaluate(const Expression& expression, const SegmentDefinitions* segments,
                                          int64_t now_us, bool explain, std::vector<uint64_t>* members = nullptr,
                                          const std::vector<uint64_t>* among = nullptr,
                                          PersonIndex::PersonCache* cache = nullptr);

 private:
  absl::Status EnsureBuilt(int64_t now_us);

  storage::Store* store_;
  const profile::ProfileModel* model_;
  std::shared_mutex mu_;
  std::unique_ptr<PersonIndex> index_;  // guarded by mu_
};

}  // namespace aidmp::audience
