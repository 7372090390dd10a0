#include "clean/tracking_plan.h"

#include <fstream>
#include <sstream>

#include "simdjson.h"
#include "common/strings.h"
#include "event/json_minify.h"
#include "event/json_util.h"

namespace aidmp::clean {

using event::ValueOr;
namespace {

using simdjson::dom::element;

// `may_allow` is true only for unplanned events: a violation that is allowed is no
// violation, so "violation": "allow" is a mistake in the plan and is rejected.
absl::StatusOr<PlanAction> ParseAction(element value, std::string_view where, bool may_allow) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    if (text == "allow" && may_allow) return PlanAction::kAllow;
    if (text == "flag") return PlanAction::kFlag;
    if (text == "quarantine") return PlanAction::kQuarantine;
  }
  return absl::InvalidArgumentError(
      may_allow
          ? StrCat("tracking plan: ", where, " must be \"allow\", \"flag\" or \"quarantine\"")
          : StrCat("tracking plan: ", where, " must be \"flag\" or \"quarantine\""));
}

std::string_view JsonTypeName(element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::STRING: return "string";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64: return "integer";
    case simdjson::dom::element_type::DOUBLE: return "number";
    case simdjson::dom::element_type::BOOL: return "boolean";
    case simdjson::dom::element_type::OBJECT: return "object";
    case simdjson::dom::element_type::ARRAY: return "array";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
  }
  return "unknown";
}

bool TypeMatches(std::string_view actual, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  for (const auto& type : allowed) {
    if (type == actual || (type == "number" && actual == "integer")) return true;
  }
  return false;
}

absl::StatusOr<TrackingPlan::Schema> ParseSchema(element fields, std::string_view where,
                                                 PlanAction default_violation) {
  TrackingPlan::Schema schema;
  schema.violation = default_violation;
  simdjson::dom::object object;
  if (fields.get_object().get(object) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(StrCat("tracking plan: ", where, " must be an object"));
  }
  for (auto field : object) {
    TrackingPlan::FieldRule rule;
    std::string field_where = StrCat(where, ".", field.key);
    simdjson::dom::object spec;
    if (field.value.get_object().get(spec) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(
          StrCat("tracking plan: ", field_where, " must be an object"));
    }
    for (auto part : spec) {
      if (part.key == "type") {
        std::string_view type;
        if (part.value.get_string().get(type) == simdjson::SUCCESS) {
          rule.types.emplace_back(type);
        } else if (part.value.is_array()) {
          simdjson::dom::array items = part.value.get_array().value_unsafe();
          for (element item : items) {
            if (item.get_string().get(type) != simdjson::SUCCESS) {
              return absl::InvalidArgumentError(
                  StrCat("tracking plan: ", field_where, ".type must hold strings"));
            }
            rule.types.emplace_back(type);
          }
        }
        for (const auto& name : rule.types) {
          if (name != "string" && name != "number" && name != "integer" && name != "boolean" &&
              name != "object" && name != "array" && name != "null") {
            return absl::InvalidArgumentError(
                StrCat("tracking plan: ", field_where, " has unknown type \"", name, "\""));
          }
        }
      } else if (part.key == "required") {
        rule.required = ValueOr(part.value.get_bool(), bool{false});
      } else if (part.key == "enum") {
        if (!part.value.is_array()) {
          return absl::InvalidArgumentError(
              StrCat("tracking plan: ", field_where, ".enum must be an array"));
        }
        simdjson::dom::array items = part.value.get_array().value_unsafe();
        for (element item : items) {
          rule.enum_values.push_back(event::Minified(item));
        }
      } else if (part.key == "minimum") {
        rule.minimum = ValueOr(part.value.get_double(), double{0});
      } else if (part.key == "maximum") {
        rule.maximum = ValueOr(part.value.get_double(), double{0});
      }
    }
    schema.fields.emplace(std::string(field.key), std::move(rule));
  }
  return schema;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const TrackingPlan>> TrackingPlan::Parse(std::string_view json) {
  simdjson::dom::parser parser;
  element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    return absl::InvalidArgumentError(
        StrCat("tracking plan is not valid JSON: ", simdjson::error_message(error)));
  }
  if (!root.is_object()) return absl::InvalidArgumentError("tracking plan must be a JSON object");
  auto plan = std::make_shared<TrackingPlan>();
  PlanAction default_violation = PlanAction::kQuarantine;
  element value;
  if (root["violation"].get(value) == simdjson::SUCCESS) {
    auto action = ParseAction(value, "violation", false);
    if (!action.ok()) return action.status();
    default_violation = *action;
  }
  if (root["unplanned_events"].get(value) == simdjson::SUCCESS) {
    auto action = ParseAction(value, "unplanned_events", true);
    if (!action.ok()) return action.status();
    plan->unplanned_ = *action;
  }
  if (root["events"].get(value) == simdjson::SUCCESS) {
    simdjson::dom::object events;
    if (value.get_object().get(events) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError("tracking plan: events must be an object");
    }
    for (auto entry : events) {
      std::string where = StrCat("events[\"", entry.key, "\"]");
      PlanAction violation = default_violation;
      element part;
      if (entry.value["violation"].get(part) == simdjson::SUCCESS) {
        auto action = ParseAction(part, where + ".violation", false);
        if (!action.ok()) return action.status();
        violation = *action;
      }
      Schema schema;
      schema.violation = violation;
      if (entry.value["properties"].get(part) == simdjson::SUCCESS) {
        auto parsed = ParseSchema(part, where + ".properties", violation);
        if (!parsed.ok()) return parsed.status();
        schema = std::move(*parsed);
      }
      if (entry.value["additional_properties"].get(part) == simdjson::SUCCESS) {
        schema.additional_fields = ValueOr(part.get_bool(), bool{true});
      }
      plan->events_.emplace(std::string(entry.key), std::move(schema));
    }
  }
  if (root["traits"].get(value) == simdjson::SUCCESS) {
    auto parsed = ParseSchema(value, "traits", default_violation);
    if (!parsed.ok()) return parsed.status();
    plan->traits_ = std::move(*parsed);
  }
  return std::shared_ptr<const TrackingPlan>(std::move(plan));
}

