// Segment spec JSON -> Event.
//
// Maps one Segment message (a JSON object) to an Event, checking only what the JSON
// says: known fields must have the right JSON types (userId a string or number,
// properties an object, timestamps ISO-8601 strings, ...). Semantic rules (ids present,
// sizes, timestamp sanity) belong to clean/. Unknown top-level fields are ignored, as
// Segment does. Thread-safe: pure functions.
#pragma once

#include <optional>

#include "absl/status/status.h"
#include "event/event.h"
#include "simdjson.h"

namespace aidmp::event {

// Fills `out` from `message`. `forced_type` is the type implied by the endpoint
// (/v1/track); when absent the message's own "type" field is required (batch items).
// `out->received_at_us` and `out->sent_at_us` are left as the caller set them unless the
// message carries its own sentAt. `out->timestamp_us` is set only when the message
// states an event time apart from the device clock reading (both `timestamp` and a
// different `originalTimestamp`); otherwise cleaning derives it. On error returns
// InvalidArgument naming the field.
//
// When `minified_size` is given it is set, on success, to event::MinifiedSize(message):
// the size the collector checks against its per-event limit, counted here from the
// sub-objects this function writes out anyway instead of by a second walk.
// When `user_agent` is given it is set, on success, to the string member "userAgent" of
// the context kept in out->context_json (empty if none), as a view into the message's
// document: the cleaner's bot check then needs no second parse of the context.
absl::Status ParseSegmentMessage(simdjson::dom::element message,
                                 std::optional<EventType> forced_type, Event* out,
                                 size_t* minified_size = nullptr, std::string_view* user_agent = nullptr);

}  // namespace aidmp::event
