#include "serve/http_status.h"

#include "common/json_writer.h"

namespace aidmp::serve {

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition: return 409;
    case absl::StatusCode::kResourceExhausted: return 507;  // disk full: retry later
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    case absl::StatusCode::kUnimplemented: return 501;
    default: return 500;
  }
}

std::string_view ErrorCodeFor(const absl::Status& status) {
  switch (HttpStatusFor(status)) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 409: return "conflict";
    case 413: return "payload_too_large";
    case 501: return "not_implemented";
    case 503: return "unavailable";
    case 504: return "timeout";
    case 507: return "insufficient_storage";
    default: return "internal";
  }
}

std::string ErrorBody(const absl::Status& status) {
  JsonWriter writer;
  writer.BeginObject().Key("error").BeginObject();
  writer.Key("code").String(ErrorCodeFor(status));
  writer.Key("message").String(std::string(status.message()));
  writer.EndObject().EndObject();
  return writer.Take();
}

}  // namespace aidmp::serve
