#include "clean/outlier_detector.h"

#include <algorithm>
#include <cmath>

namespace aidmp::clean {

void OutlierDetector::Refresh(Stats* stats) const {
  std::vector<double> values = stats->reservoir;
  auto middle = values.begin() + values.size() / 2;
  std::nth_element(values.begin(), middle, values.end());
  stats->median = *middle;
  for (double& value : values) value = std::fabs(value - stats->median);
  std::nth_element(values.begin(), middle, values.end());
  stats->mad = *middle;
  stats->ready = stats->seen >= static_cast<uint64_t>(options_.min_samples);
  stats->since_refresh = 0;
}

bool OutlierDetector::Observe(std::string_view event_name, std::string_view property, double value) {
  if (!std::isfinite(value)) return true;
  thread_local std::string key;  // kept: a lookup copies nothing
  key.assign(event_name).push_back('\0');
  key.append(property);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stats_.find(key);
  if (it == stats_.end()) {
    if (stats_.size() >= options_.max_keys) return false;
    it = stats_.try_emplace(key).first;
  }
  Stats& stats = it->second;
  bool outlier = false;
  if (stats.ready) {
    // A MAD of zero (most values equal) would flag every other value; scale by the
    // median's magnitude instead so that only large departures count.
    double scale = stats.mad > 0 ? 1.4826 * stats.mad : 0.05 * std::fabs(stats.median);
    if (scale > 0) outlier = std::fabs(value - stats.median) / scale > options_.threshold;
  }
  if (stats.reservoir.size() < static_cast<size_t>(options_.reservoir_size)) {
    stats.reservoir.push_back(value);
  } else {
    stats.reservoir[stats.next_slot] = value;
    stats.next_slot = (stats.next_slot + 1) % stats.reservoir.size();
  }
  ++stats.seen;
  if (++stats.since_refresh >= options_.refresh_every ||
      (!stats.ready && stats.seen == static_cast<uint64_t>(options_.min_samples))) {
    Refresh(&stats);
  }
  return outlier;
}

}  // namespace aidmp::clean
