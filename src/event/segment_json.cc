#include "event/segment_json.h"

#include "common/strings.h"
#include "common/time_format.h"
#include "event/json_minify.h"

namespace aidmp::event {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr std::string_view kUserAgent = "userAgent";

absl::Status WrongType(std::string_view field, std::string_view expected) {
  return absl::InvalidArgumentError(StrCat("field '", field, "' must be ", expected));
}

// Ids may be strings or numbers (Segment coerces numbers to strings).
absl::Status ReadId(element value, std::string_view field, std::string* out) {
  switch (value.type()) {
    case element_type::STRING:
      *out = std::string(value.get_string().value_unsafe());
      return absl::OkStatus();
    case element_type::INT64:
      *out = std::to_string(value.get_int64().value_unsafe());
      return absl::OkStatus();
    case element_type::UINT64:
      *out = std::to_string(value.get_uint64().value_unsafe());
      return absl::OkStatus();
    case element_type::NULL_VALUE:
      out->clear();
      return absl::OkStatus();
    default:
      return WrongType(field, "a string or a number");
  }
}

absl::Status ReadString(element value, std::string_view field, std::string* out) {
  if (value.is_null()) {
    out->clear();
    return absl::OkStatus();
  }
  if (!value.is_string()) return WrongType(field, "a string");
  *out = std::string(value.get_string().value_unsafe());
  return absl::OkStatus();
}

absl::Status ReadObject(element value, std::string_view field, std::string* out) {
  if (value.is_null()) {
    out->clear();
    return absl::OkStatus();
  }
  if (!value.is_object()) return WrongType(field, "an object");
  *out = Minified(value);
  return absl::OkStatus();
}

absl::Status ReadTimestamp(element value, std::string_view field, int64_t* out) {
  if (value.is_null()) {
    *out = kNoTimestamp;
    return absl::OkStatus();
  }
  if (!value.is_string()) return WrongType(field, "an ISO-8601 string");
  auto parsed = ParseIso8601Micros(value.get_string().value_unsafe());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(StrCat("field '", field, "': ", parsed.status().message()));
  }
  *out = *parsed;
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseSegmentMessage(element message, std::optional<EventType> forced_type,
                                 Event* out, size_t* minified_size, std::string_view* user_agent) {
  if (!message.is_object()) return absl::InvalidArgumentError("an event must be a JSON object");
  bool have_type = false;
  int64_t timestamp_us = kNoTimestamp;
  int64_t original_timestamp_us = kNoTimestamp;
  if (forced_type.has_value()) {
    out->type = *forced_type;
    have_type = true;
  }
  simdjson::dom::object members = message.get_object().value_unsafe();
  std::string_view context_user_agent;  // of the last context: the one kept
  size_t size = 2;  // the braces, then each member and the comma before all but the first
  for (auto field : members) {
    std::string_view key = field.key;
    element value = field.value;
    absl::Status status;
    // A sub-object written out below counts as its text; anything else is walked.
    const std::string* written = nullptr;
    if (key == "type") {
      if (!forced_type.has_value()) {  // Else the endpoint decides, as Segment does.
        if (!value.is_string()) return WrongType("type", "a string");
        std::string_view type_name = value.get_string().value_unsafe();
        if (!ParseEventType(type_name, &out->type)) {
          return absl::InvalidArgumentError(StrCat(
              "field 'type' is \"", type_name.substr(0, 32),
              "\"; expected track, identify, page, screen, group or alias"));
        }
        have_type = true;
      }
    } else if (key == "messageId") {
      status = ReadId(value, key, &out->message_id);
    } else if (key == "userId") {
      status = ReadId(value, key, &out->user_id);
    } else if (key == "anonymousId") {
      status = ReadId(value, key, &out->anonymous_id);
    } else if (key == "event") {
      status = ReadString(value, key, &out->event);
    } else if (key == "name") {
      status = ReadString(value, key, &out->name);
    } else if (key == "groupId") {
      status = ReadId(value, key, &out->group_id);
    } else if (key == "previousId") {
      status = ReadId(value, key, &out->previous_id);
    } else if (key == "timestamp") {
      status = ReadTimestamp(value, key, &timestamp_us);
    } else if (key == "originalTimestamp") {
      status = ReadTimestamp(value, key, &original_timestamp_us);
    } else if (key == "sentAt") {
      int64_t sent_at = kNoTimestamp;
      status = ReadTimestamp(value, key, &sent_at);
      if (sent_at != kNoTimestamp) out->sent_at_us = sent_at;
    } else if (key == "properties") {
      status = ReadObject(value, key, &out->properties_json);
      written = &out->properties_json;
    } else if (key == "traits") {
      status = ReadObject(value, key, &out->traits_json);
      written = &out->traits_json;
    } else if (key == "context") {
      status = ReadObject(value, key, &out->context_json);
      written = &out->context_json;
      if (value[kUserAgent].get_string().get(context_user_agent) != simdjson::SUCCESS) context_user_agent = {};
    } else if (key == "integrations") {
      status = ReadObject(value, key, &out->integrations_json);
      written = &out->integrations_json;
    }
    if (!status.ok()) return status;
    if (minified_size != nullptr) {
      size += (size > 2 ? 1 : 0) + MinifiedStringSize(key) + 1 +
              (written != nullptr && value.is_object() ? written->size() : MinifiedSize(value));
    }
  }
  // Segment's libraries send the device's clock reading as `timestamp`; RudderStack's
  // send it as `originalTimestamp` and let callers state `timestamp` themselves (a
  // backfill). Skew correction starts from the device reading; a stated timestamp that
  // differs from it is the event time as declared, and is kept as such.
  if (original_timestamp_us != kNoTimestamp) {
    out->original_timestamp_us = original_timestamp_us;
    if (timestamp_us != kNoTimestamp && timestamp_us != original_timestamp_us) {
      out->timestamp_us = timestamp_us;
    }
  } else {
    out->original_timestamp_us = timestamp_us;
  }
  if (!have_type) return absl::InvalidArgumentError("field 'type' is required in a batch item");
  if (minified_size != nullptr) *minified_size = size;
  if (user_agent != nullptr) *user_agent = context_user_agent;
  return absl::OkStatus();
}

}  // namespace aidmp::event
