#include "common/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
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

std::string OwnThreadName() {
  std::ifstream file("/proc/thread-self/comm");
  std::string name;
  std::getline(file, name);
  return name;
}

TEST(NameThisThreadTest, NamesTheCallingThreadOnlyAndCutsLongNames) {
  if (!std::ifstream("/proc/thread-self/comm")) GTEST_SKIP() << "no /proc/thread-self here";
  std::string caller = OwnThreadName();
  std::string named, cut;
  std::thread([&] {
    NameThisThread("aidmp-test");
    named = OwnThreadName();
    // Linux keeps 15 bytes of a name; a longer one is cut there, not refused.
    NameThisThread("a-name-of-twenty-bytes");
    cut = OwnThreadName();
  }).join();
  EXPECT_EQ(named, "aidmp-test");
  EXPECT_EQ(cut, "a-name-of-twent");
  EXPECT_EQ(OwnThreadName(), caller);
}

TEST(NameThisThreadTest, PoolWorkersAreNamed) {
  if (!std::filesystem::exists("/proc/self/task")) GTEST_SKIP() << "no /proc here";
  auto count_named = [] {
    int count = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream file(task.path() / "comm");
      std::string name;
      std::getline(file, name);
      count += name == "aidmp-pool";
    }
    return count;
  };
  const int before = count_named();
  WorkerPool pool(2);
  // Workers name themselves as they start.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (count_named() < before + 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(count_named(), before + 2);
}

}  // namespace
}  // namespace aidmp
