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

}  // namespace aidmp::event
