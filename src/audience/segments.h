// Saved audience segments: a name and an expression, kept in the meta family
// ("segment/<name>"), so in_segment("name") can refer to them and the API can list them.
//
// Saving checks the expression against the profile config and the other segments, and
// refuses references that would make a cycle; deleting refuses a segment others use.
// Thread-safe: saves and deletes are serialised; reads go to the store.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audience/evaluate.h"
#include "profile/profile.h"
#include "storage/store.h"

namespace aidmp::audience {

struct SavedSegment {
  std::string name;
  std::string expression;  // canonical form
  int64_t created_us = 0;
  int64_t updated_us = 0;
};

class SegmentCatalog {
 public:
  explicit SegmentCatalog(storage::Store* store) : store_(store) {}

  // Creates or replaces. Names: 1-64 of [A-Za-z0-9_-]. InvalidArgument for a bad name,
  // a bad expression, an unknown computed trait or segment, or a cycle.
  absl::StatusOr<SavedSegment> Save(const std::string& name, std::string_view expression,
                                    const profile::ProfileModel& model, int64_t now_us);
  // NotFound if there is none.
  absl::StatusOr<SavedSegment> Get(const std::string& name) const;
  absl::StatusOr<std::vector<SavedSegment>> List() const;
  // NotFound if there is none; FailedPrecondition naming the segments that use it.
  absl::Status Delete(const std::string& name);
  // Every saved segment, parsed, for evaluation.
  absl::StatusOr<SegmentDefinitions> Definitions() const;

  static std::string Encode(const SavedSegment& segment);

 private:
  storage::Store* store_;
  std::mutex mu_;
};

}  // namespace aidmp::audience
