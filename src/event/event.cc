#include "event/event.h"

namespace aidmp::event {

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kTrack: return "track";
    case EventType::kIdentify: return "identify";
    case EventType::kPage: return "page";
    case EventType::kScreen: return "screen";
    case EventType::kGroup: return "group";
    case EventType::kAlias: return "alias";
  }
  return "unknown";
}

bool ParseEventType(std::string_view name, EventType* type) {
  for (EventType candidate : {EventType::kTrack, EventType::kIdentify, EventType::kPage,
                              EventType::kScreen, EventType::kGroup, EventType::kAlias}) {
    if (name == EventTypeName(candidate)) {
      *type = candidate;
      return true;
    }
  }
  return false;
}

std::string FlagNames(uint32_t flags) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {kFlagBot, "bot"},
      {kFlagFutureTimestamp, "future_timestamp"},
      {kFlagPastTimestamp, "past_timestamp"},
      {kFlagOutlier, "outlier"},
      {kFlagClockSkewCorrected, "clock_skew_corrected"},
      {kFlagMissingTimestamp, "missing_timestamp"},
      {kFlagPlanViolation, "plan_violation"},
      {kFlagPiiHashed, "pii_hashed"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out.push_back(',');
    out.append(name);
  }
  return out;
}

}  // namespace aidmp::event
