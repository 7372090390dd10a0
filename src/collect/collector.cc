#include "collect/collector.h"

#include <optional>

#include "common/time_format.h"
#include "event/event_codec.h"
#include "event/json_minify.h"
#include "event/segment_json.h"
#include "simdjson.h"
#include "common/strings.h"

namespace aidmp::collect {
namespace {

bool IsBatchEndpoint(std::string_view endpoint) { return endpoint == "batch" || endpoint == "import"; }

}  // namespace

Collector::Collector(std::map<std::string, std::string> write_keys, CollectorLimits limits,
                     clean::Cleaner* cleaner, IngestPipeline* pipeline,
                     const privacy::SuppressionList* suppression, const Clock* clock)
    : write_keys_(std::move(write_keys)),
      limits_(limits),
      cleaner_(cleaner),
      pipeline_(pipeline),
      suppression_(suppression),
      clock_(clock) {}

std::string Collector::WriteKeyFromAuthorization(std::string_view authorization) {
  authorization = StripWhitespace(authorization);
  if (StartsWithIgnoreCase(authorization, "basic ")) {
    std::string decoded;
    if (!Base64Decode(StripWhitespace(authorization.substr(6)), &decoded)) {
      return std::string();
    }
    // "key:" (empty password), as Segment's libraries send it.
    size_t colon = decoded.find(':');
    return colon == std::string::npos ? decoded : decoded.substr(0, colon);
  }
  if (StartsWithIgnoreCase(authorization, "bearer ")) {
    return std::string(StripWhitespace(authorization.substr(7)));
  }
  return std::string();
}

void Collector::AddMessage(simdjson::dom::element message, std::string_view type_hint,
                           std::string_view source, int64_t received_at_us, int64_t batch_sent_at_us,
                           std::string_view batch_context_json, Submission* submission) {
  auto quarantine = [&](clean::Reason reason, std::string text) {
    // A rejected message of an erased person is dropped, not kept with its payload.
    if (suppression_ != nullptr && !suppression_->empty()) {
      std::vector<std::string> keys;
      for (auto [field, type] : {std::pair{"userId", identity::IdType::kUserId},
                                 std::pair{"anonymousId", identity::IdType::kAnonymousId}}) {
        std::string_view value;
        if (message[field].get_string().get(value) == simdjson::SUCCESS) {
          keys.push_back(privacy::SuppressionList::KeyOf({type, std::string(StripWhitespace(value))}));
        }
      }
      auto lock = suppression_->LockShared();
      if (suppression_->ContainsAnyLocked(keys)) {
        ++submission->suppressed;
        return;
      }
    }
    clean::QuarantineRecord record;
    record.reason = reason;
    record.message = std::move(text);
    record.source = std::string(source);
    record.type_hint = std::string(type_hint);
    record.received_at_us = received_at_us;
    // Written out only here: most messages are stored, and their text is the record.
    record.raw = event::Minified(message);
    submission->quarantined.push_back(std::move(record));
  };
  event::Event event;
  event.received_at_us = received_at_us;
  event.sent_at_us = batch_sent_at_us;
  event.source = std::string(source);
  std::optional<event::EventType> forced_type;
  if (!type_hint.empty()) {
    event::EventType type;
    if (event::ParseEventType(type_hint, &type)) forced_type = type;
  }
  size_t raw_size = 0;
  std::string_view user_agent;  // the event's own context's
  absl::Status status = event::ParseSegmentMessage(message, forced_type, &event, &raw_size, &user_agent);
  if (!status.ok()) {
    quarantine(message.is_object() ? clean::Reason::kWrongFieldType : clean::Reason::kMalformedJson,
               std::string(status.message()));
    return;
  }
  std::optional<std::string_view> known_user_agent = user_agent;
  if (event.context_json.empty() && !batch_context_json.empty()) {
    event.context_json = std::string(batch_context_json);
    known_user_agent.reset();  // the cleaner finds it in the batch's context
  }
  clean::CleanResult result = cleaner_->Clean(&event, raw_size, known_user_agent);
  if (!result.accepted()) {
    quarantine(result.reason, std::move(result.message));
    return;
  }
  CleanEvent clean_event;
  clean_event.dedup_key = clean::DedupIndex::Key(source, event.message_id);
  clean_event.record = event::EncodeStoredEvent(event);
  clean_event.received_at_us = received_at_us;
  if (suppression_ != nullptr && !suppression_->empty()) {
    clean_event.suppression_keys = privacy::SuppressionList::KeysOf(event);
    clean_event.suppression_checked = true;
  }
  submission->events.push_back(std::move(clean_event));
}

absl::StatusOr<IngestSummary> Collector::Handle(std::string_view endpoint,
                                                std::string_view authorization,
                                                std::string_view body) {
  int64_t received_at_us = clock_->NowMicros();
  event::EventType endpoint_type;
  bool batch = IsBatchEndpoint(endpoint);
  if (!batch && !event::ParseEventType(endpoint, &endpoint_type)) {
    return absl::NotFoundError(StrCat("no such endpoint /v1/", endpoint.substr(0, 32)));
  }
  size_t limit = batch ? limits_.max_batch_bytes : limits_.max_request_bytes;
  if (body.size() > limit) {
    return absl::InvalidArgumentError(StrCat("request body is ", body.size(),
                                                   " bytes; the limit for /v1/", endpoint, " is ",
                                                   limit, " bytes"));
  }

  std::string write_key = WriteKeyFromAuthorization(authorization);
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::error_code parse_error = parser.parse(body.data(), body.size()).get(root);
  if (write_key.empty() && parse_error == simdjson::SUCCESS && root.is_object()) {
    std::string_view body_key;
    if (root["writeKey"].get_string().get(body_key) == simdjson::SUCCESS) write_key = body_key;
  }
  if (write_key.empty()) {
    return absl::UnauthenticatedError(
        "no write key: send it as the HTTP Basic user name, a Bearer token or 'writeKey' in the body");
  }
  auto key_it = write_keys_.find(write_key);
  if (key_it == write_keys_.end()) return absl::UnauthenticatedError("the write key is not valid");
  std::string source = StrCat("http:", key_it->second);

  if (parse_error != simdjson::SUCCESS || !root.is_object()) {
    std::string message = parse_error != simdjson::SUCCESS
                              ? StrCat("malformed JSON: ", simdjson::error_message(parse_error))
                              : std::string("the body must be a JSON object");
    // Kept so that nothing a client sent is lost, even what we could not read.
    Submission submission;
    clean::QuarantineRecord record;
    record.reason = clean::Reason::kMalformedJson;
    record.message = message;
    record.source = source;
    record.type_hint = batch ? std::string() : std::string(endpoint);
    record.received_at_us = received_at_us;
    record.raw = std::string(body);
    submission.quarantined.push_back(std::move(record));
    SubmitResult result = pipeline_->Submit(std::move(submission));
    if (!result.status.ok()) return result.status;
    return absl::InvalidArgumentError(message);
  }

  Submission submission;
  if (!batch) {
    AddMessage(root, endpoint, source, received_at_us, event::kNoTimestamp, "", &submission);
  } else {
    simdjson::dom::array items;
    if (root["batch"].get_array().get(items) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError("field 'batch' must be an array of events");
    }
    if (items.size() > limits_.max_batch_events) {
      return absl::InvalidArgumentError(StrCat("batch holds ", items.size(),
                                                     " events; the limit is ",
                                                     limits_.max_batch_events));
    }
    int64_t sent_at_us = event::kNoTimestamp;
    std::string_view sent_at_text;
    if (root["sentAt"].get_string().get(sent_at_text) == simdjson::SUCCESS) {
      auto parsed = ParseIso8601Micros(sent_at_text);
      if (parsed.ok()) sent_at_us = *parsed;
    }
    std::string batch_context;
    simdjson::dom::element context;
    if (root["context"].get(context) == simdjson::SUCCESS && context.is_object()) {
      batch_context = event::Minified(context);
    }
    submission.events.reserve(items.size());
    for (simdjson::dom::element item : items) {
      AddMessage(item, "", source, received_at_us, sent_at_us, batch_context, &submission);
    }
  }
  SubmitResult result = pipeline_->Submit(std::move(submission));
  if (!result.status.ok()) return result.status;
  return IngestSummary{result.stored, result.duplicates, result.quarantined, result.suppressed};
}

}  // namespace aidmp::collect
