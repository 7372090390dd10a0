#include "profile/profile.h"

#include <algorithm>
#include <cmath>

#include "common/json_writer.h"
#include "common/strings.h"
#include "event/json_minify.h"
#include "event/json_util.h"
#include "profile/internal/profile_json.h"
#include "profile/property_path.h"
#include "simdjson.h"

namespace aidmp::profile {
namespace {

using event::ValueOr;
constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

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

void ApplyTraits(simdjson::dom::object object, const event::Event& event, std::map<std::string, TraitValue>* traits) {
  for (auto field : object) {
    SetTrait(traits, std::string(field.key),
             TraitValue{event::Minified(field.value), event.timestamp_us, event.seq, event.source});
  }
}

void ApplyConsent(simdjson::dom::object preferences, const event::Event& event,
                  std::map<std::string, ConsentValue>* consent) {
  for (auto field : preferences) {
    bool granted;
    if (field.value.get_bool().get(granted) != simdjson::SUCCESS) continue;
    ConsentValue value{granted, event.timestamp_us, event.seq};
    auto [it, inserted] = consent->emplace(AsciiToLower(field.key), value);
    if (!inserted && (value.ts_us > it->second.ts_us || (value.ts_us == it->second.ts_us && value.seq > it->second.seq))) {
      it->second = value;
    }
  }
}

// Drops day buckets that no window ending at or after `last_seen_us` can reach.
void PruneDays(Series* series, int window_days, int64_t last_seen_us) {
  if (window_days <= 0 || last_seen_us == kMinTime) return;
  int64_t oldest_kept = DayOf(last_seen_us) - window_days;
  series->days.erase(series->days.begin(), series->days.lower_bound(oldest_kept));
}

void AddValue(Series* series, const std::string& value, uint64_t count) {
  auto it = std::lower_bound(series->values.begin(), series->values.end(), value,
                             [](const auto& entry, const std::string& key) { return entry.first < key; });
  if (it != series->values.end() && it->first == value) {
    it->second += count;
  } else if (series->values.size() < kMaxSeriesValues) {
    series->values.emplace(it, value, count);
  }
}

// Adds `session` to the per-device list, joining every session within `gap_us` of it.
void AddSession(std::vector<Session>* sessions, Session session, int64_t gap_us) {
  // The first session that ends no more than `gap_us` before this one starts.
  auto first = std::lower_bound(sessions->begin(), sessions->end(), session.start_us,
                                [gap_us](const Session& existing, int64_t start) {
                                  return existing.end_us < start - gap_us;
                                });
  auto last = first;
  while (last != sessions->end() && last->start_us - gap_us <= session.end_us) {
    session.start_us = std::min(session.start_us, last->start_us);
    session.end_us = std::max(session.end_us, last->end_us);
    session.events += last->events;
    ++last;
  }
  first = sessions->erase(first, last);
  sessions->insert(first, session);
}

void RetireSessions(Profile* profile, int64_t retention_us) {
  if (profile->last_seen_us == kMinTime) return;
  int64_t cutoff = profile->last_seen_us - retention_us;
  for (auto device = profile->sessions.begin(); device != profile->sessions.end();) {
    auto& list = device->second;
    auto keep = list.begin();
    while (keep != list.end() && keep->end_us < cutoff) {
      ++profile->retired_sessions;
      profile->retired_session_us += keep->end_us - keep->start_us;
      profile->retired_session_events += keep->events;
      ++keep;
    }
    list.erase(list.begin(), keep);
    device = list.empty() ? profile->sessions.erase(device) : std::next(device);
  }
}

// Moves every interest weight to a later anchor.
void ReanchorInterests(Profile* profile, int64_t anchor_us, double half_life_days) {
  if (profile->interest_anchor_us == kMinTime || anchor_us <= profile->interest_anchor_us) {
    profile->interest_anchor_us = std::max(profile->interest_anchor_us, anchor_us);
    return;
  }
  double factor = std::exp2(-static_cast<double>(anchor_us - profile->interest_anchor_us) /
                            (half_life_days * static_cast<double>(kMicrosPerDay)));
  for (auto& [tag, weight] : profile->interests) weight *= factor;
  profile->interest_anchor_us = anchor_us;
}

std::string DeviceOf(const event::Event& event, simdjson::dom::object context, bool have_context) {
  if (have_context) {
    std::string_view device_id;
    if (context.at_pointer("/device/id").get_string().get(device_id) == simdjson::SUCCESS && !device_id.empty()) {
      return StrCat("device:", device_id);
    }
  }
  if (!event.anonymous_id.empty()) return StrCat("anon:", event.anonymous_id);
  return "-";
}

}  // namespace

int64_t DayOf(int64_t ts_us) {
  int64_t day = ts_us / kMicrosPerDay;
  return (ts_us % kMicrosPerDay < 0) ? day - 1 : day;
}

ProfileModel::ProfileModel(ProfileConfig config) : config_(std::move(config)) {
  std::map<std::string, SeriesSpec> by_key;
  auto need = [&](const std::string& event, const std::string& property) -> SeriesSpec& {
    std::string key = SeriesKey(event, property);
    SeriesSpec& spec = by_key[key];
    spec.key = key;
    spec.event = event;
    spec.property = property;
    return spec;
  };
  for (const auto& trait : config_.computed_traits) {
    SeriesSpec& spec = need(trait.event, trait.property);
    spec.window_days = std::max(spec.window_days, trait.window_days);
    if (trait.kind == AggregateKind::kDistinct || trait.kind == AggregateKind::kMostFrequent) spec.values = true;
  }
  if (!config_.rfm.purchase_event.empty()) need(config_.rfm.purchase_event, config_.rfm.monetary_property);
  for (auto& [key, spec] : by_key) series_.push_back(std::move(spec));
}

std::string ProfileModel::SeriesKey(std::string_view event, std::string_view property) {
  return StrCat(event, "|", property);
}

namespace {

// Counts the event in its day, and drops days older than kRecentDays before the latest
// event (the order of events does not change the result).
void PruneRecent(Profile* profile) {
  const int64_t floor = DayOf(profile->last_seen_us) - kRecentDays;
  for (auto it = profile->recent.begin(); it != profile->recent.end();) {
    auto& days = it->second.days;
    days.erase(days.begin(), days.lower_bound(floor));
    it = days.empty() ? profile->recent.erase(it) : std::next(it);
  }
}

void AddRecent(Profile* profile, const std::string& key, int64_t ts) {
  if (DayOf(ts) < DayOf(profile->last_seen_us) - kRecentDays) return;
  RecentCounts& recent = profile->recent[key];
  ++recent.days[DayOf(ts)];
  recent.last_us = std::max(recent.last_us, ts);
  if (recent.days.begin()->first < DayOf(profile->last_seen_us) - kRecentDays) PruneRecent(profile);
}

}  // namespace

void Profile::Apply(const event::Event& event, const ProfileModel& model) {
  const ProfileConfig& config = model.config();
  const int64_t ts = event.timestamp_us;
  first_seen_us = std::min(first_seen_us, ts);
  last_seen_us = std::max(last_seen_us, ts);
  ++events;
  std::string_view type_name = event::EventTypeName(event.type);
  std::string_view track_name = event.type == event::EventType::kTrack ? std::string_view(event.event) : "";
  const std::string count_key = event.type == event::EventType::kTrack ? StrCat("track:", event.event) : std::string(type_name);
  ++event_counts[count_key];
  AddRecent(this, count_key, ts);

  // Separate parsers: the three documents are alive at once.
  thread_local simdjson::dom::parser traits_parser, context_parser, properties_parser;
  simdjson::dom::object object;
  if (event.type == event::EventType::kIdentify && !event.traits_json.empty() &&
      traits_parser.parse(event.traits_json).get(object) == simdjson::SUCCESS) {
    ApplyTraits(object, event, &traits);
    simdjson::dom::object preferences;
    if (object["consent"].get_object().get(preferences) == simdjson::SUCCESS) ApplyConsent(preferences, event, &consent);
  }
  simdjson::dom::object context;
  // Only its traits, consent and device id count here; most contexts (a browser's) hold
  // none of them and need no parse.
  const std::string& context_json = event.context_json;
  bool have_context = (event::MayHoldKey(context_json, "\"traits\"") ||
                       event::MayHoldKey(context_json, "\"consent\"") ||
                       event::MayHoldKey(context_json, "\"device\"")) &&
                      context_parser.parse(context_json).get(context) == simdjson::SUCCESS;
  if (have_context && context["traits"].get_object().get(object) == simdjson::SUCCESS) {
    ApplyTraits(object, event, &traits);
  }
  if (have_context && context.at_pointer("/consent/categoryPreferences").get_object().get(object) == simdjson::SUCCESS) {
    ApplyConsent(object, event, &consent);
  }
  simdjson::dom::element properties;
  bool have_properties = !event.properties_json.empty() &&
                         properties_parser.parse(event.properties_json).get(properties) == simdjson::SUCCESS;

  for (const SeriesSpec& spec : model.series()) {
    if (!SelectorMatches(spec.event, type_name, track_name)) continue;
    Series& state = series[spec.key];
    ++state.count;
    state.first_us = std::min(state.first_us, ts);
    state.last_us = std::max(state.last_us, ts);
    double amount = 0;
    if (!spec.property.empty() && have_properties) {
      ForEachAtPath(properties, spec.property, [&](simdjson::dom::element value) {
        double number;
        if (NumberOf(value, &number)) amount += number;
        if (spec.values) {
          std::string text;
          if (ScalarText(value, &text)) AddValue(&state, text, 1);
        }
      });
    }
    state.sum += amount;
    if (spec.window_days > 0) {
      DayTotals& day = state.days[DayOf(ts)];
      ++day.count;
      day.sum += amount;
      PruneDays(&state, spec.window_days, last_seen_us);
    }
  }

  if (have_properties && !(event.flags & event::kFlagBot)) {
    const InterestConfig& interest = config.interests;
    std::vector<std::string> categories;
    for (const auto& path : interest.category_properties) {
      ForEachAtPath(properties, path, [&](simdjson::dom::element value) {
        std::string_view text;
        if (value.get_string().get(text) == simdjson::SUCCESS && !text.empty()) categories.emplace_back(text);
      });
    }
    if (!categories.empty()) {
      const InterestWeight* rule = nullptr;
      for (const auto& [selector, candidate] : interest.weights) {
        if (SelectorMatches(selector, type_name, track_name)) {
          rule = &candidate;
          break;
        }
      }
      double weight = rule ? rule->weight : interest.default_weight;
      if (rule && !rule->multiply_by.empty()) {
        simdjson::dom::element factor;
        double number;
        if (properties[rule->multiply_by].get(factor) == simdjson::SUCCESS && NumberOf(factor, &number)) {
          weight *= number;
        }
      }
      if (weight > 0 && std::isfinite(weight)) {
        ReanchorInterests(this, ts, interest.half_life_days);
        double decayed = weight * std::exp2(-static_cast<double>(interest_anchor_us - ts) /
                                            (interest.half_life_days * static_cast<double>(kMicrosPerDay)));
        for (const auto& category : categories) interests[category] += decayed;
      }
    }
  }

  AddSession(&sessions[DeviceOf(event, context, have_context)], Session{ts, ts, 1}, config.session_gap_us);
  RetireSessions(this, config.session_retention_us);
}

size_t Profile::ApproxBytes() const {
  // A std::map node: three pointers and a colour, then the pair, from an allocator that
  // rounds up; a string's own buffer only beyond its small-string capacity.
  constexpr size_t kNode = 48;
  auto heap = [](const std::string& text) { return text.capacity() > 15 ? text.capacity() + 1 : 0; };
  size_t bytes = sizeof(Profile);
  for (const auto& [key, value] : traits) {
    bytes += kNode + sizeof(std::pair<const std::string, TraitValue>) + heap(key) + heap(value.json) + heap(value.source);
  }
  for (const auto& [key, count] : event_counts) bytes += kNode + sizeof(std::pair<const std::string, uint64_t>) + heap(key);
  for (const auto& [key, counts] : recent) {
    bytes += kNode + sizeof(std::pair<const std::string, RecentCounts>) + heap(key) +
             counts.days.size() * (kNode + sizeof(std::pair<const int64_t, uint32_t>));
  }
  for (const auto& [key, state] : series) {
    bytes += kNode + sizeof(std::pair<const std::string, Series>) + heap(key) +
             state.days.size() * (kNode + sizeof(std::pair<const int64_t, DayTotals>)) +
             state.values.capacity() * sizeof(std::pair<std::string, uint64_t>);
    for (const auto& [value, count] : state.values) bytes += heap(value);
  }
  for (const auto& [tag, weight] : interests) bytes += kNode + sizeof(std::pair<const std::string, double>) + heap(tag);
  for (const auto& [purpose, value] : consent) {
    bytes += kNode + sizeof(std::pair<const std::string, ConsentValue>) + heap(purpose);
  }
  for (const auto& [device, list] : sessions) {
    bytes += kNode + sizeof(std::pair<const std::string, std::vector<Session>>) + heap(device) +
             list.capacity() * sizeof(Session);
  }
  return bytes;
}

void Profile::Merge(const Profile& other, const ProfileModel& model) {
  const ProfileConfig& config = model.config();
  for (const auto& [key, value] : other.traits) SetTrait(&traits, key, value);
  first_seen_us = std::min(first_seen_us, other.first_seen_us);
  last_seen_us = std::max(last_seen_us, other.last_seen_us);
  events += other.events;
  for (const auto& [name, count] : other.event_counts) event_counts[name] += count;
  recent_complete = recent_complete && other.recent_complete;
  for (const auto& [key, theirs] : other.recent) {
    RecentCounts& ours = recent[key];
    for (const auto& [day, count] : theirs.days) ours.days[day] += count;
    ours.last_us = std::max(ours.last_us, theirs.last_us);
  }
  PruneRecent(this);
  for (const auto& [purpose, value] : other.consent) {
    auto [it, inserted] = consent.emplace(purpose, value);
    if (!inserted && (value.ts_us > it->second.ts_us || (value.ts_us == it->second.ts_us && value.seq > it->second.seq))) {
      it->second = value;
    }
  }

  std::map<std::string, int> windows;
  for (const auto& spec : model.series()) windows[spec.key] = spec.window_days;
  for (const auto& [key, theirs] : other.series) {
    Series& ours = series[key];
    ours.count += theirs.count;
    ours.sum += theirs.sum;
    ours.first_us = std::min(ours.first_us, theirs.first_us);
    ours.last_us = std::max(ours.last_us, theirs.last_us);
    for (const auto& [day, totals] : theirs.days) {
      ours.days[day].count += totals.count;
      ours.days[day].sum += totals.sum;
    }
    for (const auto& [value, count] : theirs.values) AddValue(&ours, value, count);
  }
  for (auto& [key, state] : series) {
    auto window = windows.find(key);
    PruneDays(&state, window == windows.end() ? 0 : window->second, last_seen_us);
  }

  if (other.interest_anchor_us != kMinTime) {
    ReanchorInterests(this, other.interest_anchor_us, config.interests.half_life_days);
    double factor = std::exp2(-static_cast<double>(interest_anchor_us - other.interest_anchor_us) /
                              (config.interests.half_life_days * static_cast<double>(kMicrosPerDay)));
    for (const auto& [tag, weight] : other.interests) interests[tag] += weight * factor;
  }

  for (const auto& [device, list] : other.sessions) {
    for (const Session& session : list) AddSession(&sessions[device], session, config.session_gap_us);
  }
  retired_sessions += other.retired_sessions;
  retired_session_us += other.retired_session_us;
  retired_session_events += other.retired_session_events;
  RetireSessions(this, config.session_retention_us);
}

namespace internal {

std::string EncodeProfileJson(const Profile& profile) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("person").Uint(profile.person);
  writer.Key("events").Uint(profile.events);
  if (profile.events > 0) {
    writer.Key("first_seen_us").Int(profile.first_seen_us);
    writer.Key("last_seen_us").Int(profile.last_seen_us);
  }
  writer.Key("traits").BeginObject();
  for (const auto& [key, value] : profile.traits) {
    writer.Key(key).BeginObject();
    writer.Key("value").Raw(value.json);
    writer.Key("ts_us").Int(value.ts_us);
    writer.Key("seq").Uint(value.seq);
    writer.Key("source").String(value.source);
    writer.EndObject();
  }
  writer.EndObject();
  writer.Key("event_counts").BeginObject();
  for (const auto& [name, count] : profile.event_counts) writer.Key(name).Uint(count);
  writer.EndObject();
  writer.Key("recent_complete").Bool(profile.recent_complete);
  writer.Key("recent").BeginObject();
  for (const auto& [name, counts] : profile.recent) {
    writer.Key(name).BeginArray().Int(counts.last_us);
    for (const auto& [day, count] : counts.days) writer.Int(day).Uint(count);
    writer.EndArray();
  }
  writer.EndObject();
  writer.Key("consent").BeginObject();
  for (const auto& [purpose, value] : profile.consent) {
    writer.Key(purpose).BeginArray().Bool(value.granted).Int(value.ts_us).Uint(value.seq).EndArray();
  }
  writer.EndObject();
  writer.Key("series").BeginObject();
  for (const auto& [key, state] : profile.series) {
    writer.Key(key).BeginObject();
    writer.Key("count").Uint(state.count);
    writer.Key("sum").Double(state.sum);
    writer.Key("first_us").Int(state.first_us);
    writer.Key("last_us").Int(state.last_us);
    writer.Key("days").BeginArray();
    for (const auto& [day, totals] : state.days) {
      writer.BeginArray().Int(day).Uint(totals.count).Double(totals.sum).EndArray();
    }
    writer.EndArray();
    writer.Key("values").BeginObject();
    for (const auto& [value, count] : state.values) writer.Key(value).Uint(count);
    writer.EndObject();
    writer.EndObject();
  }
  writer.EndObject();
  if (profile.interest_anchor_us != kMinTime) {
    writer.Key("interest_anchor_us").Int(profile.interest_anchor_us);
    writer.Key("interests").BeginObject();
    for (const auto& [tag, weight] : profile.interests) writer.Key(tag).Double(weight);
    writer.EndObject();
  }
  writer.Key("sessions").BeginObject();
  for (const auto& [device, list] : profile.sessions) {
    writer.Key(device).BeginArray();
    for (const Session& session : list) {
      writer.BeginArray().Int(session.start_us).Int(session.end_us).Uint(session.events).EndArray();
    }
    writer.EndArray();
  }
  writer.EndObject();
  writer.Key("retired_sessions").BeginArray();
  writer.Uint(profile.retired_sessions).Int(profile.retired_session_us).Uint(profile.retired_session_events);
  writer.EndArray();
  writer.EndObject();
  return writer.Take();
}

absl::Status DecodeProfileJson(std::string_view data, Profile* out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(data.data(), data.size()).get(root) != simdjson::SUCCESS) {
    return absl::DataLossError("profile record is not a JSON object");
  }
  *out = Profile();
  out->person = ValueOr(root["person"].get_uint64(), uint64_t{0});
  out->events = ValueOr(root["events"].get_uint64(), uint64_t{0});
  out->first_seen_us = ValueOr(root["first_seen_us"].get_int64(), kMaxTime);
  out->last_seen_us = ValueOr(root["last_seen_us"].get_int64(), kMinTime);
  simdjson::dom::object traits;
  if (root["traits"].get_object().get(traits) == simdjson::SUCCESS) {
    for (auto field : traits) {
      simdjson::dom::element value;
      if (field.value["value"].get(value) != simdjson::SUCCESS) continue;
      out->traits[std::string(field.key)] =
          TraitValue{event::Minified(value), ValueOr(field.value["ts_us"].get_int64(), int64_t{0}),
                     ValueOr(field.value["seq"].get_uint64(), uint64_t{0}),
                     std::string(ValueOr(field.value["source"].get_string(), std::string_view()))};
    }
  }
  simdjson::dom::object counts;
  if (root["event_counts"].get_object().get(counts) == simdjson::SUCCESS) {
    for (auto field : counts) out->event_counts[std::string(field.key)] = ValueOr(field.value.get_uint64(), uint64_t{0});
  }
  // Profiles stored before recent counts existed lack them: not complete.
  out->recent_complete = ValueOr(root["recent_complete"].get_bool(), false);
  simdjson::dom::object recent;
  if (root["recent"].get_object().get(recent) == simdjson::SUCCESS) {
    for (auto field : recent) {
      simdjson::dom::array values;
      if (field.value.get_array().get(values) != simdjson::SUCCESS || values.size() % 2 != 1) continue;
      RecentCounts& counts = out->recent[std::string(field.key)];
      size_t idx = 0;
      int64_t day = 0;
      for (simdjson::dom::element value : values) {
        if (idx == 0) {
          counts.last_us = ValueOr(value.get_int64(), std::numeric_limits<int64_t>::min());
        } else if (idx % 2 == 1) {
          day = ValueOr(value.get_int64(), int64_t{0});
        } else {
          counts.days[day] = static_cast<uint32_t>(ValueOr(value.get_uint64(), uint64_t{0}));
        }
        ++idx;
      }
    }
  }
  simdjson::dom::object consent;
  if (root["consent"].get_object().get(consent) == simdjson::SUCCESS) {
    for (auto field : consent) {
      out->consent[std::string(field.key)] =
          ConsentValue{ValueOr(field.value.at(0).get_bool(), false), ValueOr(field.value.at(1).get_int64(), int64_t{0}),
                       ValueOr(field.value.at(2).get_uint64(), uint64_t{0})};
    }
  }
  simdjson::dom::object all_series;
  if (root["series"].get_object().get(all_series) == simdjson::SUCCESS) {
    for (auto field : all_series) {
      Series& state = out->series[std::string(field.key)];
      state.count = ValueOr(field.value["count"].get_uint64(), uint64_t{0});
      state.sum = ValueOr(field.value["sum"].get_double(), 0.0);
      state.first_us = ValueOr(field.value["first_us"].get_int64(), kMaxTime);
      state.last_us = ValueOr(field.value["last_us"].get_int64(), kMinTime);
      simdjson::dom::array days;
      if (field.value["days"].get_array().get(days) == simdjson::SUCCESS) {
        for (simdjson::dom::element day : days) {
          DayTotals& totals = state.days[ValueOr(day.at(0).get_int64(), int64_t{0})];
          totals.count = ValueOr(day.at(1).get_uint64(), uint64_t{0});
          totals.sum = ValueOr(day.at(2).get_double(), 0.0);
        }
      }
      simdjson::dom::object values;
      if (field.value["values"].get_object().get(values) == simdjson::SUCCESS) {
        // Written in sorted order (Encode); AddValue keeps it so whatever the input.
        for (auto value : values) AddValue(&state, std::string(value.key), ValueOr(value.value.get_uint64(), uint64_t{0}));
      }
    }
  }
  out->interest_anchor_us = ValueOr(root["interest_anchor_us"].get_int64(), kMinTime);
  simdjson::dom::object interests;
  if (root["interests"].get_object().get(interests) == simdjson::SUCCESS) {
    for (auto field : interests) out->interests[std::string(field.key)] = ValueOr(field.value.get_double(), 0.0);
  }
  simdjson::dom::object sessions;
  if (root["sessions"].get_object().get(sessions) == simdjson::SUCCESS) {
    for (auto field : sessions) {
      std::vector<Session>& list = out->sessions[std::string(field.key)];
      simdjson::dom::array items;
      if (field.value.get_array().get(items) != simdjson::SUCCESS) continue;
      for (simdjson::dom::element item : items) {
        list.push_back(Session{ValueOr(item.at(0).get_int64(), int64_t{0}), ValueOr(item.at(1).get_int64(), int64_t{0}),
                               ValueOr(item.at(2).get_uint64(), uint64_t{0})});
      }
    }
  }
  simdjson::dom::array retired;
  if (root["retired_sessions"].get_array().get(retired) == simdjson::SUCCESS) {
    out->retired_sessions = ValueOr(retired.at(0).get_uint64(), uint64_t{0});
    out->retired_session_us = ValueOr(retired.at(1).get_int64(), int64_t{0});
    out->retired_session_events = ValueOr(retired.at(2).get_uint64(), uint64_t{0});
  }
  return absl::OkStatus();
}

}  // namespace internal

}  // namespace aidmp::profile
