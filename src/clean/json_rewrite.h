// Rewrites the top-level members of a JSON object, for normalisation (hashing an email
// in traits, turning "12.50" into 12.5 in properties).
//
// Thread-safe: pure functions (thread-local parser).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/json_writer.h"
#include "simdjson.h"

namespace aidmp::clean {

// Called per member. Write a replacement value with `writer` and return true, or
// return false (writing nothing) to keep the member as it is.
using MemberRewriter =
    std::function<bool(std::string_view key, simdjson::dom::element value, JsonWriter* writer)>;

// Rewrites `object_json` (an object as compact JSON) member by member. Returns true and
// sets `*out` if any member was replaced; false (out untouched) if none was or the input
// is not a JSON object. A rewriter may call this again for a nested object (up to 3
// levels deep).
bool RewriteObjectMembers(std::string_view object_json, const MemberRewriter& rewriter,
                          std::string* out);

}  // namespace aidmp::clean
