#include "serve/request_util.h"

#include <httplib.h>

#include "common/strings.h"
#include "common/time_format.h"
#include "serve/http_status.h"

namespace aidmp::serve {

void SendError(httplib::Response& res, const absl::Status& status) {
  res.status = HttpStatusFor(status);
  res.set_content(ErrorBody(status), kJson);
}

// Parses a time query parameter: ISO-8601 or epoch milliseconds.
absl::StatusOr<int64_t> ParseTimeParam(const std::string& name, const std::string& value) {
  int64_t millis;
  if (ParseNumber(value, &millis)) return millis * 1000;
  auto parsed = ParseIso8601Micros(value);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(StrCat("query parameter '", name, "': ", parsed.status().message()));
  }
  return *parsed;
}

absl::StatusOr<size_t> ParseLimit(const httplib::Request& req, size_t fallback) {
  if (!req.has_param("limit")) return fallback;
  size_t limit;
  if (!ParseNumber(req.get_param_value("limit"), &limit) || limit == 0) {
    return absl::InvalidArgumentError("query parameter 'limit' must be a positive integer");
  }
  return limit;
}

// The evaluation time: the `at` query parameter if given, else `now_us`.
absl::StatusOr<int64_t> EvaluationTime(const httplib::Request& req, int64_t now_us) {
  if (!req.has_param("at")) return now_us;
  return ParseTimeParam("at", req.get_param_value("at"));
}

// The identifier named by the `type` and `value` query parameters.
absl::StatusOr<identity::Identifier> IdentifierParam(const httplib::Request& req) {
  identity::Identifier id;
  if (!identity::ParseIdType(req.get_param_value("type"), &id.type)) {
    return absl::InvalidArgumentError(
        "query parameter 'type' must be userId, anonymousId, deviceId, advertisingId, emailHash or phoneHash");
  }
  id.value = req.get_param_value("value");
  if (id.value.empty()) return absl::InvalidArgumentError("query parameter 'value' is required");
  return id;
}

}  // namespace aidmp::serve
