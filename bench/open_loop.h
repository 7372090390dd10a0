// Latency at a fixed offered rate, open loop (as wrk2 does): every connection sends on a
// fixed timetable, and each latency is measured from the time the request was
// scheduled, not from when it was sent, so a stall is charged to every request it
// delays (no coordinated omission). The request itself is the caller's.
#pragma once

#include <httplib.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace aidmp::bench {

struct OpenLoopOptions {
  double requests_per_second = 5000;
  int connections = 16;
  double seconds = 10;        // measured, after the warm-up
  double warm_up_seconds = 1; // sent on the same timetable, not measured
};

struct OpenLoopResult {
  OpenLoopOptions options;
  uint64_t requests = 0;  // measured requests
  double achieved_per_second = 0;
  uint64_t failed_requests = 0;
  std::string first_error;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
  // CPU of this whole process (server, clients, processors) per request, over the run.
  double cpu_micros_per_request = 0;
  // The slowest request scheduled in each second of the measured run, in ms: tells a
  // stall (one bad second) from a server running at its limit (all seconds bad).
  std::vector<double> max_ms_by_second;
};

// Sends one request on `client` (connection `worker`, its `n`-th request); returns ""
// on success, else what went wrong. Called from that connection's thread only.
using OpenLoopSend = std::function<std::string(httplib::Client& client, int worker, uint64_t n)>;

// Runs against the server on 127.0.0.1:`port`.
OpenLoopResult RunOpenLoop(int port, const OpenLoopOptions& options, const OpenLoopSend& send);

}  // namespace aidmp::bench
