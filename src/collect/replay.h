// Quarantine replay: run quarantined payloads through parse and clean again (after a
// config or tracking-plan change). What now passes is stored and leaves the quarantine
// in the same atomic write; what still fails stays where it is, with its first reason.
//
// Thread-safety: one replay at a time per engine.
#pragma once

#include <optional>

#include "absl/status/statusor.h"
#include "clean/reason.h"
#include "collect/engine.h"

namespace aidmp::collect {

struct ReplayReport {
  uint64_t examined = 0;
  uint64_t stored = 0;        // now accepted and appended
  uint64_t duplicates = 0;    // now accepted but already stored
  uint64_t still_failing = 0; // left in quarantine
};

// Replays up to `limit` records (all reasons, or only `reason`).
absl::StatusOr<ReplayReport> ReplayQuarantine(Engine* engine, std::optional<clean::Reason> reason,
                                              size_t limit);

}  // namespace aidmp::collect
