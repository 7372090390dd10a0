// The disk's own sync latency, measured beside a load: a thread appends a small record
// to a file and fdatasyncs it at a fixed interval, as a write-ahead log does, and keeps
// every sync's latency. It is the baseline aidmp's /v1/track latency is read against:
// an acknowledgement waits for at least one such sync, so a tail the probe sees under
// the same load is the disk's and the kernel's, not the collector's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>

namespace aidmp::bench {

struct SyncProbeResult {
  size_t syncs = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  std::string error;  // why the probe stopped early (it then reports what it measured)
};

class SyncProbe {
 public:
  // Writes to `path` (created, truncated; removed by Stop).
  SyncProbe(std::string path, std::chrono::microseconds interval, size_t record_bytes = 1024);
  ~SyncProbe();
  SyncProbe(const SyncProbe&) = delete;
  SyncProbe& operator=(const SyncProbe&) = delete;

  void Start();
  // Stops the thread and summarises the syncs since Start.
  SyncProbeResult Stop();

 private:
  void Run();

  std::string path_;
  std::chrono::microseconds interval_;
  size_t record_bytes_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  SyncProbeResult result_;  // written by the thread, read after join
};

}  // namespace aidmp::bench
