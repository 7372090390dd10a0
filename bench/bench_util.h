// Plumbing shared by the ingestion benchmarks: scratch directories that are removed
// even when the run is interrupted, child processes, free ports, latency percentiles,
// the machine's description and the result table.
//
// Thread-safety: CleanupRegistry is thread-safe; the other types belong to one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace aidmp::bench {

// Work to undo if the run is interrupted (SIGINT, SIGTERM, SIGHUP): stop the throwaway
// PostgreSQL cluster, delete scratch data. Owners add on setup and remove once they
// have cleaned up themselves.
class CleanupRegistry {
 public:
  int Add(std::function<void()> cleanup);
  void Remove(int handle);
  // Runs every registered cleanup, newest first, and forgets them.
  void RunAll();

  // Blocks the termination signals in the calling thread (call before starting any
  // thread, so all inherit the mask) and starts a thread that waits for one, runs
  // RunAll and exits the process with 128 + signal.
  void InstallSignalHandler();

 private:
  std::mutex mu_;
  int next_handle_ = 1;
  std::map<int, std::function<void()>> cleanups_;  // guarded by mu_
};

// A fresh directory `parent`/`prefix`XXXXXX, removed (with its contents) when destroyed
// or when the run is interrupted.
class ScratchDir {
 public:
  static absl::StatusOr<std::unique_ptr<ScratchDir>> Create(const std::string& parent, const std::string& prefix,
                                                            CleanupRegistry* cleanups);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  ScratchDir(std::string path, CleanupRegistry* cleanups);
  std::string path_;
  CleanupRegistry* cleanups_;
  int cleanup_handle_ = 0;
};

// Runs `argv` (argv[0] looked up in PATH) with stdout and stderr appended to `log_path`
// and waits. OK if it exits with 0; otherwise Internal naming the command and the
// exit code.
absl::Status RunCommand(const std::vector<std::string>& argv, const std::string& log_path);

// A TCP port on 127.0.0.1 that was free a moment ago.
absl::StatusOr<int> FreeLoopbackPort();

// The last `max_bytes` of a file, for error messages that point at a log.
std::string TailOfFile(const std::string& path, size_t max_bytes);

// Latency samples in microseconds.
class LatencyHistogram {
 public:
  void Add(double micros) { samples_.push_back(micros); }
  void Merge(const LatencyHistogram& other);
  size_t count() const { return samples_.size(); }
  // The q-quantile (0 <= q <= 1) by nearest rank; 0 if empty. Sorts on first use.
  double Quantile(double q);

 private:
  std::vector<double> samples_;
  bool sorted_ = false;
};

using SteadyClock = std::chrono::steady_clock;
// User + system CPU seconds of this process so far (all threads).
double ProcessCpuSeconds();
// User + system CPU seconds of process `pid`, its reaped children and its live direct
// children (a PostgreSQL postmaster and its backends); 0 if `pid` is gone.
double ProcessTreeCpuSeconds(int pid);

inline double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// What a closed-loop run achieved: `concurrency` workers sending back to back.
struct ThroughputResult {
  int concurrency = 0;
  uint64_t events = 0;  // acknowledged (stored durably) events
  double seconds = 0;
  uint64_t failed_requests = 0;
  std::string first_error;
  // CPU time of this whole process (server, load generator, background threads) over
  // the run; on a shared machine a steadier figure than wall-clock rates.
  double process_cpu_seconds = 0;
  // CPU time of a server in other processes (PostgreSQL), if measured.
  double external_cpu_seconds = 0;
  double events_per_second() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
  double cpu_micros_per_event() const {
    return events > 0 ? (process_cpu_seconds + external_cpu_seconds) * 1e6 / static_cast<double>(events) : 0;
  }
};

// One worker's send step: sends one request and returns how many events it had
// acknowledged, or why it failed.
using SendStep = std::function<absl::StatusOr<size_t>()>;

// Runs `concurrency` threads. Each calls `make_sender(worker_idx)` (on its own thread)
// and sends once untimed to connect and warm up, one worker at a time; then all call
// their step back to back for `seconds`. A worker stops early after 100 failures.
// `external_cpu_seconds`, if given, reads the CPU used so far by a server outside this
// process; it is read just before and just after the timed part.
ThroughputResult RunClosedLoop(int concurrency, double seconds,
                               const std::function<SendStep(int worker_idx)>& make_sender,
                               const std::function<double()>& external_cpu_seconds = nullptr);

// nproc, memory, kernel, CPU model, disk of `dir`, load averages.
std::string DescribeMachine(const std::string& dir);

// Deterministic hashing for generated data: splitmix64's finaliser, and a pair of keys.
inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
inline uint64_t Mix(uint64_t a, uint64_t b) { return Mix(a * 0x100000001b3ULL ^ Mix(b)); }

// Resident and peak resident memory of this process, from /proc/self/status (bytes).
struct Memory {
  uint64_t rss = 0;
  uint64_t peak = 0;
};
Memory ReadMemory();
// "1.23 0.98 0.70, cpu pressure 4.20%" from /proc/loadavg and /proc/pressure/cpu.
std::string LoadAverages();

// The printed result table.
struct ResultRow {
  std::string name;
  std::string concurrency;  // "" if not applicable
  std::string value;        // "123,456 ev/s", "3.21 ms"
  std::string cpu;          // CPU microseconds per event (or request), or ""
  std::string versus;       // ratios against baselines
  std::string target;       // the target, or ""
  std::string met;          // "yes", "NO", or ""
};

void PrintTable(const std::vector<ResultRow>& rows);

// 1234567.8 -> "1,234,568".
std::string Thousands(double value);
// "12,345 ev/s"
std::string EventsPerSecond(double value);
// "%.*f".
std::string Fixed(double value, int decimals);

}  // namespace aidmp::bench
