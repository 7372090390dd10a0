#include "clean/bot_detector.h"

#include <algorithm>
#include <cctype>

#include "common/clock.h"
#include "common/hash.h"

namespace aidmp::clean {

BotDetector::BotDetector(BotDetectorOptions options) : options_(std::move(options)) {
  for (auto& pattern : options_.user_agent_patterns) {
    std::transform(pattern.begin(), pattern.end(), pattern.begin(),
                   [](unsigned char c) { return std::tolower(c); });
  }
}

bool BotDetector::IsBotUserAgent(std::string_view user_agent) const {
  if (user_agent.empty()) return false;
  std::string lower(user_agent);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const auto& pattern : options_.user_agent_patterns) {
    if (lower.find(pattern) != std::string::npos) return true;
  }
  return false;
}

bool BotDetector::CountAndCheckRate(std::string_view id, int64_t ts_us) {
  if (options_.max_events_per_minute <= 0 || id.empty()) return false;
  int64_t minute = ts_us / kMicrosPerMinute;
  Shard& shard = shards_[Hash64(id) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.counters.size() >= options_.max_tracked_ids / kShards) {
    // Bounded memory: forget everything but the current minute's heavy hitters.
    std::erase_if(shard.counters, [&](const auto& entry) {
      return entry.second.minute != minute || entry.second.count < options_.max_events_per_minute / 4;
    });
  }
  Counter& counter = shard.counters[std::string(id)];
  if (counter.minute != minute) {
    counter.minute = minute;
    counter.count = 0;
  }
  ++counter.count;
  return counter.count > options_.max_events_per_minute;
}

}  // namespace aidmp::clean
