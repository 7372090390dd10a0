// The event model: one behavioural message in the shape of the Segment spec
// (track, identify, page, screen, group, alias), as it flows through aidmp.
//
// Pure data; no I/O. Not thread-safe to mutate; safe to share const.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace aidmp::event {

// Do not change the numbers: stored on disk.
enum class EventType : uint8_t {
  kTrack = 1,
  kIdentify = 2,
  kPage = 3,
  kScreen = 4,
  kGroup = 5,
  kAlias = 6,
};

// "track", "identify", ...
std::string_view EventTypeName(EventType type);
// Returns false if `name` is not one of the six Segment types.
bool ParseEventType(std::string_view name, EventType* type);

// Flags set by cleaning; the event is stored but marked. Do not change: stored on disk.
enum EventFlag : uint32_t {
  kFlagBot = 1u << 0,             // user agent or per-id rate looks like a bot
  kFlagFutureTimestamp = 1u << 1, // event time far ahead of receipt
  kFlagPastTimestamp = 1u << 2,   // event time far behind receipt
  kFlagOutlier = 1u << 3,         // a numeric property far outside its usual range
  kFlagClockSkewCorrected = 1u << 4,
  kFlagMissingTimestamp = 1u << 5, // the client sent none; receivedAt was used
  kFlagPlanViolation = 1u << 6,   // tracking plan violated, plan says flag
  kFlagPiiHashed = 1u << 7,       // an email or phone was hashed
};

// Names of the flags set in `flags`, comma-separated ("bot,outlier").
std::string FlagNames(uint32_t flags);
// The flag bit called `name` ("outlier"), or 0 for a name that is not a flag.
uint32_t FlagFromName(std::string_view name);

constexpr int64_t kNoTimestamp = std::numeric_limits<int64_t>::min();

// A new field needs its place in event_codec.cc: encoding, decoding and ResetEvent.
struct Event {
  EventType type = EventType::kTrack;
  std::string message_id;
  std::string user_id;
  std::string anonymous_id;
  std::string event;        // track: the event name
  std::string name;         // page / screen: the page name
  std::string group_id;     // group
  std::string previous_id;  // alias

  // All four Segment timestamps, UTC microseconds; kNoTimestamp when absent.
  // `timestamp_us` is the corrected event time that everything downstream orders by.
  int64_t timestamp_us = kNoTimestamp;
  int64_t original_timestamp_us = kNoTimestamp;
  int64_t sent_at_us = kNoTimestamp;
  int64_t received_at_us = kNoTimestamp;

  // Sub-objects as compact JSON text; empty when absent.
  std::string properties_json;
  std::string traits_json;
  std::string context_json;
  std::string integrations_json;

  std::string source;   // where it came from: "http:<write key id>" or "import:<file>"
  uint32_t flags = 0;   // EventFlag bits
  uint64_t seq = 0;     // position in the event log; 0 until appended

  bool operator==(const Event&) const = default;
};

}  // namespace aidmp::event
