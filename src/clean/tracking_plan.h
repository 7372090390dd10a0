// Tracking plans: per-event schemas, as Segment Protocols and Snowplow's Iglu keep them.
//
// A plan is a JSON file:
//   {
//     "unplanned_events": "allow" | "flag" | "quarantine",   // default "allow"
//     "violation": "flag" | "quarantine",                    // default "quarantine"
//     "events": {
//       "Order Completed": {
//         "violation": "flag",                                // optional override
//         "additional_properties": false,                     // default true
//         "properties": {
//           "revenue": {"type": "number", "required": true, "minimum": 0},
//           "currency": {"type": "string", "enum": ["USD", "EUR"]}
//         }
//       }
//     },
//     "traits": { "email": {"type": "string"} }               // checked on identify
//   }
// Types: string, number, integer, boolean, object, array, null (or a list of them).
// Thread-safe: immutable after Load.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "event/event.h"

namespace aidmp::clean {

enum class PlanAction { kAllow, kFlag, kQuarantine };

struct PlanViolation {
  PlanAction action = PlanAction::kQuarantine;
  std::string message;  // names the event, the field and the rule
};

class TrackingPlan {
 public:
  // Parses a plan; InvalidArgument naming the problem if it is not one.
  static absl::StatusOr<std::shared_ptr<const TrackingPlan>> Parse(std::string_view json);
  static absl::StatusOr<std::shared_ptr<const TrackingPlan>> LoadFile(const std::string& path);

  // The first violation of `event` against the plan, or nullopt if it conforms.
  std::optional<PlanViolation> Check(const event::Event& event) const;

  struct FieldRule {
    std::vector<std::string> types;  // empty: any type
    bool required = false;
    std::vector<std::string> enum_values;  // as compact JSON, compared textually
    std::optional<double> minimum;
    std::optional<double> maximum;
  };
  struct Schema {
    std::map<std::string, FieldRule> fields;
    bool additional_fields = true;
    PlanAction violation = PlanAction::kQuarantine;
  };

 private:
  std::optional<PlanViolation> CheckObject(const Schema& schema, std::string_view what,
                                           const std::string& json) const;

  PlanAction unplanned_ = PlanAction::kAllow;
  std::map<std::string, Schema, std::less<>> events_;
  std::optional<Schema> traits_;
};

}  // namespace aidmp::clean
