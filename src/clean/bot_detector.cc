#include "clean/bot_detector.h"

#include <algorithm>
#include <atomic>

#include "common/clock.h"
#include "common/hash.h"

namespace aidmp::clean {

namespace {

std::atomic<uint64_t> next_serial{1};

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

BotDetector::BotDetector(BotDetectorOptions options) : options_(std::move(options)), serial_(next_serial++) {
  for (auto& pattern : options_.user_agent_patterns) {
    for (char& c : pattern) c = AsciiLower(c);
  }
}

bool BotDetector::IsBotUserAgent(std::string_view user_agent) const {
  if (user_agent.empty()) return false;
  struct Verdict {
    uint64_t detector = 0;
    std::string user_agent;
    bool bot = false;
  };
  thread_local std::array<Verdict, 8> recent;
  Verdict& verdict = recent[Hash64(user_agent) % recent.size()];
  if (verdict.detector == serial_ && verdict.user_agent == user_agent) return verdict.bot;
  thread_local std::string lower;
  lower.assign(user_agent);
  for (char& c : lower) c = AsciiLower(c);
  verdict.detector = serial_;
  verdict.user_agent.assign(user_agent);
  verdict.bot = std::any_of(options_.user_agent_patterns.begin(), options_.user_agent_patterns.end(),
                            [&](const std::string& pattern) { return lower.find(pattern) != std::string::npos; });
  return verdict.bot;
}

bool BotDetector::CountAndCheckRate(std::string_view id, int64_t ts_us) {
  if (options_.max_events_per_minute <= 0 || id.empty()) return false;
  int64_t minute = ts_us / kMicrosPerMinute;
  const uint64_t id_hash = Hash64(id);
  Shard& shard = shards_[(id_hash >> 56) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.counters.size() >= options_.max_tracked_ids / kShards) {
    // Bounded memory: forget everything but the current minute's heavy hitters.
    absl::erase_if(shard.counters, [&](const auto& entry) {
      return entry.second.minute != minute || entry.second.count < options_.max_events_per_minute / 4;
    });
  }
  Counter& counter = shard.counters[id_hash];
  if (counter.minute != minute) {
    counter.minute = minute;
    counter.count = 0;
  }
  ++counter.count;
  return counter.count > options_.max_events_per_minute;
}

}  // namespace aidmp::clean
