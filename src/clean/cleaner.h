// Cleaning: validate, normalise and flag one event before it is stored.
//
// Given an Event as parsed from Segment JSON (event/segment_json.h) with receivedAt
// set, Clean either accepts it (normalised in place, flags set) or returns the reason
// it must be quarantined. It never drops silently and never throws.
//
// Normalisation (docs/cleaning.md states the full policy):
// - ids trimmed of surrounding white space; ids with control characters or invalid
//   UTF-8 are rejected, not repaired;
// - timestamps: Segment's clock-skew correction
//   timestamp = receivedAt - (sentAt - originalTimestamp) when the client sent both;
//   originalTimestamp alone is taken as is; none at all means receivedAt (flagged);
// - emails and phones in traits, context.traits and properties are lower-cased / reduced
//   to digits and replaced by their SHA-256 when hash_pii is on;
// - numeric e-commerce properties sent as strings ("12.50") become numbers when the
//   whole string is a number;
// - a missing messageId gets a deterministic one derived from the payload.
//
// Thread-safe: Clean may be called from many threads at once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "clean/bot_detector.h"
#include "common/clock.h"
#include "clean/outlier_detector.h"
#include "clean/reason.h"
#include "clean/tracking_plan.h"
#include "event/event.h"

namespace aidmp::clean {

struct CleanerOptions {
  // Replace emails and phones by their SHA-256 (lower-case hex).
  bool hash_pii = true;
  // Segment's per-event limit.
  size_t max_event_bytes = 32 * 1024;
  // Segment: messageId must be under 100 characters.
  size_t max_message_id_chars = 99;
  // userId, anonymousId, groupId, previousId.
  size_t max_id_bytes = 1024;
  // Flag event times further than this after receipt as future_timestamp.
  int64_t future_tolerance_us = 24 * kMicrosPerHour;
  // Flag event times further than this before receipt as past_timestamp; 0 disables
  // (imports of historical data turn it off). Event times outside [1970, 2200) are not
  // times at all: quarantined whatever this says.
  int64_t past_tolerance_us = 365 * 24 * kMicrosPerHour;
  BotDetectorOptions bots;
  OutlierOptions outliers;
  bool detect_outliers = true;
  // Optional tracking plan; nullptr means none.
  std::shared_ptr<const TrackingPlan> plan;
};

struct CleanResult {
  Reason reason = Reason::kNone;  // kNone: accepted
  std::string message;            // for a rejection: names the field and the problem
  bool accepted() const { return reason == Reason::kNone; }
};

class Cleaner {
 public:
  explicit Cleaner(CleanerOptions options);

  // Validates and normalises `event` in place. `raw_size` is the size of the event's
  // JSON as received (for the size limit). `user_agent`, when the caller knows it, is
  // the string member "userAgent" of event->context_json (empty if none); otherwise the
  // context is parsed for it. On rejection the event may be partly normalised; callers
  // quarantine the raw payload, not the event.
  CleanResult Clean(event::Event* event, size_t raw_size,
                    std::optional<std::string_view> user_agent = std::nullopt);

  const CleanerOptions& options() const { return options_; }

 private:
  CleanResult CheckIds(event::Event* event) const;
  CleanResult ResolveTimestamps(event::Event* event) const;
  void NormaliseObjects(event::Event* event) const;
  void FlagBehaviour(event::Event* event, std::optional<std::string_view> user_agent);

  CleanerOptions options_;
  BotDetector bots_;
  OutlierDetector outliers_;
};

}  // namespace aidmp::clean
