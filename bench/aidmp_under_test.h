// aidmp as the benchmarks run it: an Engine over a fresh data directory with the
// default (durable) options and the HTTP server on a free loopback port, in this
// process.
//
// Thread-safety: as Engine and HttpServer; create and destroy from one thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "collect/engine.h"
#include "serve/http_server.h"

namespace aidmp::bench {

inline constexpr char kWriteKey[] = "bench-key";

// How the background processors share the CPU with the collector; the defaults are
// the engine's (collect::EngineOptions::processor_nice, IngestOptions's lag bound).
struct ProcessorPolicy {
  int nice = collect::EngineOptions{}.processor_nice;
  int64_t max_lag_us = collect::IngestOptions{}.max_processor_lag_us;
};

// The benchmarks' flags for it, as their usage text shows them.
inline constexpr char kProcessorPolicyUsage[] =
    "  --processor-nice=19     how much lower the processors' CPU priority is (0-19; aidmp serve's default)\n"
    "  --max-processor-lag=30  lag bound in seconds (0: none; aidmp serve's default)\n";
// Reads `--processor-nice` or `--max-processor-lag` (`name`, `value`) into `policy`:
// nullopt if `name` is neither, else whether `value` was valid.
std::optional<bool> ParseProcessorPolicyFlag(std::string_view name, std::string_view value, ProcessorPolicy* policy);

class AidmpUnderTest {
 public:
  // Opens the engine at `data_dir` (write key kWriteKey, everything else default:
  // sync=true, processors in the background unless `processors` is false, the given
  // profile cache and processor policy) and starts serving on 127.0.0.1, with admin
  // routes if `admin_key` is set.
  static absl::StatusOr<std::unique_ptr<AidmpUnderTest>> Start(
      const std::string& data_dir, bool processors = true, const std::string& admin_key = "",
      size_t profile_cache_bytes = profile::PersonProcessor::kDefaultProfileCacheBytes,
      ProcessorPolicy policy = {});
  ~AidmpUnderTest();

  collect::Engine* engine() { return engine_.get(); }
  int port() const { return server_->port(); }
  // "Basic base64(bench-key:)", as Segment's libraries send the write key.
  static std::string AuthorizationHeader();
  // Entries each processor (by name) has not applied yet.
  std::map<std::string, uint64_t> ProcessorLags() const;

 private:
  AidmpUnderTest() = default;
  std::unique_ptr<collect::Engine> engine_;
  std::unique_ptr<serve::HttpServer> server_;
};

}  // namespace aidmp::bench
