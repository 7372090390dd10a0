// Fuzzes Segment JSON -> Event (event/segment_json.h), cleaning (clean/cleaner.h) and the
// stored form (event/event_codec.h).
//
// Invariants: nothing crashes; every parsed event encodes to a record that decodes; a
// cleaned event survives EncodeStoredEvent -> DecodeStoredEvent field for field, with
// its JSON sub-objects valid JSON and given back as the very text they were stored as,
// and WithSeq puts the sequence number in; event/json_minify.h writes every parsed input
// as simdjson::minify does and counts its size right, as ParseSegmentMessage does; the
// user agent ParseSegmentMessage gives is the kept context's, and cleaning with it flags
// the event as cleaning without it (parsing the context) does.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "clean/cleaner.h"
#include "common/strings.h"
#include "event/event_codec.h"
#include "event/json_minify.h"
#include "event/segment_json.h"
#include "fuzz_check.h"
#include "simdjson.h"

namespace {

using aidmp::StrCat;
using aidmp::event::Event;
using aidmp::event::EventType;

// 2024-05-01T00:00:00Z, as the collector would stamp it.
constexpr int64_t kReceivedAtUs = 1714521600LL * 1'000'000LL;

// Checks that a sub-object is JSON ("" is absent) and returns it: DecodeStoredEvent
// gives back the stored text itself.
const std::string& CheckedJson(const std::string& json) {
  if (json.empty()) return json;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element element;
  simdjson::error_code error = parser.parse(json).get(element);
  AIDMP_FUZZ_CHECK_MSG(error == simdjson::SUCCESS,
                       StrCat("sub-object is not JSON (", simdjson::error_message(error), "): ", json));
  return json;
}

void CheckSameString(const std::string& before, const std::string& after, std::string_view field) {
  AIDMP_FUZZ_CHECK_MSG(before == after, StrCat("field ", field, ": encoded \"", before,
                                               "\", decoded \"", after, "\""));
}

void CheckSameTime(int64_t before, int64_t after, std::string_view field) {
  AIDMP_FUZZ_CHECK_MSG(before == after,
                       StrCat("field ", field, ": encoded ", before, ", decoded ", after));
}

// The string member "userAgent" of a context kept as compact JSON; empty if none.
std::string ContextUserAgent(const std::string& context_json) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object context;
  std::string_view user_agent;
  if (context_json.empty() || parser.parse(context_json).get(context) != simdjson::SUCCESS ||
      context["userAgent"].get_string().get(user_agent) != simdjson::SUCCESS) {
    return std::string();
  }
  return std::string(user_agent);
}

// Encodes `event` and decodes it again. Every field must survive for a cleaned event;
// a merely parsed one may hold timestamps outside what ISO-8601 with four-digit years
// can write (cleaning rejects those), so `check_timestamps` is false for it.
void CheckRoundTrip(const Event& event, bool check_timestamps) {
  std::string record = aidmp::event::EncodeStoredEvent(event);
  Event decoded;
  absl::Status status = aidmp::event::DecodeStoredEvent(record, &decoded);
  AIDMP_FUZZ_CHECK_MSG(status.ok(), StrCat("record does not decode: ", std::string(status.message()),
                                           "\nrecord: ", record));
  AIDMP_FUZZ_CHECK(decoded.type == event.type);
  AIDMP_FUZZ_CHECK(decoded.seq == event.seq);
  AIDMP_FUZZ_CHECK(decoded.flags == event.flags);
  CheckSameString(event.message_id, decoded.message_id, "messageId");
  CheckSameString(event.user_id, decoded.user_id, "userId");
  CheckSameString(event.anonymous_id, decoded.anonymous_id, "anonymousId");
  CheckSameString(event.event, decoded.event, "event");
  CheckSameString(event.name, decoded.name, "name");
  CheckSameString(event.group_id, decoded.group_id, "groupId");
  CheckSameString(event.previous_id, decoded.previous_id, "previousId");
  CheckSameString(event.source, decoded.source, "source");
  CheckSameString(CheckedJson(event.properties_json), decoded.properties_json, "properties");
  CheckSameString(CheckedJson(event.traits_json), decoded.traits_json, "traits");
  CheckSameString(CheckedJson(event.context_json), decoded.context_json, "context");
  CheckSameString(CheckedJson(event.integrations_json), decoded.integrations_json, "integrations");
  if (check_timestamps) {
    CheckSameTime(event.timestamp_us, decoded.timestamp_us, "timestamp");
    CheckSameTime(event.original_timestamp_us, decoded.original_timestamp_us, "originalTimestamp");
    CheckSameTime(event.sent_at_us, decoded.sent_at_us, "sentAt");
    CheckSameTime(event.received_at_us, decoded.received_at_us, "receivedAt");
  }

  // The log writer stamps the sequence number into a record encoded with seq 0.
  Event unsequenced = event;
  unsequenced.seq = 0;
  constexpr uint64_t kSeq = 987654321;
  Event sequenced;
  std::string stamped = aidmp::event::WithSeq(aidmp::event::EncodeStoredEvent(unsequenced), kSeq);
  AIDMP_FUZZ_CHECK_MSG(aidmp::event::DecodeStoredEvent(stamped, &sequenced).ok(), stamped);
  AIDMP_FUZZ_CHECK(sequenced.seq == kSeq);
}

