#include "event/event_codec.h"

#include <charconv>
#include <iterator>

#include "common/json_writer.h"
#include "common/status.h"
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
  // Quoted in place: the text is digits and punctuation, nothing to escape, and every
  // stored event has up to four of these.
  char quoted[kIso8601MicrosMaxBytes + 2];
  quoted[0] = '"';
  size_t length = FormatIso8601Micros(ts_us, quoted + 1);
  quoted[length + 1] = '"';
  writer->Key(key).Raw(std::string_view(quoted, length + 2));
}

void MaybeObject(JsonWriter* writer, std::string_view key, const std::string& json) {
  if (json.empty()) return;
  writer->Key(key).Raw(json);
}

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

uint32_t ParseFlagNames(std::string_view names) {
  uint32_t flags = 0;
  for (std::string_view name : Split(names, ',', /*skip_empty=*/true)) flags |= FlagFromName(name);
  return flags;
}

// Clears every field but keeps the strings' buffers: readers decode into one Event per
// step, so most decodes then allocate nothing.
void ResetEvent(Event* event) {
  event->type = EventType::kTrack;
  for (std::string* text : {&event->message_id, &event->user_id, &event->anonymous_id, &event->event, &event->name,
                            &event->group_id, &event->previous_id, &event->properties_json, &event->traits_json,
                            &event->context_json, &event->integrations_json, &event->source}) {
    text->clear();
  }
  event->timestamp_us = event->original_timestamp_us = event->sent_at_us = event->received_at_us = kNoTimestamp;
  event->flags = 0;
  event->seq = 0;
}

// The members EncodeStoredEvent writes before the first that is not a plain string
// (or seq), in its order.
constexpr std::string_view kHeadKeys[] = {"seq",   "type", "messageId", "userId",     "anonymousId",
                                          "event", "name", "groupId",   "previousId", "timestamp"};

// Reads the keys from the head of a record in EncodeStoredEvent's form: its members in
// kHeadKeys order, strings without escapes. False for anything else (DecodeStoredEvent
// then answers). The record must end in '}', which keeps out most cut records, but the
// tail after the head is not checked (event_codec.h says so).
bool ReadKeysFromHead(std::string_view data, StoredEventKeys* out) {
  if (data.size() < 2 || data.front() != '{' || data.back() != '}') return false;
  const size_t last = data.size() - 1;
  size_t pos = 1;
  size_t order = 0;  // the kHeadKeys before it are past
  bool typed = false;
  while (order < std::size(kHeadKeys) && pos < last) {
    if (pos > 1) {
      if (data[pos] != ',') return false;
      ++pos;
    }
    if (data[pos] != '"') return false;
    const size_t key_end = data.find('"', pos + 1);
    if (key_end == std::string_view::npos || key_end + 1 >= last || data[key_end + 1] != ':') return false;
    const std::string_view key = data.substr(pos + 1, key_end - pos - 1);
    pos = key_end + 2;
    size_t idx = order;
    while (idx < std::size(kHeadKeys) && kHeadKeys[idx] != key) ++idx;
    if (idx == std::size(kHeadKeys)) break;  // a member after the head: the keys are read
    order = idx + 1;
    if (idx == 0) {  // seq: digits
      const size_t digits = pos;
      while (pos < last && data[pos] >= '0' && data[pos] <= '9') ++pos;
      if (pos == digits) return false;
      continue;
    }
    if (data[pos] != '"') return false;
    const size_t end = data.find('"', pos + 1);
    if (end == std::string_view::npos || end >= last) return false;
    const std::string_view text = data.substr(pos + 1, end - pos - 1);
    if (text.find('\\') != std::string_view::npos) return false;
    pos = end + 1;
    if (key == "type") {
      EventType type;
      if (!ParseEventType(text, &type)) return false;
      typed = true;
    } else if (key == "userId") {
      out->user_id = text;
    } else if (key == "anonymousId") {
      out->anonymous_id = text;
    } else if (key == "timestamp") {
      auto parsed = ParseIso8601Micros(text);
      out->timestamp_us = parsed.ok() ? *parsed : kNoTimestamp;
    }
  }
  return typed;
}

}  // namespace

std::string EncodeStoredEvent(const Event& event) {
  JsonWriter writer;
  // The fields' own bytes plus names, quotes and timestamps: one allocation instead of
  // a regrowth (and copy) at every doubling.
  writer.Reserve(event.message_id.size() + event.user_id.size() + event.anonymous_id.size() +
                 event.event.size() + event.name.size() + event.group_id.size() +
                 event.previous_id.size() + event.properties_json.size() + event.traits_json.size() +
                 event.context_json.size() + event.integrations_json.size() + event.source.size() + 384);
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
  const std::string_view rest = record_with_seq_zero.substr(0, kZeroPrefix.size()) == kZeroPrefix
                                    ? record_with_seq_zero.substr(kZeroPrefix.size())
                                    : std::string_view();
  char digits[20];
  char* digits_end = std::to_chars(digits, digits + sizeof(digits), seq).ptr;
  // Sized once: the group-commit writer calls this for every event it stores.
  std::string out;
  out.reserve(kZeroPrefix.size() - 1 + static_cast<size_t>(digits_end - digits) + rest.size());
  out.append(kZeroPrefix.substr(0, kZeroPrefix.size() - 1));
  out.append(digits, static_cast<size_t>(digits_end - digits));
  out.append(rest);
  return out;
}

