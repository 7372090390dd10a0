// ParallelFor: a fixed split of [0, n) over std::threads, no pool, for batch jobs
// (training, ranking) that run a loop body on every index.
#pragma once

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

namespace aidmp {

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

}  // namespace aidmp
