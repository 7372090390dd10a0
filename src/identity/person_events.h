// A person's events: the identity processor indexes every event under the person it
// was attributed to (kIdentity 'E' keys); this reads them back across merges.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/statusor.h"
#include "identity/identity_graph.h"

namespace aidmp::identity {

// Stages the index entry of event `seq` at `ts_us` under `person`.
void StagePersonEvent(uint64_t person, int64_t ts_us, uint64_t seq, storage::WriteBatch* batch);

// A person's event: its time and log position.
struct PersonEvent {
  int64_t ts_us = 0;
  uint64_t seq = 0;
};

// A person's events (their own and those of persons merged into them), by event time,
// newest first, at most `limit`, only events before `before_us` and at or after
// `after_us`.
absl::StatusOr<std::vector<PersonEvent>> PersonEventSeqs(storage::Store* store, const PersonRecord& person,
                                                         int64_t before_us, size_t limit,
                                                         int64_t after_us = std::numeric_limits<int64_t>::min());

}  // namespace aidmp::identity
