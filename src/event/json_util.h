// Small helpers over simdjson results (Debian's simdjson 3.0 has no value_or).
// Thread-safe: pure functions.
#pragma once

#include <string.h>  // memmem (a GNU extension, not in <cstring>'s std::)

#include <string_view>

#include "simdjson.h"

namespace aidmp::event {

// The value of `result`, or `fallback` if it holds an error (missing key, wrong type).
template <typename T>
T ValueOr(simdjson::simdjson_result<T> result, T fallback) {
  T value;
  return std::move(result).get(value) == simdjson::SUCCESS ? value : fallback;
}

// False only if the JSON text `json` cannot hold a member named by `quoted_key` (the
// name with its quotes, e.g. "\"device\""): the text has no such run and no backslash
// that could spell the name another way. A test that spares a parse: cheap next to one.
// memmem, not string_view::find: find stops at every '"' (the key's first character,
// and every few bytes of JSON), about seven times slower on a browser's context.
inline bool MayHoldKey(std::string_view json, std::string_view quoted_key) {
  return memmem(json.data(), json.size(), quoted_key.data(), quoted_key.size()) != nullptr ||
         json.find('\\') != std::string_view::npos;
}

}  // namespace aidmp::event