absl::Status DecodeStoredEvent(std::string_view data, Event* out) {
  // On-demand parsing: the sub-objects (most of a record's bytes) are handed over as the
  // compact text they were stored as, never built into a tree and printed again.
  thread_local simdjson::ondemand::parser parser;
  thread_local std::string padded;
  padded.reserve(data.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(data);
  auto corrupt = [](std::string_view what) {
    return absl::DataLossError(StrCat("stored event is corrupt: ", what));
  };
  simdjson::ondemand::document doc;
  simdjson::ondemand::object members;
  if (parser.iterate(simdjson::padded_string_view(padded.data(), padded.size(), padded.capacity())).get(doc) !=
          simdjson::SUCCESS ||
      doc.get_object().get(members) != simdjson::SUCCESS) {
    return corrupt("not a JSON object");
  }
  ResetEvent(out);
  bool typed = false;
  for (auto field_or : members) {
    simdjson::ondemand::field field;
    std::string_view key;
    if (std::move(field_or).get(field) != simdjson::SUCCESS || field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return corrupt("a member is malformed");
    }
    simdjson::ondemand::value value = field.value();
    std::string_view str;
    auto text = [&](std::string* to) {
      if (value.get_string().get(str) != simdjson::SUCCESS) return false;
      to->assign(str);
      return true;
    };
    auto time = [&](int64_t* to) {
      if (value.get_string().get(str) != simdjson::SUCCESS) return false;
      auto parsed = ParseIso8601Micros(str);
      *to = parsed.ok() ? *parsed : kNoTimestamp;
      return true;
    };
    auto object = [&](std::string* to) {
      simdjson::ondemand::json_type type;
      if (value.type().get(type) != simdjson::SUCCESS) return false;
      simdjson::error_code error;
      if (type == simdjson::ondemand::json_type::object) {
        simdjson::ondemand::object inner;
        error = value.get_object().get(inner);
        if (error == simdjson::SUCCESS) error = inner.raw_json().get(str);
      } else if (type == simdjson::ondemand::json_type::array) {
        simdjson::ondemand::array inner;
        error = value.get_array().get(inner);
        if (error == simdjson::SUCCESS) error = inner.raw_json().get(str);
      } else {
        str = value.raw_json_token();
        error = simdjson::SUCCESS;
      }
      if (error != simdjson::SUCCESS) return false;
      while (!str.empty() && IsJsonSpace(str.back())) str.remove_suffix(1);
      to->assign(str);
      return true;
    };
    bool ok = true;
    if (key == "seq") {
      ok = value.get_uint64().get(out->seq) == simdjson::SUCCESS;
    } else if (key == "type") {
      ok = value.get_string().get(str) == simdjson::SUCCESS && ParseEventType(str, &out->type);
      if (!ok) return absl::DataLossError("stored event has an unknown type");
      typed = true;
    } else if (key == "messageId") {
      ok = text(&out->message_id);
    } else if (key == "userId") {
      ok = text(&out->user_id);
    } else if (key == "anonymousId") {
      ok = text(&out->anonymous_id);
    } else if (key == "event") {
      ok = text(&out->event);
    } else if (key == "name") {
      ok = text(&out->name);
    } else if (key == "groupId") {
      ok = text(&out->group_id);
    } else if (key == "previousId") {
      ok = text(&out->previous_id);
    } else if (key == "timestamp") {
      ok = time(&out->timestamp_us);
    } else if (key == "originalTimestamp") {
      ok = time(&out->original_timestamp_us);
    } else if (key == "sentAt") {
      ok = time(&out->sent_at_us);
    } else if (key == "receivedAt") {
      ok = time(&out->received_at_us);
    } else if (key == "properties") {
      ok = object(&out->properties_json);
    } else if (key == "traits") {
      ok = object(&out->traits_json);
    } else if (key == "context") {
      ok = object(&out->context_json);
    } else if (key == "integrations") {
      ok = object(&out->integrations_json);
    } else if (key == "source") {
      ok = text(&out->source);
    } else if (key == "flags") {
      ok = value.get_string().get(str) == simdjson::SUCCESS;
      if (ok) out->flags = ParseFlagNames(str);
    } else {
      // A member this build does not know (written by a newer one): skipped whole when
      // the next member is read.
    }
    if (!ok) return corrupt(StrCat("member \"", key.substr(0, 32), "\" has the wrong type"));
  }
  // Past the end of the input is what a whole record leaves.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return corrupt("text after the object");
  if (!typed) return absl::DataLossError("stored event has no type");
  return absl::OkStatus();
}

absl::Status DecodeStoredEventKeys(std::string_view data, StoredEventKeys* out) {
  *out = StoredEventKeys();
  if (ReadKeysFromHead(data, out)) return absl::OkStatus();
  *out = StoredEventKeys();
  thread_local Event event;
  AIDMP_RETURN_IF_ERROR(DecodeStoredEvent(data, &event));
  out->user_id = event.user_id;
  out->anonymous_id = event.anonymous_id;
  out->timestamp_us = event.timestamp_us;
  return absl::OkStatus();
}

}  // namespace aidmp::event
