// Parsed JSON back to compact text, for the collector's hot path.
//
// The output is byte for byte what simdjson::minify writes (same escapes, same number
// forms), so stored records do not change; it is built with appends of whole runs
// instead of simdjson's byte-at-a-time vector. Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "simdjson.h"

namespace aidmp::event {

// Appends `value` as compact JSON to `out`.
void AppendMinified(simdjson::dom::element value, std::string* out);

// `value` as compact JSON.
std::string Minified(simdjson::dom::element value);

// The size of Minified(value), counted without writing it: what the collector checks
// against the per-event size limit before it knows whether it needs the text at all.
size_t MinifiedSize(simdjson::dom::element value);

// The size of `text` written as a JSON string (quotes and escapes included).
size_t MinifiedStringSize(std::string_view text);

}  // namespace aidmp::event
