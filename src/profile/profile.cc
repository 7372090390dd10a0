#include "profile/profile.h"

#include <algorithm>

#include "common/json_writer.h"
#include "common/strings.h"
#include "event/json_util.h"
#include "simdjson.h"

namespace aidmp::profile {
namespace {

using event::ValueOr;

bool Newer(const TraitValue& candidate, const TraitValue& current) {
  return candidate.ts_us > current.ts_us || (candidate.ts_us == current.ts_us && candidate.seq > current.seq);
}

void SetTrait(std::map<std::string, TraitValue>* traits, std::string key, TraitValue value) {
  auto it = traits->find(key);
  if (it == traits->end()) {
    traits->emplace(std::move(key), std::move(value));
  } else if (Newer(value, it->second)) {
    it->second = std::move(value);
  }
}

void ApplyTraits(std::string_view traits_json, const event::Event& event, std::map<std::string, TraitValue>* traits) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (traits_json.empty() || parser.parse(traits_json.data(), traits_json.size()).get(object) != simdjson::SUCCESS) {
    return;
  }
  for (auto field : object) {
    SetTrait(traits, std::string(field.key),
             TraitValue{simdjson::minify(field.value), event.timestamp_us, event.seq, event.source});
  }
}

}  // namespace

void Profile::Apply(const event::Event& event) {
  if (event.type == event::EventType::kIdentify) ApplyTraits(event.traits_json, event, &traits);
  if (event.context_json.find("\"traits\"") != std::string::npos) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::object context;
    simdjson::dom::object context_traits;
    if (parser.parse(event.context_json).get(context) == simdjson::SUCCESS &&
        context["traits"].get_object().get(context_traits) == simdjson::SUCCESS) {
      ApplyTraits(simdjson::minify(context_traits), event, &traits);
    }
  }
  first_seen_us = std::min(first_seen_us, event.timestamp_us);
  last_seen_us = std::max(last_seen_us, event.timestamp_us);
  ++events;
  std::string name = event.type == event::EventType::kTrack ? StrCat("track:", event.event)
                                                            : std::string(event::EventTypeName(event.type));
  ++event_counts[name];
}

void Profile::Merge(const Profile& other) {
  for (const auto& [key, value] : other.traits) SetTrait(&traits, key, value);
  first_seen_us = std::min(first_seen_us, other.first_seen_us);
  last_seen_us = std::max(last_seen_us, other.last_seen_us);
  events += other.events;
  for (const auto& [name, count] : other.event_counts) event_counts[name] += count;
}

std::string Profile::Encode() const {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("person").Uint(person);
  writer.Key("events").Uint(events);
  if (events > 0) {
    writer.Key("first_seen_us").Int(first_seen_us);
    writer.Key("last_seen_us").Int(last_seen_us);
  }
  writer.Key("traits").BeginObject();
  for (const auto& [key, value] : traits) {
    writer.Key(key).BeginObject();
    writer.Key("value").Raw(value.json);
    writer.Key("ts_us").Int(value.ts_us);
    writer.Key("seq").Uint(value.seq);
    writer.Key("source").String(value.source);
    writer.EndObject();
  }
  writer.EndObject();
  writer.Key("event_counts").BeginObject();
  for (const auto& [name, count] : event_counts) writer.Key(name).Uint(count);
  writer.EndObject();
  writer.EndObject();
  return writer.Take();
}

absl::Status Profile::Decode(std::string_view data, Profile* out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(data.data(), data.size()).get(root) != simdjson::SUCCESS) {
    return absl::DataLossError("profile record is not a JSON object");
  }
  *out = Profile();
  out->person = ValueOr(root["person"].get_uint64(), uint64_t{0});
  out->events = ValueOr(root["events"].get_uint64(), uint64_t{0});
  out->first_seen_us = ValueOr(root["first_seen_us"].get_int64(), std::numeric_limits<int64_t>::max());
  out->last_seen_us = ValueOr(root["last_seen_us"].get_int64(), std::numeric_limits<int64_t>::min());
  simdjson::dom::object traits;
  if (root["traits"].get_object().get(traits) == simdjson::SUCCESS) {
    for (auto field : traits) {
      simdjson::dom::element value;
      if (field.value["value"].get(value) != simdjson::SUCCESS) continue;
      out->traits[std::string(field.key)] =
          TraitValue{simdjson::minify(value), ValueOr(field.value["ts_us"].get_int64(), int64_t{0}),
                     ValueOr(field.value["seq"].get_uint64(), uint64_t{0}),
                     std::string(ValueOr(field.value["source"].get_string(), std::string_view()))};
    }
  }
  simdjson::dom::object counts;
  if (root["event_counts"].get_object().get(counts) == simdjson::SUCCESS) {
    for (auto field : counts) out->event_counts[std::string(field.key)] = ValueOr(field.value.get_uint64(), uint64_t{0});
  }
  return absl::OkStatus();
}

}  // namespace aidmp::profile
