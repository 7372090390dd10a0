#include "common/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace aidmp {
namespace {

TEST(WorkerPoolTest, RunsEveryIndexOnceFromManyCallers) {
  WorkerPool pool(3);
  ASSERT_EQ(pool.threads(), 3);
  // Several callers at once, each job's indices counted.
  std::vector<std::thread> callers;
  std::vector<std::vector<std::atomic<int>>> seen(4);
  for (auto& counts : seen) counts = std::vector<std::atomic<int>>(50);
  for (int caller = 0; caller < 4; ++caller) {
    callers.emplace_back([&, caller] {
      for (int round = 0; round < 20; ++round) {
        pool.Run(50, [&](int index) { seen[static_cast<size_t>(caller)][static_cast<size_t>(index)].fetch_add(1); });
      }
    });
  }
  for (auto& caller : callers) caller.join();
  for (const auto& counts : seen) {
    for (const auto& count : counts) EXPECT_EQ(count.load(), 20);
  }
  // Nothing to run, and one index: the caller alone.
  pool.Run(0, [](int) { FAIL(); });
  int ran = 0;
  pool.Run(1, [&](int) { ++ran; });
  EXPECT_EQ(ran, 1);
}

TEST(WorkerPoolTest, WithoutWorkersTheCallerRunsAll) {
  WorkerPool pool(0);
  int sum = 0;
  pool.Run(10, [&](int index) { sum += index; });
  EXPECT_EQ(sum, 45);
}

}  // namespace
}  // namespace aidmp
