// The interactions a recommender learns from, read out of a data directory: every
// person's stored events that name an item (a product, a movie), weighted by what the
// event says about interest (a purchase more than a view), with the items' titles,
// categories and prices as the events and the catalogue (item_catalogue.h) describe them.
//
// Who is left out: events flagged as bots; people who refused personalisation consent
// (their data neither trains the model nor gets personalised lists); erased people, whose
// events are gone from the store.
// Thread-safety: reads the store only; safe alongside ingest (it sees a moment's state).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "recommend/dataset.h"
#include "profile/profile.h"
#include "recserve/serving_model.h"
#include "storage/store.h"

namespace aidmp::recserve {

struct InteractionOptions {
  // Members of an event's properties that hold its item id, and arrays of item objects
  // (Segment's e-commerce spec: products[] with product_id, name, category, price).
  std::vector<std::string> id_members = {"product_id", "item_id", "sku"};
  std::vector<std::string> array_members = {"products", "items"};
  // Track event name -> weight; a weight <= 0 ignores the event. Events not listed weigh
  // `default_weight`. A person's weight for an item is the largest of their events'.
  std::map<std::string, float> event_weights = {
      {"Product Viewed", 1},  {"Product Clicked", 1}, {"Product Added", 2},
      {"Product Added to Wishlist", 2}, {"Order Completed", 4}, {"Product Removed", 0}};
  float default_weight = 1;
};

struct TrainingData {
  // Users are persons (user_ids hold their decimal ids), items the catalogue as far as it
  // is known; item_features index `dataset.feature_names` (the categories).
  recommend::Dataset dataset;
  std::vector<uint64_t> persons;      // user index -> person id
  std::vector<CatalogueItem> items;   // item index -> catalogue entry
  int64_t latest_event_us = 0;
  uint64_t events_read = 0;
  uint64_t events_used = 0;
  uint64_t persons_without_consent = 0;
};

// Whether the profile records a refusal of personalisation ("personalization" or
// "personalisation", as consent managers spell it).
bool RefusedPersonalisation(const profile::Profile& profile);

// Reads everyone's interactions.
absl::StatusOr<TrainingData> ReadTrainingData(storage::Store* store, const InteractionOptions& options);

// The items an event names, with what it says about each (appends to `out`).
void ItemsOfEvent(std::string_view properties_json, const InteractionOptions& options,
                  std::vector<CatalogueItem>* out);

}  // namespace aidmp::recserve
