// A person's profile: traits with the time and source of each value, first and last
// seen, event counts by name, and the state behind computed traits, interest tags,
// sessions and RFM (profile_config.h says which).
//
// Updates depend on the events, not on how they are batched: a trait keeps the value
// with the latest event time (ties broken by log position), counts and sums add up,
// first/last seen are min/max, sessions are the events clustered by time per device
// (so a late event lands in, or bridges, the right session), and interest weights decay
// from each event's own time. A profile built while events stream in, in batches of any
// size with merges in between, equals one rebuilt from the log in a single pass (tested).
//
// What a profile *shows* at a moment (windows ending now, decayed and normalised
// interests, RFM quintiles) is computed by profile_view.h from this state.
// Not thread-safe: a value type.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "event/event.h"
#include "profile/profile_config.h"

namespace aidmp::profile {

// The events one or more computed traits read, kept once however many traits read them.
struct SeriesSpec {
  std::string key;        // "<event>|<property>"
  std::string event;      // selector, as ComputedTraitSpec::event
  std::string property;   // may be empty
  int window_days = 0;    // longest window any reader needs; 0: no day buckets
  bool values = false;    // keep value counts (distinct, most frequent)
};

// A config compiled for folding events: the series its computed traits and RFM read.
class ProfileModel {
 public:
  explicit ProfileModel(ProfileConfig config);
  const ProfileConfig& config() const { return config_; }
  const std::vector<SeriesSpec>& series() const { return series_; }
  static std::string SeriesKey(std::string_view event, std::string_view property);
  // The series RFM reads (purchase event with its money property).
  std::string rfm_series() const { return SeriesKey(config_.rfm.purchase_event, config_.rfm.monetary_property); }

 private:
  ProfileConfig config_;
  std::vector<SeriesSpec> series_;
};

// Most distinct values one series keeps counts of; values beyond it are not counted.
constexpr size_t kMaxSeriesValues = 1000;

struct TraitValue {
  std::string json;     // the value as compact JSON
  int64_t ts_us = 0;    // event time of the event that set it
  uint64_t seq = 0;     // its log position
  std::string source;   // where that event came from
};

// A consent decision for one purpose ("analytics", "personalization", "advertising" or
// any category a consent manager sends), latest by event time.
struct ConsentValue {
  bool granted = false;
  int64_t ts_us = 0;
  uint64_t seq = 0;
};

struct DayTotals {
  uint64_t count = 0;
  double sum = 0;
};

struct Series {
  uint64_t count = 0;
  double sum = 0;  // of the property, where numeric
  int64_t first_us = std::numeric_limits<int64_t>::max();
  int64_t last_us = std::numeric_limits<int64_t>::min();
  std::map<int64_t, DayTotals> days;          // UTC day number -> totals, recent days only
  // Property value (as text) -> events, sorted by value: a flat vector, since profiles
  // are decoded on every read and short values need no allocation of their own.
  std::vector<std::pair<std::string, uint64_t>> values;
};

struct Session {
  int64_t start_us = 0;
  int64_t end_us = 0;
  uint64_t events = 0;
};

// Recent events of one kind (an event_counts key) per UTC day, for did(..., within: W)
// without reading events: the days from kRecentDays before the person's latest event on,
// and the latest event's time.
struct RecentCounts {
  std::map<int64_t, uint32_t> days;
  int64_t last_us = std::numeric_limits<int64_t>::min();
};
constexpr int64_t kRecentDays = 92;

struct Profile {
  uint64_t person = 0;
  std::map<std::string, TraitValue> traits;
  int64_t first_seen_us = std::numeric_limits<int64_t>::max();
  int64_t last_seen_us = std::numeric_limits<int64_t>::min();
  uint64_t events = 0;
  // "track:Order Completed", "page", "identify", ...
  std::map<std::string, uint64_t> event_counts;
  // By event_counts key. Complete for days from DayOf(last_seen_us) - kRecentDays on
  // when `recent_complete` (false for profiles stored before these were kept).
  std::map<std::string, RecentCounts> recent;
  bool recent_complete = true;
  std::map<std::string, Series> series;  // by SeriesSpec::key
  // Interest weight per category, decayed to `interest_anchor_us` (the latest event time
  // that carried a category).
  std::map<std::string, double> interests;
  int64_t interest_anchor_us = std::numeric_limits<int64_t>::min();
  // Consent per purpose (lower-cased), from context.consent.categoryPreferences (as
  // Segment's consent management sends it) or an identify trait "consent" of the same
  // shape; recorded here, honoured by the layers that use a purpose.
  std::map<std::string, ConsentValue> consent;
  // Sessions per device (context.device.id, else anonymousId, else "-"), by start.
  std::map<std::string, std::vector<Session>> sessions;
  // Sessions past retention, folded into totals.
  uint64_t retired_sessions = 0;
  int64_t retired_session_us = 0;
  uint64_t retired_session_events = 0;

  // Folds one event in: traits from identify traits (and context.traits on any event),
  // consent, series, interests (not from bot-flagged events) and sessions.
  void Apply(const event::Event& event, const ProfileModel& model);
  // Folds another person's profile in (after an identity merge).
  void Merge(const Profile& other, const ProfileModel& model);

  std::string Encode() const;
  // The same into `out` (replacing what it held): a buffer kept across calls writes
  // without regrowing.
  void EncodeTo(std::string* out) const;
  static absl::Status Decode(std::string_view data, Profile* out);
  // About how much memory this profile takes (maps' nodes, strings' heap buffers,
  // vectors), for budgets; not exact.
  size_t ApproxBytes() const;
};

// The UTC day number of a time (days since 1970-01-01, floor).
int64_t DayOf(int64_t ts_us);

}  // namespace aidmp::profile
