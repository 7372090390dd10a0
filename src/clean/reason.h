// Why an event was quarantined: one table of reasons with stable numbers and codes.
//
// Thread-safe: constants and pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace aidmp::clean {

// Do not change the numbers or codes: stored on disk and shown in the API and metrics.
enum class Reason : uint16_t {
  kNone = 0,
  kMalformedJson = 1,       // the body or item is not valid JSON
  kWrongFieldType = 2,      // a known field has the wrong JSON type
  kMissingIdentity = 3,     // neither userId nor anonymousId
  kMissingEventName = 4,    // track without `event`
  kMissingGroupId = 5,      // group without `groupId`
  kMissingPreviousId = 6,   // alias without `previousId`
  kEventTooLarge = 7,       // over the per-event size limit (32 KB)
  kMessageIdTooLong = 8,    // messageId of 100 characters or more
  kIdTooLong = 9,           // an id over the id length limit
  kInvalidTimestamp = 10,   // unparseable or absurd timestamp
  kInvalidId = 11,          // an id with control characters or invalid UTF-8
  kPlanViolation = 12,      // the tracking plan says quarantine
  kImportRowInvalid = 13,   // a file row that could not be mapped to an event
};
constexpr int kReasonCount = 14;

// "malformed_json", "missing_identity", ...
std::string_view ReasonCode(Reason reason);
// Returns false if `code` names no reason.
bool ParseReasonCode(std::string_view code, Reason* reason);

}  // namespace aidmp::clean
