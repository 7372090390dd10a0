// Fuzzes tracking-plan parsing (clean/tracking_plan.h) and checking events against it.
//
// Input: a plan. When it parses, fixed events (planned and unplanned tracks, identifies
// with and without traits, a page) and one track whose properties are the input itself
// are checked against it.
//
// Invariants: nothing crashes; a rejected plan is InvalidArgument with a message; every
// violation has a message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clean/tracking_plan.h"
#include "fuzz_check.h"

namespace {

using aidmp::event::Event;
using aidmp::event::EventType;

Event MakeEvent(EventType type, std::string name, std::string properties_json,
                std::string traits_json) {
  Event event;
  event.type = type;
  event.user_id = "u1";
  event.event = std::move(name);
  event.properties_json = std::move(properties_json);
  event.traits_json = std::move(traits_json);
  return event;
}

const std::vector<Event>& FixedEvents() {
  static const auto* events = new std::vector<Event>{
      MakeEvent(EventType::kTrack, "Order Completed",
                R"({"revenue":12.5,"currency":"USD","order_id":"o1","products":[{"id":"p1"}]})", ""),
      MakeEvent(EventType::kTrack, "Order Completed", R"({"revenue":-1,"currency":"GBP"})", ""),
      MakeEvent(EventType::kTrack, "Order Completed", "", ""),
      MakeEvent(EventType::kTrack, "Product Viewed",
                R"({"product_id":7,"price":"9.99","in_stock":true,"tags":null})", ""),
      MakeEvent(EventType::kTrack, "Signed Up", R"({"plan":{"name":"pro"}})", ""),
      MakeEvent(EventType::kTrack, "Unplanned Thing", R"({"x":1})", ""),
      MakeEvent(EventType::kIdentify, "", "", R"({"email":"a@example.com","age":41})"),
      MakeEvent(EventType::kIdentify, "", "", ""),
      MakeEvent(EventType::kPage, "", R"({"path":"/"})", ""),
  };
  return *events;
}

void CheckEvent(const aidmp::clean::TrackingPlan& plan, const Event& event) {
  std::optional<aidmp::clean::PlanViolation> violation = plan.Check(event);
  if (!violation) return;
  AIDMP_FUZZ_CHECK(!violation->message.empty());
  AIDMP_FUZZ_CHECK(violation->action != aidmp::clean::PlanAction::kAllow);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  auto plan = aidmp::clean::TrackingPlan::Parse(json);
  if (!plan.ok()) {
    AIDMP_FUZZ_CHECK(absl::IsInvalidArgument(plan.status()));
    AIDMP_FUZZ_CHECK(!plan.status().message().empty());
    return 0;
  }
  AIDMP_FUZZ_CHECK(*plan != nullptr);
  for (const Event& event : FixedEvents()) CheckEvent(**plan, event);
  CheckEvent(**plan, MakeEvent(EventType::kTrack, "Order Completed", std::string(json), ""));
  CheckEvent(**plan, MakeEvent(EventType::kIdentify, "", "", std::string(json)));
  return 0;
}
