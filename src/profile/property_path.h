// Reading values out of an event's properties by a small path syntax: "revenue",
// "product.category", "products[].category" (every element of an array). A path that
// ends at an array yields its elements, so "genres" yields each genre.
//
// Thread-safe: pure functions over a parsed simdjson DOM.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "simdjson.h"

namespace aidmp::profile {

// Calls `fn` for every scalar (or object) value `path` reaches from `root`; nothing if
// the path does not match.
void ForEachAtPath(simdjson::dom::element root, std::string_view path,
                   const std::function<void(simdjson::dom::element)>& fn);

// A number, or a string holding one ("12.5"); false otherwise.
bool NumberOf(simdjson::dom::element value, double* out);

// A string, number or boolean as text (numbers in shortest form); false for null,
// objects and arrays.
bool ScalarText(simdjson::dom::element value, std::string* out);

}  // namespace aidmp::profile
