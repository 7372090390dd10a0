#include "profile/profile_view.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"
#include "common/time_format.h"
#include "storage/keys.h"

namespace aidmp::profile {
namespace {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

std::string TimeJson(int64_t ts_us) {
  if (ts_us == kMinTime || ts_us == kMaxTime) return "null";
  std::string out;
  AppendJsonString(&out, FormatIso8601Micros(ts_us));
  return out;
}

std::string NumberJson(double value) {
  JsonWriter writer;
  writer.Double(value);
  return writer.Take();
}

// Sum of the day buckets in the `window_days` days ending with the day of `now_us`.
DayTotals WindowTotals(const Series& series, int window_days, int64_t now_us) {
  DayTotals totals;
  int64_t today = DayOf(now_us);
  for (auto it = series.days.upper_bound(today - window_days); it != series.days.end() && it->first <= today; ++it) {
    totals.count += it->second.count;
    totals.sum += it->second.sum;
  }
  return totals;
}

// Values below the fourth of these cuts score 1, ..., at or above the last 5.
int ScoreAgainst(const std::vector<double>& cuts, double value) {
  int score = 1;
  for (double cut : cuts) score += value > cut ? 1 : 0;
  return score;
}

std::vector<double> QuintileCuts(std::vector<double> values) {
  std::vector<double> cuts;
  if (values.empty()) return cuts;
  std::sort(values.begin(), values.end());
  // The q-th cut is the largest value in the bottom q fifths.
  for (size_t q = 1; q <= 4; ++q) cuts.push_back(values[(values.size() * q + 4) / 5 - 1]);
  return cuts;
}

}  // namespace

std::vector<InterestTag> InterestsAt(const Profile& profile, const ProfileConfig& config, int64_t now_us) {
  std::vector<InterestTag> tags;
  if (profile.interests.empty()) return tags;
  double age_days = static_cast<double>(std::max<int64_t>(0, now_us - profile.interest_anchor_us)) /
                    static_cast<double>(kMicrosPerDay);
  double decay = std::exp2(-age_days / config.interests.half_life_days);
  double strongest = 0;
  for (const auto& [tag, weight] : profile.interests) strongest = std::max(strongest, weight);
  for (const auto& [tag, weight] : profile.interests) {
    tags.push_back(InterestTag{tag, strongest > 0 ? weight / strongest : 0, weight * decay});
  }
  std::stable_sort(tags.begin(), tags.end(), [](const InterestTag& a, const InterestTag& b) { return a.score > b.score; });
  return tags;
}

std::string ComputedTraitJson(const Profile& profile, const ComputedTraitSpec& spec, int64_t now_us) {
  auto it = profile.series.find(ProfileModel::SeriesKey(spec.event, spec.property));
  static const Series kEmpty;
  const Series& series = it == profile.series.end() ? kEmpty : it->second;
  switch (spec.kind) {
    case AggregateKind::kCount:
      return std::to_string(spec.window_days > 0 ? WindowTotals(series, spec.window_days, now_us).count : series.count);
    case AggregateKind::kSum:
      return NumberJson(spec.window_days > 0 ? WindowTotals(series, spec.window_days, now_us).sum : series.sum);
    case AggregateKind::kDistinct:
      return std::to_string(series.values.size());
    case AggregateKind::kMostFrequent: {
      const std::pair<std::string, uint64_t>* best = nullptr;
      for (const auto& entry : series.values) {
        if (best == nullptr || entry.second > best->second) best = &entry;
      }
      if (best == nullptr) return "null";
      std::string out;
      AppendJsonString(&out, best->first);
      return out;
    }
    case AggregateKind::kFirstSeen:
      return TimeJson(series.count > 0 ? series.first_us : kMinTime);
    case AggregateKind::kLastSeen:
      return TimeJson(series.count > 0 ? series.last_us : kMinTime);
  }
  return "null";
}

std::optional<RfmRaw> RfmOf(const Profile& profile, const ProfileModel& model, int64_t now_us) {
  auto it = profile.series.find(model.rfm_series());
  if (it == profile.series.end() || it->second.count == 0) return std::nullopt;
  RfmRaw raw;
  raw.recency_days =
      static_cast<double>(std::max<int64_t>(0, now_us - it->second.last_us)) / static_cast<double>(kMicrosPerDay);
  raw.frequency = it->second.count;
  raw.monetary = it->second.sum;
  return raw;
}

RfmModel RfmModel::Fit(std::vector<RfmRaw> buyers, int64_t now_us) {
  RfmModel model;
  model.fitted_at_us = now_us;
  model.buyers = buyers.size();
  std::vector<double> recency, frequency, monetary;
  for (const RfmRaw& raw : buyers) {
    // Recency is better when smaller: score its negation so that 5 is the most recent.
    recency.push_back(-raw.recency_days);
    frequency.push_back(static_cast<double>(raw.frequency));
    monetary.push_back(raw.monetary);
  }
  model.recency_cuts = QuintileCuts(std::move(recency));
  model.frequency_cuts = QuintileCuts(std::move(frequency));
  model.monetary_cuts = QuintileCuts(std::move(monetary));
  return model;
}

int RfmModel::RecencyScore(double recency_days) const { return ScoreAgainst(recency_cuts, -recency_days); }
int RfmModel::FrequencyScore(uint64_t frequency) const {
  return ScoreAgainst(frequency_cuts, static_cast<double>(frequency));
}
int RfmModel::MonetaryScore(double monetary) const { return ScoreAgainst(monetary_cuts, monetary); }

absl::StatusOr<RfmModel> FitRfm(storage::Store* store, const ProfileModel& model, int64_t now_us) {
  std::vector<RfmRaw> buyers;
  auto it = store->NewIterator(storage::Family::kIdentity);
  std::string prefix(1, storage::kIdentityProfile);
  for (it->Seek(prefix); it->Valid() && !it->key().empty() && it->key()[0] == storage::kIdentityProfile; it->Next()) {
    Profile profile;
    absl::Status status = Profile::Decode(it->value(), &profile);
    if (!status.ok()) return status;
    auto raw = RfmOf(profile, model, now_us);
    if (raw) buyers.push_back(*raw);
  }
  if (!it->status().ok()) return it->status();
  return RfmModel::Fit(std::move(buyers), now_us);
}

void WriteProfileMembers(const Profile& profile, const ProfileModel& model, int64_t now_us, const RfmModel* rfm,
                         JsonWriter* writer) {
  const ProfileConfig& config = model.config();
  writer->Key("events").Uint(profile.events);
  writer->Key("first_seen").Raw(TimeJson(profile.events > 0 ? profile.first_seen_us : kMinTime));
  writer->Key("last_seen").Raw(TimeJson(profile.events > 0 ? profile.last_seen_us : kMinTime));
  writer->Key("event_counts").BeginObject();
  for (const auto& [name, count] : profile.event_counts) writer->Key(name).Uint(count);
  writer->EndObject();

  writer->Key("traits").BeginObject();
  for (const auto& [key, value] : profile.traits) {
    writer->Key(key).BeginObject();
    writer->Key("value").Raw(value.json);
    writer->Key("timestamp").String(FormatIso8601Micros(value.ts_us));
    writer->Key("source").String(value.source);
    writer->EndObject();
  }
  writer->EndObject();

  writer->Key("consent").BeginObject();
  for (const auto& [purpose, value] : profile.consent) {
    writer->Key(purpose).BeginObject();
    writer->Key("granted").Bool(value.granted);
    writer->Key("timestamp").String(FormatIso8601Micros(value.ts_us));
    writer->EndObject();
  }
  writer->EndObject();

  writer->Key("computed_traits").BeginObject();
  for (const auto& spec : config.computed_traits) writer->Key(spec.name).Raw(ComputedTraitJson(profile, spec, now_us));
  writer->EndObject();

  std::vector<InterestTag> tags = InterestsAt(profile, config, now_us);
  writer->Key("interests").BeginArray();
  for (size_t idx = 0; idx < tags.size() && idx < static_cast<size_t>(config.interests.top); ++idx) {
    writer->BeginObject();
    writer->Key("tag").String(tags[idx].tag);
    writer->Key("score").Double(std::round(tags[idx].score * 1000) / 1000);
    writer->Key("weight").Double(std::round(tags[idx].weight * 1000) / 1000);
    writer->EndObject();
  }
  writer->EndArray();

  // Sessions: totals over all time, and the latest few.
  uint64_t count = profile.retired_sessions;
  int64_t duration_us = profile.retired_session_us;
  uint64_t session_events = profile.retired_session_events;
  std::vector<std::pair<const std::string*, const Session*>> recent;
  for (const auto& [device, list] : profile.sessions) {
    for (const Session& session : list) {
      ++count;
      duration_us += session.end_us - session.start_us;
      session_events += session.events;
      recent.emplace_back(&device, &session);
    }
  }
  std::sort(recent.begin(), recent.end(), [](const auto& a, const auto& b) { return a.second->end_us > b.second->end_us; });
  writer->Key("sessions").BeginObject();
  writer->Key("count").Uint(count);
  writer->Key("devices").Uint(profile.sessions.size());
  writer->Key("average_seconds").Double(count > 0 ? std::round(static_cast<double>(duration_us) / count / 1e4) / 100 : 0);
  writer->Key("average_events").Double(count > 0 ? std::round(100.0 * session_events / count) / 100 : 0);
  writer->Key("recent").BeginArray();
  for (size_t idx = 0; idx < recent.size() && idx < 5; ++idx) {
    const auto& [device, session] = recent[idx];
    writer->BeginObject();
    writer->Key("device").String(*device);
    writer->Key("start").String(FormatIso8601Micros(session->start_us));
    writer->Key("end").String(FormatIso8601Micros(session->end_us));
    writer->Key("events").Uint(session->events);
    writer->EndObject();
  }
  writer->EndArray();
  writer->EndObject();

  writer->Key("rfm");
  auto raw = RfmOf(profile, model, now_us);
  if (!raw || rfm == nullptr || rfm->buyers == 0) {
    writer->Null();
  } else {
    int r = rfm->RecencyScore(raw->recency_days), f = rfm->FrequencyScore(raw->frequency),
        m = rfm->MonetaryScore(raw->monetary);
    writer->BeginObject();
    writer->Key("recency_days").Double(std::round(raw->recency_days * 100) / 100);
    writer->Key("frequency").Uint(raw->frequency);
    writer->Key("monetary").Double(raw->monetary);
    writer->Key("r").Int(r).Key("f").Int(f).Key("m").Int(m);
    writer->Key("segment").String(StrCat(r, f, m));
    writer->EndObject();
  }
}

}  // namespace aidmp::profile
