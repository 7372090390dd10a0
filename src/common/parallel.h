// ParallelFor: a fixed split of [0, n) over std::threads, no pool, for batch jobs
// (training, ranking) that run a loop body on every index. WorkerPool: threads kept
// for short jobs (a segment count of a few ms), where starting threads each time would
// cost about what they save: a new thread's first allocations fault fresh pages in.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace aidmp {

// Lowers the calling thread's CPU priority by `nice` (its nice value rises by that much,
// at most to 19). On Linux a thread's nice value is its own, and lowering it needs no
// privilege. Errors name the system's reason; `nice` <= 0 does nothing.
absl::Status LowerThreadPriority(int nice);

// Names the calling thread, as top -H, ps -L, perf and gdb show it (Linux keeps 15
// bytes: a longer name is cut, not refused). Best effort: a failure changes nothing.
void NameThisThread(std::string_view name);

// Runs fn(index) for every index in [0, n), interleaved over `threads` threads (the
// calling thread is one of them). fn must be safe to run concurrently for distinct indices.
template <typename Fn>
void ParallelFor(int64_t n, int threads, Fn&& fn) {
  threads = static_cast<int>(std::clamp<int64_t>(threads, 1, std::max<int64_t>(1, n)));
  auto work = [&](int thread_idx) {
    for (int64_t index = thread_idx; index < n; index += threads) fn(index);
  };
  std::vector<std::thread> workers;
  for (int thread_idx = 1; thread_idx < threads; ++thread_idx) workers.emplace_back(work, thread_idx);
  work(0);
  for (auto& worker : workers) worker.join();
}

class WorkerPool {
 public:
  // `threads` workers besides the callers.
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // One pool for the process: a worker per core beyond the first, started on first use.
  static WorkerPool& Shared();
  int threads() const { return static_cast<int>(workers_.size()); }

  // Runs fn(index) for every index in [0, n), the calling thread taking part, and
  // returns when all have run. Safe to call from several threads at once; fn must be
  // safe to run concurrently for distinct indices.
  void Run(int n, const std::function<void(int)>& fn);

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace aidmp
