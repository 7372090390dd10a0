#include "clean/reason.h"

namespace aidmp::clean {

std::string_view ReasonCode(Reason reason) {
  switch (reason) {
    case Reason::kNone: return "none";
    case Reason::kMalformedJson: return "malformed_json";
    case Reason::kWrongFieldType: return "wrong_field_type";
    case Reason::kMissingIdentity: return "missing_identity";
    case Reason::kMissingEventName: return "missing_event_name";
    case Reason::kMissingGroupId: return "missing_group_id";
    case Reason::kMissingPreviousId: return "missing_previous_id";
    case Reason::kEventTooLarge: return "event_too_large";
    case Reason::kMessageIdTooLong: return "message_id_too_long";
    case Reason::kIdTooLong: return "id_too_long";
    case Reason::kInvalidTimestamp: return "invalid_timestamp";
    case Reason::kInvalidId: return "invalid_id";
    case Reason::kPlanViolation: return "plan_violation";
    case Reason::kImportRowInvalid: return "import_row_invalid";
  }
  return "unknown";
}

bool ParseReasonCode(std::string_view code, Reason* reason) {
  for (int reason_idx = 0; reason_idx < kReasonCount; ++reason_idx) {
    Reason candidate = static_cast<Reason>(reason_idx);
    if (ReasonCode(candidate) == code) {
      *reason = candidate;
      return true;
    }
  }
  return false;
}

}  // namespace aidmp::clean
