#include "clean/tracking_plan.h"

#include <gtest/gtest.h>

namespace aidmp::clean {
namespace {

constexpr char kPlan[] = R"({
  "unplanned_events": "flag",
  "events": {
    "Order Completed": {
      "additional_properties": false,
      "properties": {
        "revenue": {"type": "number", "required": true, "minimum": 0},
        "currency": {"type": "string", "enum": ["USD", "EUR"]},
        "coupon": {"type": ["string", "null"]}
      }
    },
    "Viewed": {"violation": "flag", "properties": {"item": {"type": "string", "required": true}}}
  },
  "traits": {"age": {"type": "integer", "maximum": 130}}
})";

event::Event Track(std::string name, std::string properties) {
  event::Event event;
  event.type = event::EventType::kTrack;
  event.event = std::move(name);
  event.properties_json = std::move(properties);
  return event;
}

TEST(TrackingPlanTest, ChecksTypesRequiredEnumsRangesAndExtras) {
  auto plan = TrackingPlan::Parse(kPlan);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE((*plan)->Check(Track("Order Completed", R"({"revenue":10,"currency":"USD"})")));
  struct Case {
    const char* properties;
    const char* mentions;
  };
  for (const Case& c : {Case{R"({"currency":"USD"})", "revenue is required"},
                        Case{R"({"revenue":"10"})", "revenue must be number"},
                        Case{R"({"revenue":-1})", "below the minimum"},
                        Case{R"({"revenue":1,"currency":"GBP"})", "allowed values"},
                        Case{R"({"revenue":1,"color":"red"})", "color is not in the tracking plan"}}) {
    auto violation = (*plan)->Check(Track("Order Completed", c.properties));
    ASSERT_TRUE(violation.has_value()) << c.properties;
    EXPECT_EQ(violation->action, PlanAction::kQuarantine);
    EXPECT_NE(violation->message.find(c.mentions), std::string::npos) << violation->message;
  }
  EXPECT_FALSE((*plan)->Check(Track("Order Completed", R"({"revenue":1,"coupon":null})")));
  auto flagged = (*plan)->Check(Track("Viewed", "{}"));
  ASSERT_TRUE(flagged.has_value());
  EXPECT_EQ(flagged->action, PlanAction::kFlag);
  auto unplanned = (*plan)->Check(Track("Something Else", "{}"));
  ASSERT_TRUE(unplanned.has_value());
  EXPECT_EQ(unplanned->action, PlanAction::kFlag);

  event::Event identify;
  identify.type = event::EventType::kIdentify;
  identify.traits_json = R"({"age":200})";
  EXPECT_TRUE((*plan)->Check(identify).has_value());
}

TEST(TrackingPlanTest, BadPlansSayWhatIsWrong) {
  struct Case {
    const char* json;
    const char* mentions;
  };
  for (const Case& c : {Case{"{", "not valid JSON"}, Case{"[]", "must be a JSON object"},
                        Case{R"({"violation":"explode"})", "violation"},
                        // A violation cannot be allowed: that would be no rule at all.
                        Case{R"({"violation":"allow"})", "violation must be \"flag\" or"},
                        Case{R"({"events":{"A":{"violation":"allow"}}})",
                             R"(events["A"].violation must be "flag" or)"},
                        Case{R"({"unplanned_events":"maybe"})", "unplanned_events must be \"allow\""},
                        Case{R"({"events":{"A":{"properties":{"x":{"type":"str"}}}}})", "unknown type"},
                        Case{R"({"events":{"A":{"properties":{"x":3}}}})", "must be an object"}}) {
    auto plan = TrackingPlan::Parse(c.json);
    ASSERT_FALSE(plan.ok()) << c.json;
    EXPECT_NE(plan.status().message().find(c.mentions), std::string::npos) << plan.status().message();
  }
}

}  // namespace
}  // namespace aidmp::clean
