// The one mapping from absl::Status to HTTP: status codes and the JSON error body
// {"error": {"code": "...", "message": "..."}} every endpoint answers errors with.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace aidmp::serve {

int HttpStatusFor(const absl::Status& status);
// "bad_request", "unauthorized", ...
std::string_view ErrorCodeFor(const absl::Status& status);
std::string ErrorBody(const absl::Status& status);

}  // namespace aidmp::serve
