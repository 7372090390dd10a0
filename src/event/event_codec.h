// The stored form of a cleaned event: compact JSON in the shape the API returns
// (Segment field names, ISO-8601 UTC timestamps with microseconds, plus aidmp's `seq`,
// `source` and `flags`). One format for disk and wire keeps "what you read is what was
// stored" true. Thread-safe: pure functions (decoding uses a thread-local parser).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "event/event.h"

namespace aidmp::event {

std::string EncodeStoredEvent(const Event& event);

// Encoding happens on many threads before the single log writer assigns sequence
// numbers; this puts `seq` into a record encoded with seq 0.
std::string WithSeq(std::string_view record_with_seq_zero, uint64_t seq);

// Parses what EncodeStoredEvent wrote. Returns DataLoss if `data` is not such a record.
absl::Status DecodeStoredEvent(std::string_view data, Event* out);

// What the event index needs of a stored event (index/event_indexer.h).
struct StoredEventKeys {
  std::string_view user_id;
  std::string_view anonymous_id;
  int64_t timestamp_us = kNoTimestamp;
};

// The same values DecodeStoredEvent gives for a record EncodeStoredEvent wrote, read
// from the members it writes before the sub-objects when their strings hold no escapes,
// without parsing the rest: the views then point into `data`. Any other record is
// decoded whole, and the views point into a thread-local event, valid until the next
// call on this thread; where that fails, so does this, with DecodeStoredEvent's
// DataLoss. (A record with such a head and a damaged tail is read from its head.)
absl::Status DecodeStoredEventKeys(std::string_view data, StoredEventKeys* out);

}  // namespace aidmp::event
