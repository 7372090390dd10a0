// Everyone's profile values at one moment, on bitmaps: the index that segment counts,
// memberships and exports run on (bitmap_plan.h).
//
// Each person with a profile gets a slot (a dense number, reused after they leave). Their
// row holds, as of the index's time:
//   traits (objects flattened kMaxIndexedPath deep), computed traits, interest tag
//   scores, and event counts per selector (a track event's name, its type, "track", "*").
// Computed traits with windows are as of the index's UTC day; interest scores do not
// change with time (every tag of a person decays alike). So one build serves a day; a
// different evaluation day needs a new build (or the reference evaluator).
//
// Put/Remove keep it current as profiles change (an erased or merged-away person is
// removed at once). Not thread-safe: callers serialise writes against reads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string_view>
#include <utility>
#include <optional>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "audience/bitmap_index.h"
#include "audience/bitmap_plan.h"
#include "audience/evaluate.h"
#include "profile/profile.h"
#include "storage/store.h"

namespace aidmp::audience {

class PersonIndex {
 public:
  // `model` must outlive the index.
  PersonIndex(const profile::ProfileModel* model, int64_t now_us) : model_(model), now_us_(now_us) {}

  // Indexes every stored profile (a scan of the profile keys), then optimises the bitmaps.
  absl::Status Build(storage::Store* store);

  // Indexes (or re-indexes) one person's profile; removes a person.
  void Put(const profile::Profile& profile);
  void Remove(uint64_t person);
  // Re-cuts numeric buckets and compresses (after many Puts); answers stay the same.
  void Optimize() { bitmaps_.Optimize(); }

  // The slots matching `expression`, checked against the model and `segments` first
  // (InvalidArgument naming line and column). `check` answers what the bitmaps cannot
  // (see bitmap_plan.h); StoreCheck gives one over a store.
  // `among`, if given, limits the answer to these persons (those not indexed match
  // nothing).
  // `window_now_us`, if not 0, is the evaluation time for deciding did(..., within: W)
  // from each person's recent daily counts (WindowBounds).
  absl::StatusOr<Roaring> Evaluate(const Expression& expression, const SegmentDefinitions* segments,
                                   const ResidualCheck& check, std::vector<PlanStep>* explain = nullptr,
                                   const std::vector<uint64_t>* among = nullptr, int64_t window_now_us = 0) const;
  // How many people match `expression`: Evaluate(...)->cardinality() over everyone,
  // without building their bitmap (what a count asks).
  absl::StatusOr<uint64_t> Count(const Expression& expression, const SegmentDefinitions* segments,
                                 const ResidualCheck& check, std::vector<PlanStep>* explain = nullptr,
                                 int64_t window_now_us = 0) const;
  // Bounds on the person's count of `selector` events in [now - within, now], from the
  // daily counts their profile keeps; nullopt when those do not reach back that far.
  std::optional<std::pair<uint64_t, uint64_t>> CountBounds(uint32_t slot, std::string_view selector, int64_t now_us,
                                                           int64_t within_us) const;
  // People read for residual checks, kept for the next evaluation that needs them (one
  // batch's re-evaluation of every segment reads each changed person once).
  struct PersonCache {
    std::map<uint64_t, profile::Profile> profiles;
    // A person's events from a time on (those a check needed), and that time.
    std::map<uint64_t, std::pair<int64_t, std::vector<event::Event>>> events;
  };
  // A residual check reading each person's profile and events from `store` (or `cache`,
  // if given), evaluating at `now_us` (a time on the index's day).
  ResidualCheck StoreCheck(storage::Store* store, const SegmentDefinitions* segments, int64_t now_us,
                           PersonCache* cache = nullptr) const;

  // The person in a slot (0 if free); the slot of a person.
  uint64_t PersonAt(uint32_t slot) const { return slot < persons_.size() ? persons_[slot] : 0; }
  std::optional<uint32_t> SlotOf(uint64_t person) const;

  int64_t now_us() const { return now_us_; }
  size_t persons() const { return slots_.size(); }
  const BitmapIndex& bitmaps() const { return bitmaps_; }

 private:
  uint32_t Slot(uint64_t person);
  // CountBounds at `window_now_us`; none when it is 0.
  WindowBounds BoundsAt(int64_t window_now_us) const;

  const profile::ProfileModel* model_;
  int64_t now_us_;
  BitmapIndex bitmaps_;
  std::unordered_map<uint64_t, uint32_t> slots_;
  std::vector<uint64_t> persons_;  // by slot; 0: free
  // Recent daily counts per did(...) selector, by slot (null: the profile lacks them).
  struct Recent {
    int64_t floor_day = 0;  // complete from this day on
    std::map<std::string, profile::RecentCounts, std::less<>> selectors;
  };
  std::vector<std::unique_ptr<Recent>> recent_;
  std::vector<uint32_t> free_;
};

}  // namespace aidmp::audience
