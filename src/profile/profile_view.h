// What a profile shows at a moment: computed traits over windows ending then, interest
// tags decayed to then and normalised, a sessions summary, and RFM scores against the
// population's quintiles. The one place that turns profile state (profile.h) into
// values, shared by the HTTP API, the CLI and (later) segments.
//
// Thread-safety: pure functions; RfmModel is an immutable value once fitted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json_writer.h"
#include "profile/profile.h"
#include "storage/store.h"

namespace aidmp::profile {

// Interest tags at `now_us`, strongest first: (tag, score in [0,1], decayed weight). The
// score is the weight relative to the person's strongest tag (which scores 1).
struct InterestTag {
  std::string tag;
  double score = 0;
  double weight = 0;
};
std::vector<InterestTag> InterestsAt(const Profile& profile, const ProfileConfig& config, int64_t now_us);

// A computed trait's value as JSON (a number, a string, an ISO time, or null).
std::string ComputedTraitJson(const Profile& profile, const ComputedTraitSpec& spec, int64_t now_us);

// The raw RFM inputs of a buyer: days since the last purchase, purchases, money spent.
struct RfmRaw {
  double recency_days = 0;
  uint64_t frequency = 0;
  double monetary = 0;
};
// nullopt for someone who never bought.
std::optional<RfmRaw> RfmOf(const Profile& profile, const ProfileModel& model, int64_t now_us);

// Quintile cut points of recency, frequency and monetary over all buyers.
struct RfmModel {
  int64_t fitted_at_us = 0;
  uint64_t buyers = 0;
  std::vector<double> recency_cuts, frequency_cuts, monetary_cuts;  // 4 each, ascending

  static RfmModel Fit(std::vector<RfmRaw> buyers, int64_t now_us);
  // Scores 1..5 (5 best: most recent, most frequent, most spent).
  int RecencyScore(double recency_days) const;
  int FrequencyScore(uint64_t frequency) const;
  int MonetaryScore(double monetary) const;
};

// Fits the model over every stored profile (a scan of the profile keys).
absl::StatusOr<RfmModel> FitRfm(storage::Store* store, const ProfileModel& model, int64_t now_us);

// Writes the profile's members into the JSON object `writer` has open: events,
// first_seen, last_seen, event_counts, traits, computed_traits, interests, sessions and
// rfm (null for non-buyers, or when `rfm` is null).
void WriteProfileMembers(const Profile& profile, const ProfileModel& model, int64_t now_us, const RfmModel* rfm,
                         JsonWriter* writer);

}  // namespace aidmp::profile
