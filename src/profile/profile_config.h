// What a profile computes beyond traits: computed traits, interest tags, sessions and
// the inputs of RFM scores. Loaded from a JSON file (`--profile-config FILE`, format in
// docs/profiles.md); the defaults fit the Segment e-commerce spec and MovieLens imports.
//
// Pure data plus its parser. Changing the config changes what new events fold into a
// profile; `aidmp rebuild profiles` applies it to the whole log.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"

namespace aidmp::profile {

enum class AggregateKind : uint8_t {
  kCount,         // matching events
  kSum,           // of a numeric property
  kDistinct,      // distinct values of a property (all time)
  kMostFrequent,  // the property value seen most often (all time; ties: smallest)
  kFirstSeen,     // event time of the first matching event (all time)
  kLastSeen,      // event time of the last matching event (all time)
};

// One computed trait, e.g. {"name":"orders_30d","kind":"count","event":"Order Completed",
// "window":"30d"}.
struct ComputedTraitSpec {
  std::string name;
  AggregateKind kind = AggregateKind::kCount;
  // Which events: a track event name, a type as "page"/"identify"/..., or "*" for all.
  std::string event = "*";
  // Property path for sum/distinct/most_frequent: "revenue", "products[].category".
  std::string property;
  // Count and sum only: the last `window_days` calendar days (UTC) up to the evaluation
  // time, today included; 0 is all time.
  int window_days = 0;
};

// How much an event says about its categories: weight, optionally times a numeric
// property (a rating).
struct InterestWeight {
  double weight = 1;
  std::string multiply_by;  // property name; empty: none
};

struct InterestConfig {
  // An event's weight halves every `half_life_days` into the past.
  double half_life_days = 30;
  // Property paths holding an event's categories (strings or arrays of strings).
  std::vector<std::string> category_properties = {"category", "genres", "products[].category"};
  // Keyed like ComputedTraitSpec::event; events not listed weigh `default_weight`.
  std::map<std::string, InterestWeight> weights = {
      {"Product Viewed", {1, ""}},        {"Product Clicked", {1, ""}},
      {"Product Added", {3, ""}},         {"Product Added to Wishlist", {2, ""}},
      {"Order Completed", {5, ""}},       {"Movie Rated", {0.2, "rating"}},
      {"page", {0.5, ""}}};
  double default_weight = 1;
  // Tags shown per person.
  int top = 5;
};

struct RfmConfig {
  // The purchase event and its money property.
  std::string purchase_event = "Order Completed";
  std::string monetary_property = "revenue";
};

struct ProfileConfig {
  std::vector<ComputedTraitSpec> computed_traits = DefaultComputedTraits();
  InterestConfig interests;
  RfmConfig rfm;
  // A session ends after this long without an event on the same device.
  int64_t session_gap_us = 30 * kMicrosPerMinute;
  // Sessions ending this long before the person's last event are folded into totals.
  int64_t session_retention_us = 90 * kMicrosPerDay;

  static std::vector<ComputedTraitSpec> DefaultComputedTraits();
};

// Parses a config file's JSON. Members left out keep their defaults; unknown members,
// wrong types and bad values are errors naming the member.
absl::StatusOr<ProfileConfig> ParseProfileConfig(std::string_view json);

// True if `event_selector` (see ComputedTraitSpec::event) matches an event of this type
// and track name.
bool SelectorMatches(std::string_view selector, std::string_view type_name, std::string_view track_name);

std::string_view AggregateKindName(AggregateKind kind);

}  // namespace aidmp::profile
