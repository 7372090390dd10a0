// The whole story of one person as one JSON document: identifiers, merge history
// (refused merges with their reasons), traits, computed traits, interest tags, sessions,
// RFM, and a page of recent events. `GET /v1/profiles/{id}` and `aidmp profile` both
// answer with it.
//
// Thread-safety: the functions read the store only; RfmCache is thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/status/statusor.h"
#include "common/json_writer.h"
#include "identity/identity_graph.h"
#include "profile/profile_view.h"

namespace aidmp::profile {

struct DocumentOptions {
  int64_t now_us = 0;  // evaluation time of windows, decay and recency
  size_t events_limit = 20;  // recent events per page (at most 1000)
  int64_t events_before_us = std::numeric_limits<int64_t>::max();  // page cursor
};

// The canonical person that `id` belongs to; NotFound naming the identifier otherwise.
absl::StatusOr<identity::PersonRecord> FindPerson(storage::Store* store, const identity::Identifier& id);

// Writes the document of `person` (a canonical record, as IdentityGraph::ReadPerson
// returns). `rfm` may be null (no RFM scores).
absl::Status WritePersonDocument(storage::Store* store, const ProfileModel& model,
                                 const identity::PersonRecord& person, const RfmModel* rfm,
                                 const DocumentOptions& options, JsonWriter* writer);

// The document of the person as it was at `as_of_us` (arrival time): `root` (a person
// number, current or merged away) with whoever had been merged into it by then, their
// events that had arrived by then, and the profile folded from those events alone. So
// it shows a person before a merge. The profile is rebuilt from the events: the cost
// grows with the person's event count.
absl::Status WritePersonDocumentAsOf(storage::Store* store, const ProfileModel& model, uint64_t root,
                                     int64_t as_of_us, const DocumentOptions& options, JsonWriter* writer);

// The person number that first held `id` (a merged-away one if it came with a merge);
// for looking a person up as of a time.
absl::StatusOr<uint64_t> OriginalOwner(storage::Store* store, const identity::Identifier& id);

// A fitted RfmModel for request paths. The fit scans every profile, so it never runs on
// the caller's thread once a model exists: a model older than `max_age_us` is refitted
// on a background thread while callers keep getting the previous one. The first Get
// fits on the caller's thread.
class RfmCache {
 public:
  RfmCache(storage::Store* store, const ProfileModel* model, int64_t max_age_us)
      : store_(store), model_(model), max_age_us_(max_age_us) {}
  ~RfmCache();
  absl::StatusOr<RfmModel> Get(int64_t now_us);

 private:
  storage::Store* store_;
  const ProfileModel* model_;
  int64_t max_age_us_;
  std::mutex mu_;
  std::optional<RfmModel> fitted_;  // guarded by mu_
  std::thread refit_;               // guarded by mu_
  bool refitting_ = false;          // guarded by mu_
};

}  // namespace aidmp::profile
