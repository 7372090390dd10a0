#include "audience/person_index.h"

#include <set>

#include "common/status.h"
#include "common/strings.h"
#include "profile/person_processor.h"
#include "profile/profile_view.h"
#include "simdjson.h"
#include "storage/keys.h"

namespace aidmp::audience {
namespace {

using Element = simdjson::dom::element;

FieldValue ScalarOf(Element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::STRING: return FieldValue::String(std::string(element.get_string().value_unsafe()));
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE: return FieldValue::Number(element.get_double().value_unsafe());
    case simdjson::dom::element_type::BOOL: return FieldValue::Bool(element.get_bool().value_unsafe());
    case simdjson::dom::element_type::NULL_VALUE: {
      FieldValue null_value;
      null_value.kind = FieldValue::Kind::kNull;
      return null_value;
    }
    default: return FieldValue();  // kObject: arrays and objects inside arrays
  }
}

// Sets `field` from a JSON value, and an object's members below it while the path has
// room (`names` counts the names in `field`'s path).
void SetJson(BitmapIndex* index, uint32_t slot, const std::string& field, size_t names, Element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::ARRAY: {
      FieldValue list;
      list.kind = FieldValue::Kind::kList;
      simdjson::dom::array items;
      if (element.get_array().get(items) != simdjson::SUCCESS) return;
      for (Element item : items) list.items.push_back(ScalarOf(item));
      index->Set(slot, field, list);
      return;
    }
    case simdjson::dom::element_type::OBJECT: {
      index->Set(slot, field, FieldValue());
      if (names >= kMaxIndexedPath) return;
      // The reference reads an object's first member of a name.
      std::set<std::string_view> seen;
      simdjson::dom::object object;
      if (element.get_object().get(object) != simdjson::SUCCESS) return;
      for (auto member : object) {
        if (!seen.insert(member.key).second || member.key.find('\x1f') != std::string_view::npos) continue;
        SetJson(index, slot, PathField({field, std::string(member.key)}), names + 1, member.value);
      }
      return;
    }
    case simdjson::dom::element_type::NULL_VALUE:
      return;
    default:
      index->Set(slot, field, ScalarOf(element));
  }
}

}  // namespace

uint32_t PersonIndex::Slot(uint64_t person) {
  auto it = slots_.find(person);
  if (it != slots_.end()) return it->second;
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
    persons_[slot] = person;
  } else {
    slot = static_cast<uint32_t>(persons_.size());
    persons_.push_back(person);
  }
  slots_.emplace(person, slot);
  return slot;
}

std::optional<uint32_t> PersonIndex::SlotOf(uint64_t person) const {
  auto it = slots_.find(person);
  if (it == slots_.end()) return std::nullopt;
  return it->second;
}

void PersonIndex::Put(const profile::Profile& profile) {
  const uint32_t slot = Slot(profile.person);
  bitmaps_.RemoveSlot(slot);
  bitmaps_.AddSlot(slot);

  // Separate parsers: a trait's document stays alive while its members are indexed.
  thread_local simdjson::dom::parser parser;
  for (const auto& [name, trait] : profile.traits) {
    if (name.find('\x1f') != std::string::npos) continue;
    Element value;
    if (parser.parse(trait.json).get(value) != simdjson::SUCCESS) continue;
    SetJson(&bitmaps_, slot, PathField({"traits", name}), 2, value);
  }
  for (const auto& spec : model_->config().computed_traits) {
    Element value;
    std::string json = profile::ComputedTraitJson(profile, spec, now_us_);
    if (parser.parse(json).get(value) != simdjson::SUCCESS) continue;
    // computed.NAME is a single name: no members below it.
    SetJson(&bitmaps_, slot, PathField({"computed", spec.name}), kMaxIndexedPath, value);
  }
  for (const auto& tag : profile::InterestsAt(profile, model_->config(), now_us_)) {
    bitmaps_.Set(slot, InterestField(tag.tag), FieldValue::Number(tag.score));
  }
  // Counts per did(...) selector (profile_config.h's SelectorMatches): a track event
  // counts for its name and for "track"; other events for their type; all for "*".
  std::map<std::string, uint64_t> selectors;
  selectors["*"] = profile.events;
  for (const auto& [key, count] : profile.event_counts) {
    if (key.rfind("track:", 0) == 0) {
      std::string name = key.substr(6);
      selectors["track"] += count;
      if (name != "track" && name != "*") selectors[name] += count;
    } else {
      selectors[key] += count;
    }
  }
  for (const auto& [selector, count] : selectors) {
    bitmaps_.Set(slot, EventCountField(selector), FieldValue::Number(static_cast<double>(count)));
  }
  // The same selectors over the recent daily counts.
  if (recent_.size() <= slot) recent_.resize(slot + 1);
  recent_[slot].reset();
  if (profile.recent_complete) {
    auto recent = std::make_unique<Recent>();
    recent->floor_day = profile::DayOf(profile.last_seen_us) - profile::kRecentDays;
    auto add = [&](const std::string& selector, const profile::RecentCounts& counts) {
      profile::RecentCounts& into = recent->selectors[selector];
      for (const auto& [day, count] : counts.days) into.days[day] += count;
      into.last_us = std::max(into.last_us, counts.last_us);
    };
    for (const auto& [key, counts] : profile.recent) {
      add("*", counts);
      if (key.rfind("track:", 0) == 0) {
        std::string name = key.substr(6);
        add("track", counts);
        if (name != "track" && name != "*") add(name, counts);
      } else {
        add(key, counts);
      }
    }
    recent_[slot] = std::move(recent);
  }
}

