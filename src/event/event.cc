#include "event/event.h"

#include <utility>

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

namespace {

constexpr std::pair<uint32_t, std::string_view> kFlagNames[] = {
    {kFlagBot, "bot"},
    {kFlagFutureTimestamp, "future_timestamp"},
    {kFlagPastTimestamp, "past_timestamp"},
    {kFlagOutlier, "outlier"},
    {kFlagClockSkewCorrected, "clock_skew_corrected"},
    {kFlagMissingTimestamp, "missing_timestamp"},
    {kFlagPlanViolation, "plan_violation"},
    {kFlagPiiHashed, "pii_hashed"},
};

}  // namespace

std::string FlagNames(uint32_t flags) {
  std::string out;
  for (const auto& [bit, name] : kFlagNames) {
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out.push_back(',');
    out.append(name);
  }
  return out;
}

uint32_t FlagFromName(std::string_view name) {
  for (const auto& [bit, flag_name] : kFlagNames) {
    if (flag_name == name) return bit;
  }
  return 0;
}

}  // namespace aidmp::event
