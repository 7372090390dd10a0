// Living segments: who is in each saved segment, kept current as profiles change, with
// every entry and exit recorded (so they can trigger things and be charted) and the size
// over time.
//
// After each batch the person processor writes, Update re-evaluates every saved segment
// for just the persons whose profiles changed (or who left) and records the differences.
// Refresh re-evaluates a segment over everyone and records the differences too: it is the
// full re-evaluation that streaming must equal (tested), and it also runs once per UTC day
// and on the first update after opening, since windows move with time and a crash may
// have lost the last update. Saving a segment must be followed by Refresh(name) and
// deleting one by Drop(name), which drops its members and history: the definitions are
// read once and re-read only then.
//
// On disk (meta family; storage/keys.h):
//   "segmember/<name>/" person(8)              -> empty                 current members
//   "segchange/<name>/" time(8) person(8)      -> "entered" | "exited"  the change log
//   "segsize/<name>/" minute(8)                -> size (decimal)        size over time
// Forget (erasure) removes a person from every membership and change record, leaving no
// trace of them.
//
// Thread-safe: one mutex serialises updates, refreshes and reads.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audience/live_audience.h"
#include "audience/segments.h"
#include "storage/store.h"

namespace aidmp::audience {

struct MembershipChange {
  int64_t at_us = 0;
  uint64_t person = 0;
  bool entered = false;
};

struct SizePoint {
  int64_t at_us = 0;  // the minute
  uint64_t size = 0;
};

struct RefreshReport {
  std::string segment;
  uint64_t size = 0;
  uint64_t entered = 0;
  uint64_t exited = 0;
};

class Memberships {
 public:
  // `audience` must outlive this.
  Memberships(storage::Store* store, LiveAudience* audience) : store_(store), audience_(audience), catalog_(store) {}

  // Profiles of `persons` changed, or they left (merged away): re-evaluates every saved
  // segment for them at `now_us`.
  absl::Status Update(const std::vector<uint64_t>& persons, int64_t now_us);
  // Re-evaluates segment `name` (empty: every segment) over everyone.
  absl::StatusOr<std::vector<RefreshReport>> Refresh(const std::string& name, int64_t now_us);
  // After a segment is deleted: drops its members and history.
  absl::Status Drop(const std::string& name);
  // Erasure: the persons leave every segment and the change logs, unrecorded.
  absl::Status Forget(const std::vector<uint64_t>& persons);

  // Reads. NotFound for an unknown segment.
  absl::StatusOr<bool> IsMember(const std::string& name, uint64_t person);
  // Members in person order after `after`, at most `limit`.
  absl::StatusOr<std::vector<uint64_t>> Members(const std::string& name, uint64_t after, size_t limit);
  absl::StatusOr<uint64_t> Size(const std::string& name);
  absl::StatusOr<std::vector<SizePoint>> Sizes(const std::string& name, int64_t from_us, int64_t to_us);
  // Changes from `from_us` on, oldest first, at most `limit`.
  absl::StatusOr<std::vector<MembershipChange>> Changes(const std::string& name, int64_t from_us, size_t limit);
  // Sizes of two segments and of their overlap (A minus B is a - both).
  struct OverlapCounts {
    uint64_t a = 0, b = 0, both = 0;
  };
  absl::StatusOr<OverlapCounts> Overlap(const std::string& a, const std::string& b);

 private:
  absl::Status LoadLocked();
  absl::Status RefreshLocked(const std::string& name, const SegmentDefinitions& definitions, int64_t now_us,
                             RefreshReport* report);
  // Applies the new membership of `persons` (those in `now_in` are members) to segment
  // `name`, staging keys and change records.
  void ApplyLocked(const std::string& name, const std::vector<uint64_t>& persons, const std::set<uint64_t>& now_in,
                   int64_t now_us, storage::WriteBatch* batch, RefreshReport* report);
  absl::Status CheckKnown(const std::string& name);
  absl::StatusOr<const SegmentDefinitions*> DefinitionsLocked();

  storage::Store* store_;
  LiveAudience* audience_;
  SegmentCatalog catalog_;
  std::mutex mu_;
  bool loaded_ = false;                                  // guarded by mu_
  std::map<std::string, std::set<uint64_t>> members_;   // guarded by mu_
  int64_t refreshed_day_ = -1;                           // guarded by mu_; -1: not since opening
  std::optional<SegmentDefinitions> definitions_;        // guarded by mu_; read on first use
};

}  // namespace aidmp::audience
