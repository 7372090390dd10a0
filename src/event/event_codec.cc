#include "event/event_codec.h"

#include "common/json_writer.h"
#include "common/time_format.h"
#include "simdjson.h"
#include "common/strings.h"
#include "event/json_util.h"

namespace aidmp::event {
namespace {

void MaybeString(JsonWriter* writer, std::string_view key, const std::string& value) {
  if (value.empty()) return;
  writer->Key(key).String(value);
}

void MaybeTimestamp(JsonWriter* writer, std::string_view key, int64_t ts_us) {
  if (ts_us == kNoTimestamp) return;
  writer->Key(key).String(FormatIso8601Micros(ts_us));
}

void MaybeObject(JsonWriter* writer, std::string_view key, const std::string& json) {
  if (json.empty()) return;
  writer->Key(key).Raw(json);
}

uint32_t ParseFlagNames(std::string_view names) {
  uint32_t flags = 0;
  for (std::string_view name : Split(names, ',', /*skip_empty=*/true)) {
    for (uint32_t bit = 1; bit != 0; bit <<= 1) {
      if (FlagNames(bit) == name) flags |= bit;
    }
  }
  return flags;
}

}  // namespace

std::string EncodeStoredEvent(const Event& event) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("seq").Uint(event.seq);
  writer.Key("type").String(EventTypeName(event.type));
  MaybeString(&writer, "messageId", event.message_id);
  MaybeString(&writer, "userId", event.user_id);
  MaybeString(&writer, "anonymousId", event.anonymous_id);
  MaybeString(&writer, "event", event.event);
  MaybeString(&writer, "name", event.name);
  MaybeString(&writer, "groupId", event.group_id);
  MaybeString(&writer, "previousId", event.previous_id);
  MaybeTimestamp(&writer, "timestamp", event.timestamp_us);
  MaybeTimestamp(&writer, "originalTimestamp", event.original_timestamp_us);
  MaybeTimestamp(&writer, "sentAt", event.sent_at_us);
  MaybeTimestamp(&writer, "receivedAt", event.received_at_us);
  MaybeObject(&writer, "properties", event.properties_json);
  MaybeObject(&writer, "traits", event.traits_json);
  MaybeObject(&writer, "context", event.context_json);
  MaybeObject(&writer, "integrations", event.integrations_json);
  MaybeString(&writer, "source", event.source);
  if (event.flags != 0) writer.Key("flags").String(FlagNames(event.flags));
  writer.EndObject();
  return writer.Take();
}

std::string WithSeq(std::string_view record_with_seq_zero, uint64_t seq) {
  static constexpr std::string_view kZeroPrefix = "{\"seq\":0";
  std::string out = StrCat("{\"seq\":", seq);
  if (record_with_seq_zero.substr(0, kZeroPrefix.size()) == kZeroPrefix) {
    out.append(record_with_seq_zero.substr(kZeroPrefix.size()));
  }
  return out;
}

absl::Status DecodeStoredEvent(std::string_view data, Event* out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(data.data(), data.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return absl::DataLossError("stored event is not a JSON object");
  }
  *out = Event();
  simdjson::dom::object members = root.get_object().value_unsafe();
  for (auto field : members) {
    std::string_view key = field.key;
    simdjson::dom::element value = field.value;
    auto text = [&]() { return std::string(ValueOr(value.get_string(), std::string_view())); };
    auto time = [&]() {
      auto parsed = ParseIso8601Micros(ValueOr(value.get_string(), std::string_view()));
      return parsed.ok() ? *parsed : kNoTimestamp;
    };
    if (key == "seq") {
      out->seq = ValueOr(value.get_uint64(), uint64_t{0});
    } else if (key == "type") {
      if (!ParseEventType(ValueOr(value.get_string(), std::string_view("")), &out->type)) {
        return absl::DataLossError("stored event has an unknown type");
      }
    } else if (key == "messageId") {
      out->message_id = text();
    } else if (key == "userId") {
      out->user_id = text();
    } else if (key == "anonymousId") {
      out->anonymous_id = text();
    } else if (key == "event") {
      out->event = text();
    } else if (key == "name") {
      out->name = text();
    } else if (key == "groupId") {
      out->group_id = text();
    } else if (key == "previousId") {
      out->previous_id = text();
    } else if (key == "timestamp") {
      out->timestamp_us = time();
    } else if (key == "originalTimestamp") {
      out->original_timestamp_us = time();
    } else if (key == "sentAt") {
      out->sent_at_us = time();
    } else if (key == "receivedAt") {
      out->received_at_us = time();
    } else if (key == "properties") {
      out->properties_json = simdjson::minify(value);
    } else if (key == "traits") {
      out->traits_json = simdjson::minify(value);
    } else if (key == "context") {
      out->context_json = simdjson::minify(value);
    } else if (key == "integrations") {
      out->integrations_json = simdjson::minify(value);
    } else if (key == "source") {
      out->source = text();
    } else if (key == "flags") {
      out->flags = ParseFlagNames(ValueOr(value.get_string(), std::string_view("")));
    }
  }
  return absl::OkStatus();
}

}  // namespace aidmp::event
