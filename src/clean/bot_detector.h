// Bot detection: user-agent rules and a per-id event rate.
//
// Flags, never drops: a bot's events are stored with the `bot` flag so analyses can
// exclude them and so a wrong rule loses nothing. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace aidmp::clean {

struct BotDetectorOptions {
  // Case-insensitive substrings of context.userAgent that mark a bot.
  std::vector<std::string> user_agent_patterns = {
      "bot", "crawler", "spider", "slurp", "headlesschrome", "phantomjs", "python-requests",
      "python-urllib", "curl/", "wget/", "scrapy", "go-http-client", "java/", "libwww-perl",
      "httpclient", "lighthouse"};
  // More events than this from one id within one minute of event time marks the id's
  // events as bot traffic. 0 disables the rate rule.
  int max_events_per_minute = 300;
  // Ids tracked at once; beyond this the oldest minute's counts are forgotten.
  size_t max_tracked_ids = 1 << 20;
};

class BotDetector {
 public:
  explicit BotDetector(BotDetectorOptions options);

  // True if `user_agent` matches a bot pattern. Each thread remembers its last few
  // verdicts, since clients send the same few user agents again and again.
  bool IsBotUserAgent(std::string_view user_agent) const;
  // Counts one event of `id` at `ts_us`; true if the id is over the rate limit.
  bool CountAndCheckRate(std::string_view id, int64_t ts_us);

 private:
  struct Counter {
    int64_t minute = 0;
    int count = 0;
  };
  struct Shard {
    std::mutex mu;
    // By the id's 64-bit hash, not the id: no copy of the id, no second memory access to
    // compare it. Two ids among a million share a hash with odds of about 1 in 10^7.
    absl::flat_hash_map<uint64_t, Counter> counters;
  };
  static constexpr size_t kShards = 16;

  BotDetectorOptions options_;
  // Tells this detector's remembered verdicts from those of another, even one built
  // later at the same address with other patterns.
  uint64_t serial_;
  std::array<Shard, kShards> shards_;
};

}  // namespace aidmp::clean
