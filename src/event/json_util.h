// Small helpers over simdjson results (Debian's simdjson 3.0 has no value_or).
// Thread-safe: pure functions.
#pragma once

#include "simdjson.h"

namespace aidmp::event {

// The value of `result`, or `fallback` if it holds an error (missing key, wrong type).
template <typename T>
T ValueOr(simdjson::simdjson_result<T> result, T fallback) {
  T value;
  return std::move(result).get(value) == simdjson::SUCCESS ? value : fallback;
}

}  // namespace aidmp::event
