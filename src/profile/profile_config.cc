#include "profile/profile_config.h"

#include <set>

#include "common/strings.h"
#include "common/time_format.h"
#include "simdjson.h"

namespace aidmp::profile {
namespace {

absl::Status Bad(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("profile config: ", where, ": ", what));
}

absl::Status CheckMembers(simdjson::dom::object object, std::string_view where,
                          std::initializer_list<std::string_view> known) {
  for (auto field : object) {
    bool ok = false;
    for (std::string_view name : known) ok = ok || field.key == name;
    if (!ok) return Bad(where, StrCat("unknown member '", field.key, "'"));
  }
  return absl::OkStatus();
}

absl::Status GetString(simdjson::dom::object object, std::string_view key, std::string_view where, std::string* out) {
  simdjson::dom::element value;
  if (object.at_key(key).get(value) != simdjson::SUCCESS) return absl::OkStatus();
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return Bad(StrCat(where, ".", key), "must be a string");
  out->assign(text);
  return absl::OkStatus();
}

absl::Status GetNumber(simdjson::dom::object object, std::string_view key, std::string_view where, double* out) {
  simdjson::dom::element value;
  if (object.at_key(key).get(value) != simdjson::SUCCESS) return absl::OkStatus();
  if (!value.is_number() || value.get_double().get(*out) != simdjson::SUCCESS) {
    return Bad(StrCat(where, ".", key), "must be a number");
  }
  return absl::OkStatus();
}

absl::Status GetDuration(simdjson::dom::object object, std::string_view key, std::string_view where, int64_t* out) {
  std::string text;
  absl::Status status = GetString(object, key, where, &text);
  if (!status.ok() || text.empty()) return status;
  auto parsed = ParseDurationMicros(text);
  if (!parsed.ok()) return Bad(StrCat(where, ".", key), std::string(parsed.status().message()));
  *out = *parsed;
  return absl::OkStatus();
}

bool ParseKind(std::string_view name, AggregateKind* kind) {
  for (AggregateKind candidate : {AggregateKind::kCount, AggregateKind::kSum, AggregateKind::kDistinct,
                                  AggregateKind::kMostFrequent, AggregateKind::kFirstSeen, AggregateKind::kLastSeen}) {
    if (AggregateKindName(candidate) == name) {
      *kind = candidate;
      return true;
    }
  }
  return false;
}

absl::Status ParseComputedTraits(simdjson::dom::element value, std::vector<ComputedTraitSpec>* out) {
  simdjson::dom::array items;
  if (value.get_array().get(items) != simdjson::SUCCESS) return Bad("computed_traits", "must be an array");
  out->clear();
  std::set<std::string> names;
  size_t index = 0;
  for (simdjson::dom::element item : items) {
    std::string where = StrCat("computed_traits[", index++, "]");
    simdjson::dom::object object;
    if (item.get_object().get(object) != simdjson::SUCCESS) return Bad(where, "must be an object");
    absl::Status status = CheckMembers(object, where, {"name", "kind", "event", "property", "window"});
    if (!status.ok()) return status;
    ComputedTraitSpec spec;
    std::string kind = "count";
    for (auto [key, target] : {std::pair{"name", &spec.name}, std::pair{"kind", &kind},
                               std::pair{"event", &spec.event}, std::pair{"property", &spec.property}}) {
      status = GetString(object, key, where, target);
      if (!status.ok()) return status;
    }
    if (spec.name.empty()) return Bad(where, "needs a non-empty 'name'");
    if (!names.insert(spec.name).second) return Bad(where, StrCat("the name '", spec.name, "' is used twice"));
    if (!ParseKind(kind, &spec.kind)) {
      return Bad(where, StrCat("kind '", kind, "' is not count, sum, distinct, most_frequent, first_seen or last_seen"));
    }
    if (spec.event.empty()) return Bad(where, "'event' must not be empty (use \"*\" for every event)");
    bool needs_property = spec.kind == AggregateKind::kSum || spec.kind == AggregateKind::kDistinct ||
                          spec.kind == AggregateKind::kMostFrequent;
    if (needs_property && spec.property.empty()) return Bad(where, StrCat("kind '", kind, "' needs a 'property'"));
    int64_t window_us = 0;
    status = GetDuration(object, "window", where, &window_us);
    if (!status.ok()) return status;
    if (window_us != 0) {
      if (spec.kind != AggregateKind::kCount && spec.kind != AggregateKind::kSum) {
        return Bad(where, "'window' applies to count and sum only");
      }
      if (window_us % kMicrosPerDay != 0 || window_us > 3660 * kMicrosPerDay) {
        return Bad(where, "'window' must be whole days, at most 3660d, like 30d");
      }
      spec.window_days = static_cast<int>(window_us / kMicrosPerDay);
    }
    out->push_back(std::move(spec));
  }
  return absl::OkStatus();
}

absl::Status ParseInterests(simdjson::dom::element value, InterestConfig* out) {
  simdjson::dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) return Bad("interests", "must be an object");
  absl::Status status =
      CheckMembers(object, "interests", {"half_life_days", "category_properties", "weights", "default_weight", "top"});
  if (!status.ok()) return status;
  status = GetNumber(object, "half_life_days", "interests", &out->half_life_days);
  if (!status.ok()) return status;
  if (!(out->half_life_days > 0)) return Bad("interests.half_life_days", "must be positive");
  status = GetNumber(object, "default_weight", "interests", &out->default_weight);
  if (!status.ok()) return status;
  double top = out->top;
  status = GetNumber(object, "top", "interests", &top);
  if (!status.ok()) return status;
  if (top < 1 || top > 1000 || top != static_cast<int>(top)) return Bad("interests.top", "must be a whole number in 1..1000");
  out->top = static_cast<int>(top);
  simdjson::dom::element paths;
  if (object.at_key("category_properties").get(paths) == simdjson::SUCCESS) {
    simdjson::dom::array items;
    if (paths.get_array().get(items) != simdjson::SUCCESS) return Bad("interests.category_properties", "must be an array");
    out->category_properties.clear();
    for (simdjson::dom::element item : items) {
      std::string_view path;
      if (item.get_string().get(path) != simdjson::SUCCESS || path.empty()) {
        return Bad("interests.category_properties", "must hold non-empty strings");
      }
      out->category_properties.emplace_back(path);
    }
  }
  simdjson::dom::element weights;
  if (object.at_key("weights").get(weights) == simdjson::SUCCESS) {
    simdjson::dom::object entries;
    if (weights.get_object().get(entries) != simdjson::SUCCESS) return Bad("interests.weights", "must be an object");
    out->weights.clear();
    for (auto field : entries) {
      std::string where = StrCat("interests.weights.", field.key);
      InterestWeight weight;
      if (field.value.is_number()) {
        weight.weight = field.value.get_double().value_unsafe();
      } else {
        simdjson::dom::object rule;
        if (field.value.get_object().get(rule) != simdjson::SUCCESS) {
          return Bad(where, "must be a number or {\"weight\": N, \"multiply_by\": \"property\"}");
        }
        status = CheckMembers(rule, where, {"weight", "multiply_by"});
        if (!status.ok()) return status;
        status = GetNumber(rule, "weight", where, &weight.weight);
        if (!status.ok()) return status;
        status = GetString(rule, "multiply_by", where, &weight.multiply_by);
        if (!status.ok()) return status;
      }
      if (!(weight.weight >= 0)) return Bad(where, "must not be negative");
      out->weights[std::string(field.key)] = weight;
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view AggregateKindName(AggregateKind kind) {
  switch (kind) {
    case AggregateKind::kCount: return "count";
    case AggregateKind::kSum: return "sum";
    case AggregateKind::kDistinct: return "distinct";
    case AggregateKind::kMostFrequent: return "most_frequent";
    case AggregateKind::kFirstSeen: return "first_seen";
    case AggregateKind::kLastSeen: return "last_seen";
  }
  return "count";
}

std::vector<ComputedTraitSpec> ProfileConfig::DefaultComputedTraits() {
  using K = AggregateKind;
  return {
      {"orders_7d", K::kCount, "Order Completed", "", 7},
      {"orders_30d", K::kCount, "Order Completed", "", 30},
      {"orders_90d", K::kCount, "Order Completed", "", 90},
      {"orders_total", K::kCount, "Order Completed", "", 0},
      {"revenue_30d", K::kSum, "Order Completed", "revenue", 30},
      {"revenue_total", K::kSum, "Order Completed", "revenue", 0},
      {"first_order_at", K::kFirstSeen, "Order Completed", "", 0},
      {"last_order_at", K::kLastSeen, "Order Completed", "", 0},
      {"product_views_30d", K::kCount, "Product Viewed", "", 30},
      {"products_viewed", K::kDistinct, "Product Viewed", "product_id", 0},
      {"favourite_category", K::kMostFrequent, "Product Viewed", "category", 0},
      {"pages_7d", K::kCount, "page", "", 7},
      {"ratings_total", K::kCount, "Movie Rated", "", 0},
      {"favourite_genre", K::kMostFrequent, "Movie Rated", "genres", 0},
  };
}

bool SelectorMatches(std::string_view selector, std::string_view type_name, std::string_view track_name) {
  if (selector == "*") return true;
  if (type_name == "track") return selector == track_name || selector == "track";
  return selector == type_name;
}

absl::StatusOr<ProfileConfig> ParseProfileConfig(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  auto error = parser.parse(json.data(), json.size()).get(root);
  if (error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        StrCat("profile config is not a JSON object: ", simdjson::error_message(error)));
  }
  ProfileConfig config;
  absl::Status status = CheckMembers(root, "top level", {"computed_traits", "interests", "rfm", "sessions"});
  if (!status.ok()) return status;
  simdjson::dom::element value;
  if (root.at_key("computed_traits").get(value) == simdjson::SUCCESS) {
    status = ParseComputedTraits(value, &config.computed_traits);
    if (!status.ok()) return status;
  }
  if (root.at_key("interests").get(value) == simdjson::SUCCESS) {
    status = ParseInterests(value, &config.interests);
    if (!status.ok()) return status;
  }
  if (root.at_key("rfm").get(value) == simdjson::SUCCESS) {
    simdjson::dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return Bad("rfm", "must be an object");
    status = CheckMembers(object, "rfm", {"purchase_event", "monetary_property"});
    if (!status.ok()) return status;
    status = GetString(object, "purchase_event", "rfm", &config.rfm.purchase_event);
    if (!status.ok()) return status;
    status = GetString(object, "monetary_property", "rfm", &config.rfm.monetary_property);
    if (!status.ok()) return status;
  }
  if (root.at_key("sessions").get(value) == simdjson::SUCCESS) {
    simdjson::dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return Bad("sessions", "must be an object");
    status = CheckMembers(object, "sessions", {"gap", "retention"});
    if (!status.ok()) return status;
    status = GetDuration(object, "gap", "sessions", &config.session_gap_us);
    if (!status.ok()) return status;
    status = GetDuration(object, "retention", "sessions", &config.session_retention_us);
    if (!status.ok()) return status;
    if (config.session_gap_us <= 0) return Bad("sessions.gap", "must be positive");
    if (config.session_retention_us < config.session_gap_us) return Bad("sessions.retention", "must be at least the gap");
  }
  return config;
}

}  // namespace aidmp::profile
