#include "recserve/training_data.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "audience/evaluate.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/strings.h"
#include "identity/identity_graph.h"
#include "recserve/item_catalogue.h"
#include "simdjson.h"
#include "storage/keys.h"

namespace aidmp::recserve {
namespace {

bool IdOf(simdjson::dom::element value, std::string* out) {
  if (value.is_string()) {
    std::string_view text = StripWhitespace(std::string_view(value.get_string().value()));
    if (text.empty() || text.size() > kMaxItemIdBytes) return false;
    *out = std::string(text);
    return true;
  }
  if (value.is_int64()) {
    *out = std::to_string(value.get_int64().value());
    return true;
  }
  if (value.is_uint64()) {
    *out = std::to_string(value.get_uint64().value());
    return true;
  }
  return false;
}

// One item described by `object` (an event's properties, or an element of products[]).
bool ItemOfObject(simdjson::dom::object object, const InteractionOptions& options, CatalogueItem* item) {
  bool found = false;
  for (const auto& member : options.id_members) {
    simdjson::dom::element value;
    if (object[member].get(value) == simdjson::SUCCESS && IdOf(value, &item->id)) {
      found = true;
      break;
    }
  }
  if (!found) return false;
  for (const char* key : {"name", "title"}) {
    std::string_view title;
    if (object[key].get(title) == simdjson::SUCCESS) {
      item->title = std::string(title);
      break;
    }
  }
  for (const char* key : {"category", "categories", "genres"}) {
    simdjson::dom::element value;
    if (object[key].get(value) != simdjson::SUCCESS) continue;
    if (value.is_string()) {
      item->categories.emplace_back(value.get_string().value());
    } else if (simdjson::dom::array array; value.get_array().get(array) == simdjson::SUCCESS) {
      for (simdjson::dom::element element : array) {
        if (element.is_string()) item->categories.emplace_back(element.get_string().value());
      }
    }
  }
  double price = 0;
  if (object["price"].get_double().get(price) == simdjson::SUCCESS && std::isfinite(price)) item->price = price;
  return true;
}

bool Refused(const profile::Profile& profile, const char* purpose) {
  auto it = profile.consent.find(purpose);
  return it != profile.consent.end() && !it->second.granted;
}

}  // namespace

bool RefusedPersonalisation(const profile::Profile& profile) {
  return Refused(profile, "personalization") || Refused(profile, "personalisation");
}

void ItemsOfEvent(std::string_view properties_json, const InteractionOptions& options,
                  std::vector<CatalogueItem>* out) {
  if (properties_json.empty()) return;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object properties;
  if (parser.parse(properties_json.data(), properties_json.size()).get(properties) != simdjson::SUCCESS) return;
  CatalogueItem item;
  if (ItemOfObject(properties, options, &item)) out->push_back(std::move(item));
  for (const auto& member : options.array_members) {
    simdjson::dom::array array;
    if (properties[member].get(array) != simdjson::SUCCESS) continue;
    for (simdjson::dom::element element : array) {
      simdjson::dom::object object;
      if (element.get(object) != simdjson::SUCCESS) continue;
      CatalogueItem entry;
      if (ItemOfObject(object, options, &entry)) out->push_back(std::move(entry));
    }
  }
}

absl::StatusOr<TrainingData> ReadTrainingData(storage::Store* store, const InteractionOptions& options) {
  TrainingData data;
  recommend::DatasetBuilder builder;
  builder.dataset().explicit_ratings = false;
  std::vector<bool> from_catalogue;
  auto describe = [&](int32_t index, const CatalogueItem& item, bool catalogue) {
    if (index >= static_cast<int32_t>(data.items.size())) {
      data.items.resize(index + 1);
      from_catalogue.resize(index + 1, false);
    }
    CatalogueItem& known = data.items[index];
    known.id = item.id;
    if (from_catalogue[index] && !catalogue) return;  // the catalogue wins over events
    if (!item.title.empty() || catalogue) known.title = item.title;
    if (!item.categories.empty() || catalogue) known.categories = item.categories;
    if (std::isfinite(item.price) || catalogue) known.price = item.price;
    if (catalogue) from_catalogue[index] = true;
  };
  AIDMP_RETURN_IF_ERROR(ForEachItem(store, [&](CatalogueItem item) {
    describe(builder.Item(item.id), item, /*catalogue=*/true);
  }));

  auto it = store->NewIterator(storage::Family::kIdentity);
  const std::string prefix(1, storage::kIdentityProfile);
  std::vector<CatalogueItem> named;
  std::unordered_map<int32_t, std::pair<float, int64_t>> weights;  // item -> (weight, latest)
  for (it->Seek(prefix); it->Valid() && !it->key().empty() && it->key()[0] == storage::kIdentityProfile; it->Next()) {
    profile::Profile profile;
    AIDMP_RETURN_IF_ERROR(profile::Profile::Decode(it->value(), &profile));
    if (RefusedPersonalisation(profile)) {
      ++data.persons_without_consent;
      continue;
    }
    auto record = identity::IdentityGraph::ReadPerson(store, profile.person);
    if (absl::IsNotFound(record.status())) continue;  // erased meanwhile
    AIDMP_RETURN_IF_ERROR(record.status());
    if (record->id != profile.person) continue;  // merged away since; its canonical person answers
    AIDMP_ASSIGN_OR_RETURN(std::vector<event::Event> events, audience::LoadPersonEvents(store, profile.person));
    weights.clear();
    for (const event::Event& event : events) {
      ++data.events_read;
      if ((event.flags & event::kFlagBot) != 0) continue;
      if (event.type != event::EventType::kTrack && event.type != event::EventType::kPage &&
          event.type != event::EventType::kScreen) {
        continue;
      }
      float weight = options.default_weight;
      if (event.type == event::EventType::kTrack) {
        auto found = options.event_weights.find(event.event);
        if (found != options.event_weights.end()) weight = found->second;
      }
      if (weight <= 0) continue;
      named.clear();
      ItemsOfEvent(event.properties_json, options, &named);
      if (named.empty()) continue;
      ++data.events_used;
      data.latest_event_us = std::max(data.latest_event_us, event.timestamp_us);
      for (const CatalogueItem& item : named) {
        int32_t index = builder.Item(item.id);
        describe(index, item, /*catalogue=*/false);
        auto& slot = weights[index];
        slot.first = std::max(slot.first, weight);
        slot.second = std::max(slot.second, event.timestamp_us);
      }
    }
    if (weights.empty()) continue;
    int32_t user = builder.User(std::to_string(profile.person));
    data.persons.push_back(profile.person);
    std::vector<std::pair<int32_t, std::pair<float, int64_t>>> sorted(weights.begin(), weights.end());
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [item, slot] : sorted) {
      builder.dataset().interactions.push_back(
          recommend::Interaction{user, item, slot.first, slot.second / kMicrosPerSecond});
    }
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  data.items.resize(builder.dataset().num_items());
  // Categories become the item features of content-based models.
  recommend::Dataset& dataset = builder.dataset();
  for (int32_t item = 0; item < dataset.num_items(); ++item) {
    dataset.item_titles[item] = data.items[item].title;
    std::vector<int32_t> features;
    for (const auto& category : data.items[item].categories) features.push_back(builder.Feature(category));
    std::sort(features.begin(), features.end());
    features.erase(std::unique(features.begin(), features.end()), features.end());
    dataset.item_features[item] = std::move(features);
  }
  data.dataset = builder.Take();
  return data;
}

}  // namespace aidmp::recserve
