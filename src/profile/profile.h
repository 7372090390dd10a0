// A person's profile: traits with the time and source of each value, first and last
// seen, and event counts by name.
//
// Every update is order-independent: a trait keeps the value with the latest event time
// (ties broken by log position), counts add up, first/last seen are min/max. So a
// profile built while events stream in, in batches of any size, with merges in between,
// equals one rebuilt from the log in a single pass (tested).
// Not thread-safe: a value type.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "event/event.h"

namespace aidmp::profile {

struct TraitValue {
  std::string json;     // the value as compact JSON
  int64_t ts_us = 0;    // event time of the event that set it
  uint64_t seq = 0;     // its log position
  std::string source;   // where that event came from
};

struct Profile {
  uint64_t person = 0;
  std::map<std::string, TraitValue> traits;
  int64_t first_seen_us = std::numeric_limits<int64_t>::max();
  int64_t last_seen_us = std::numeric_limits<int64_t>::min();
  uint64_t events = 0;
  // "track:Order Completed", "page", "identify", ...
  std::map<std::string, uint64_t> event_counts;

  // Folds one event in: traits from identify traits (and context.traits on any event).
  void Apply(const event::Event& event);
  // Folds another person's profile in (after an identity merge).
  void Merge(const Profile& other);

  std::string Encode() const;
  static absl::Status Decode(std::string_view data, Profile* out);
};

}  // namespace aidmp::profile