absl::StatusOr<std::shared_ptr<const TrackingPlan>> TrackingPlan::LoadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(StrCat("cannot open tracking plan ", path));
  std::stringstream buffer;
  buffer << file.rdbuf();
  return Parse(buffer.str());
}

std::optional<PlanViolation> TrackingPlan::CheckObject(const Schema& schema, std::string_view what,
                                                       const std::string& json) const {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  std::string_view input = json.empty() ? std::string_view("{}") : std::string_view(json);
  if (parser.parse(input.data(), input.size()).get(object) != simdjson::SUCCESS) {
    return PlanViolation{schema.violation, StrCat(what, " is not an object")};
  }
  for (const auto& [name, rule] : schema.fields) {
    element value;
    if (object[name].get(value) != simdjson::SUCCESS) {
      if (rule.required) {
        return PlanViolation{schema.violation, StrCat(what, ".", name, " is required")};
      }
      continue;
    }
    std::string_view type = JsonTypeName(value);
    if (!TypeMatches(type, rule.types)) {
      return PlanViolation{schema.violation, StrCat(what, ".", name, " must be ",
                                                          rule.types.front(), ", not ", type)};
    }
    if (!rule.enum_values.empty()) {
      std::string text = event::Minified(value);
      if (std::find(rule.enum_values.begin(), rule.enum_values.end(), text) ==
          rule.enum_values.end()) {
        return PlanViolation{schema.violation,
                             StrCat(what, ".", name, " is ", text.substr(0, 64),
                                          ", not one of the allowed values")};
      }
    }
    double number;
    if (value.get_double().get(number) == simdjson::SUCCESS) {
      if (rule.minimum && number < *rule.minimum) {
        return PlanViolation{schema.violation,
                             StrCat(what, ".", name, " is below the minimum ", *rule.minimum)};
      }
      if (rule.maximum && number > *rule.maximum) {
        return PlanViolation{schema.violation,
                             StrCat(what, ".", name, " is above the maximum ", *rule.maximum)};
      }
    }
  }
  if (!schema.additional_fields) {
    for (auto field : object) {
      if (schema.fields.find(std::string(field.key)) == schema.fields.end()) {
        return PlanViolation{schema.violation, StrCat(what, ".", field.key,
                                                            " is not in the tracking plan")};
      }
    }
  }
  return std::nullopt;
}

std::optional<PlanViolation> TrackingPlan::Check(const event::Event& event) const {
  if (event.type == event::EventType::kIdentify && traits_.has_value()) {
    return CheckObject(*traits_, "traits", event.traits_json);
  }
  if (event.type != event::EventType::kTrack) return std::nullopt;
  auto it = events_.find(event.event);
  if (it == events_.end()) {
    if (unplanned_ == PlanAction::kAllow) return std::nullopt;
    return PlanViolation{unplanned_,
                         StrCat("event \"", event.event.substr(0, 64), "\" is not in the tracking plan")};
  }
  auto violation = CheckObject(it->second, "properties", event.properties_json);
  if (violation) {
    violation->message = StrCat("event \"", event.event.substr(0, 64), "\": ", violation->message);
  }
  return violation;
}

}  // namespace aidmp::clean
