// Evaluating a segment expression (expression.h) for one person, straight from their
// profile and, for did(...), their events: the reference semantics, and the oracle for
// the bitmap engine that will answer the same questions over millions of people.
//
// Semantics:
// - traits.a.b: the trait `a` (its latest value), then member `b` of it. A missing value
//   is null: `= null` holds for it, `exists` does not, and other comparisons fail.
// - =, != compare JSON scalars (numbers numerically); <, <=, >, >= compare two numbers
//   or two strings, and fail for anything else.
// - `in [..]`: equal to one of the items. `contains x`: an array holding x, or a string
//   holding the string x.
// - computed.NAME: the computed trait NAME of the profile config, at the evaluation time.
// - interest("t"): the tag's score in [0,1] (0 for a tag the person does not have).
// - did("e", within: W, count op N, where: C): the person's events named e (a track
//   event name, or a type: page, identify, ...) with an event time in the last W before
//   the evaluation time (any time without W), whose properties satisfy C; their number
//   compared with N.
// - in_segment("s"): the saved segment s matches (segments.h); an unknown name is an
//   error.
//
// Thread-safety: pure functions over their arguments; the store is only read.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audience/expression.h"
#include "event/event.h"
#include "profile/profile.h"
#include "storage/store.h"

namespace aidmp::audience {

// Saved segments by name, for in_segment(...).
using SegmentDefinitions = std::map<std::string, Expression>;

struct PersonFacts {
  const profile::Profile* profile = nullptr;
  // The person's events, loaded on the first did(...); may be null if the expression
  // has none.
  std::function<absl::StatusOr<std::vector<event::Event>>()> load_events;
};

// Errors (InvalidArgument, naming line and column): an unknown computed trait or
// segment. `segments` may be null (no saved segments).
absl::StatusOr<bool> Matches(const Node& node, const PersonFacts& facts, const profile::ProfileModel& model,
                             int64_t now_us, const SegmentDefinitions* segments = nullptr);

// Checks what can be known before any person is read: computed trait names and
// segment names exist.
absl::Status Check(const Node& node, const profile::ProfileModel& model, const SegmentDefinitions* segments = nullptr);

// A stored person's events, in event-time order (for PersonFacts::load_events); only
// those at or after `since_us` when given (a did(...) with a window needs no older ones).
absl::StatusOr<std::vector<event::Event>> LoadPersonEvents(storage::Store* store, uint64_t person,
                                                           int64_t since_us = std::numeric_limits<int64_t>::min());

// The earliest event time evaluating `node` at `now_us` can look at: now minus the
// longest did(...) window in it (through saved segments too); the smallest int64 if
// some did(...) has no window; the largest if it has no did(...) at all.
int64_t EarliestEventNeeded(const Node& node, const SegmentDefinitions* segments, int64_t now_us);

struct CountResult {
  uint64_t matching = 0;
  uint64_t persons = 0;  // evaluated
};

// Counts the persons matching `expression` among everyone with a profile, by reading
// each profile (and, for did(...), each person's events).
absl::StatusOr<CountResult> CountMatching(storage::Store* store, const Expression& expression,
                                          const profile::ProfileModel& model, int64_t now_us,
                                          const SegmentDefinitions* segments = nullptr);

}  // namespace aidmp::audience