std::optional<std::pair<uint64_t, uint64_t>> PersonIndex::CountBounds(uint32_t slot, std::string_view selector,
                                                                      int64_t now_us, int64_t within_us) const {
  if (slot >= recent_.size() || recent_[slot] == nullptr) return std::nullopt;
  const Recent& recent = *recent_[slot];
  const int64_t first_day = profile::DayOf(now_us - within_us), today = profile::DayOf(now_us);
  if (first_day < recent.floor_day) return std::nullopt;
  auto found = recent.selectors.find(selector);
  if (found == recent.selectors.end()) return std::make_pair(uint64_t{0}, uint64_t{0});
  // Days strictly inside the window count for sure; its first day's events only maybe
  // (they may precede the window's start), and today's for sure when none is after now.
  uint64_t low = 0, high = 0;
  for (auto it = found->second.days.lower_bound(first_day); it != found->second.days.end() && it->first <= today; ++it) {
    high += it->second;
    bool inside = it->first > first_day && (it->first < today || found->second.last_us <= now_us);
    if (inside) low += it->second;
  }
  return std::make_pair(low, high);
}

void PersonIndex::Remove(uint64_t person) {
  auto it = slots_.find(person);
  if (it == slots_.end()) return;
  bitmaps_.RemoveSlot(it->second);
  if (it->second < recent_.size()) recent_[it->second].reset();
  persons_[it->second] = 0;
  free_.push_back(it->second);
  slots_.erase(it);
}

absl::Status PersonIndex::Build(storage::Store* store) {
  auto it = store->NewIterator(storage::Family::kIdentity);
  const std::string prefix(1, storage::kIdentityProfile);
  for (it->Seek(prefix); it->Valid() && !it->key().empty() && it->key()[0] == storage::kIdentityProfile; it->Next()) {
    profile::Profile profile;
    AIDMP_RETURN_IF_ERROR(profile::Profile::Decode(it->value(), &profile));
    Put(profile);
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  bitmaps_.Optimize();
  return absl::OkStatus();
}

absl::StatusOr<Roaring> PersonIndex::Evaluate(const Expression& expression, const SegmentDefinitions* segments,
                                              const ResidualCheck& check, std::vector<PlanStep>* explain,
                                              const std::vector<uint64_t>* among, int64_t window_now_us) const {
  AIDMP_RETURN_IF_ERROR(Check(*expression.root, *model_, segments));
  const WindowBounds bounds = BoundsAt(window_now_us);
  Roaring slots;
  if (among != nullptr) {
    for (uint64_t person : *among) {
      if (auto slot = SlotOf(person)) slots.add(*slot);
    }
  }
  return EvaluateOnBitmaps(*expression.root, bitmaps_, check, segments, explain, among != nullptr ? &slots : nullptr,
                           &bounds);
}

absl::StatusOr<uint64_t> PersonIndex::Count(const Expression& expression, const SegmentDefinitions* segments,
                                            const ResidualCheck& check, std::vector<PlanStep>* explain,
                                            int64_t window_now_us) const {
  AIDMP_RETURN_IF_ERROR(Check(*expression.root, *model_, segments));
  const WindowBounds bounds = BoundsAt(window_now_us);
  return CountOnBitmaps(*expression.root, bitmaps_, check, segments, explain, &bounds);
}

WindowBounds PersonIndex::BoundsAt(int64_t window_now_us) const {
  if (window_now_us == 0) return nullptr;
  return [this, window_now_us](uint32_t slot, std::string_view selector, int64_t within_us) {
    return CountBounds(slot, selector, window_now_us, within_us);
  };
}

ResidualCheck PersonIndex::StoreCheck(storage::Store* store, const SegmentDefinitions* segments, int64_t now_us,
                                      PersonCache* cache) const {
  return [this, store, segments, now_us, cache](uint32_t slot, const Node& node) -> absl::StatusOr<bool> {
    uint64_t person = PersonAt(slot);
    profile::Profile local;
    profile::Profile* profile = &local;
    if (cache != nullptr && cache->profiles.count(person)) {
      profile = &cache->profiles[person];
    } else {
      auto read = profile::ReadProfile(store, person);
      if (absl::IsNotFound(read.status())) return false;  // gone since the index saw them
      AIDMP_RETURN_IF_ERROR(read.status());
      if (cache != nullptr) profile = &cache->profiles[person];
      *profile = std::move(*read);
    }
    PersonFacts facts;
    facts.profile = profile;
    // Only the events the node's did(...) windows reach: a 3-day window reads 3 days.
    const int64_t since_us = EarliestEventNeeded(node, segments, now_us);
    facts.load_events = [store, person, cache, since_us]() -> absl::StatusOr<std::vector<event::Event>> {
      if (cache == nullptr) return LoadPersonEvents(store, person, since_us);
      auto cached = cache->events.find(person);
      if (cached != cache->events.end() && cached->second.first <= since_us) return cached->second.second;
      AIDMP_ASSIGN_OR_RETURN(auto events, LoadPersonEvents(store, person, since_us));
      auto& slot = cache->events[person];
      slot = {since_us, std::move(events)};
      return slot.second;
    };
    return Matches(node, facts, *model_, now_us, segments);
  };
}

}  // namespace aidmp::audience
