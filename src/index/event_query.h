// Reading stored events back: by userId, by anonymousId or all, in event-time order,
// with filters and opaque cursors for paging. Reads the indexes built by EventIndexer,
// so an event is visible once the indexer has caught up (its lag is in /metrics).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "index/pending_index.h"
#include "storage/store.h"

namespace aidmp::index {

struct EventFilter {
  std::string user_id;       // empty: any
  std::string anonymous_id;  // empty: any
  std::string event;         // track event name; empty: any
  std::string type;          // "track", "identify", ...; empty: any
  int64_t from_us = std::numeric_limits<int64_t>::min();  // event time, inclusive
  int64_t to_us = std::numeric_limits<int64_t>::max();    // event time, exclusive
  size_t limit = 100;
  std::string cursor;  // from a previous page's next_cursor; empty: from the start
};

struct EventPage {
  std::vector<std::string> records;  // stored event JSON, oldest first
  std::string next_cursor;           // empty when there is nothing more
};

// Maximum page size; larger limits are reduced to it.
constexpr size_t kMaxEventPage = 1000;

// InvalidArgument for a cursor that is not one of ours. `pending`: the keys the indexer
// holds in memory (EventIndexer::pending()); without it, only what it has flushed.
absl::StatusOr<EventPage> QueryEvents(storage::Store* store, const EventFilter& filter,
                                      const PendingIndex* pending = nullptr);

}  // namespace aidmp::index