// Parses `message` as the collector does for one endpoint (or a batch item when
// `forced_type` is empty), cleans it, and checks the stored form.
void ParseCleanEncode(simdjson::dom::element message, std::optional<EventType> forced_type,
                      size_t raw_size) {
  Event event;
  event.received_at_us = kReceivedAtUs;
  event.source = "http:src";
  size_t minified_size = 0;
  std::string_view user_agent;
  if (!aidmp::event::ParseSegmentMessage(message, forced_type, &event, &minified_size, &user_agent).ok()) return;
  AIDMP_FUZZ_CHECK_MSG(user_agent == ContextUserAgent(event.context_json),
                       StrCat("user agent \"", user_agent, "\" of context ", event.context_json));
  AIDMP_FUZZ_CHECK_MSG(minified_size == aidmp::event::MinifiedSize(message),
                       StrCat("counted ", minified_size, ", minified ", aidmp::event::Minified(message)));
  event.seq = raw_size;
  CheckRoundTrip(event, /*check_timestamps=*/false);

  Event unknown_agent = event;
  aidmp::clean::Cleaner cleaner{aidmp::clean::CleanerOptions{}};
  aidmp::clean::CleanResult result = cleaner.Clean(&event, raw_size, user_agent);
  aidmp::clean::Cleaner parsing_cleaner{aidmp::clean::CleanerOptions{}};
  aidmp::clean::CleanResult parsed = parsing_cleaner.Clean(&unknown_agent, raw_size);
  AIDMP_FUZZ_CHECK(result.reason == parsed.reason);
  AIDMP_FUZZ_CHECK(event.flags == unknown_agent.flags);
  if (!result.accepted()) {
    AIDMP_FUZZ_CHECK_MSG(!result.message.empty(), "a rejection must say why");
    return;
  }
  AIDMP_FUZZ_CHECK(!event.message_id.empty());
  AIDMP_FUZZ_CHECK(!event.user_id.empty() || !event.anonymous_id.empty());
  AIDMP_FUZZ_CHECK(event.timestamp_us != aidmp::event::kNoTimestamp);
  CheckRoundTrip(event, /*check_timestamps=*/true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element message;
  if (parser.parse(reinterpret_cast<const char*>(data), size).get(message) != simdjson::SUCCESS) {
    return 0;
  }
  std::string minified = simdjson::minify(message);
  AIDMP_FUZZ_CHECK_MSG(aidmp::event::Minified(message) == minified, minified);
  AIDMP_FUZZ_CHECK_MSG(aidmp::event::MinifiedSize(message) == minified.size(), minified);
  // As a batch item (type from the message), then as a single-event endpoint whose type
  // the input's length picks, so both paths see every input.
  ParseCleanEncode(message, std::nullopt, size);
  static constexpr EventType kTypes[] = {EventType::kTrack,  EventType::kIdentify,
                                         EventType::kPage,   EventType::kScreen,
                                         EventType::kGroup,  EventType::kAlias};
  ParseCleanEncode(message, kTypes[size % std::size(kTypes)], size);
  return 0;
}
