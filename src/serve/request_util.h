// Small helpers every route file of the HTTP front shares: error answers and the query
// parameters several routes take, each with one error message naming the parameter.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "identity/identifier.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace aidmp::serve {

inline constexpr char kJson[] = "application/json";

// The JSON error body (http_status.h) with the status's HTTP code.
void SendError(httplib::Response& res, const absl::Status& status);

// A time query parameter: ISO-8601 or epoch milliseconds.
absl::StatusOr<int64_t> ParseTimeParam(const std::string& name, const std::string& value);

// `limit`: a positive integer, `fallback` when absent.
absl::StatusOr<size_t> ParseLimit(const httplib::Request& req, size_t fallback);

// The evaluation time: the `at` query parameter if given, else `now_us`.
absl::StatusOr<int64_t> EvaluationTime(const httplib::Request& req, int64_t now_us);

// The identifier named by the `type` and `value` query parameters.
absl::StatusOr<identity::Identifier> IdentifierParam(const httplib::Request& req);

}  // namespace aidmp::serve
