#include "log/event_log.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>

#include "log/processor_runner.h"
#include "testing/temp_dir.h"

namespace aidmp::log {
namespace {

std::unique_ptr<storage::Store> OpenStore(const std::string& path) {
  auto store = storage::Store::Open(path, storage::StoreOptions());
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(*store);
}

void Append(storage::Store* store, EventLog* log, int count) {
  storage::WriteBatch batch(store);
  uint64_t last = 0;
  for (int entry_idx = 0; entry_idx < count; ++entry_idx) {
    last = log->NextSeq();
    log->Stage(last, "record-" + std::to_string(last), &batch);
  }
  ASSERT_TRUE(store->Write(&batch, true).ok());
  log->Publish(last);
}

TEST(EventLogTest, AppendsReadsAndResumesAfterReopen) {
  testing::TempDir dir;
  {
    auto store = OpenStore(dir.path());
    EventLog log(store.get());
    EXPECT_EQ(log.LastSeq(), 0u);
    Append(store.get(), &log, 5);
    std::vector<LogEntry> entries;
    ASSERT_TRUE(log.Read(2, 10, &entries).ok());
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].seq, 3u);
    EXPECT_EQ(entries[2].record, "record-5");
  }
  auto store = OpenStore(dir.path());
  EventLog log(store.get());
  EXPECT_EQ(log.LastSeq(), 5u);
  EXPECT_EQ(log.NextSeq(), 6u);
}

TEST(EventLogTest, UnpublishedEntriesAreInvisibleAndRollbackReusesSeqs) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path());
  EventLog log(store.get());
  Append(store.get(), &log, 2);
  EXPECT_EQ(log.NextSeq(), 3u);  // staged, never written
  log.Rollback();
  EXPECT_EQ(log.NextSeq(), 3u);
}

TEST(EventLogTest, WaitForNewerWakesOnPublish) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path());
  EventLog log(store.get());
  std::thread writer([&] { Append(store.get(), &log, 1); });
  EXPECT_TRUE(log.WaitForNewer(0, 10000));
  writer.join();
  log.Shutdown();
  EXPECT_FALSE(log.WaitForNewer(5, 10000));
}

TEST(EventLogTest, WaitForNewerWaitsPastSmallPublishes) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path());
  EventLog log(store.get());
  // Publishes one entry at a time; waiters for 3 and 1 entries must each see theirs.
  std::thread writer([&] {
    for (int publish_idx = 0; publish_idx < 5; ++publish_idx) Append(store.get(), &log, 1);
  });
  std::thread early([&] { EXPECT_TRUE(log.WaitForNewer(0, 10000)); });
  EXPECT_TRUE(log.WaitForNewer(3, 10000));
  EXPECT_GT(log.LastSeq(), 3u);
  early.join();
  writer.join();
}

// Records every seq it sees; the runner must feed each entry exactly once, in order,
// across restarts.
class RecordingProcessor final : public Processor {
 public:
  explicit RecordingProcessor(std::vector<uint64_t>* seen) : seen_(seen) {}
  std::string_view Name() const override { return "recording"; }
  absl::Status Apply(const std::vector<LogEntry>& entries, storage::WriteBatch* batch) override {
    for (const auto& entry : entries) seen_->push_back(entry.seq);
    return absl::OkStatus();
  }

 private:
  std::vector<uint64_t>* seen_;
};

TEST(ProcessorRunnerTest, AppliesEachEntryOnceAcrossRestarts) {
  testing::TempDir dir;
  std::vector<uint64_t> seen;
  {
    auto store = OpenStore(dir.path());
    EventLog log(store.get());
    Append(store.get(), &log, 10);
    ProcessorRunner runner(store.get(), &log, std::make_unique<RecordingProcessor>(&seen));
    ASSERT_TRUE(runner.CatchUp().ok());
    EXPECT_EQ(runner.AppliedSeq(), 10u);
    EXPECT_EQ(runner.Lag(), 0u);
  }
  auto store = OpenStore(dir.path());
  EventLog log(store.get());
  Append(store.get(), &log, 3);
  ProcessorRunner runner(store.get(), &log, std::make_unique<RecordingProcessor>(&seen));
  EXPECT_EQ(runner.Lag(), 3u);
  runner.Start();
  for (int wait_idx = 0; wait_idx < 5000 && runner.Lag() > 0; ++wait_idx) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  runner.Stop();
  std::vector<uint64_t> expected;
  for (uint64_t seq = 1; seq <= 13; ++seq) expected.push_back(seq);
  EXPECT_EQ(seen, expected);
}

// Records the nice value of the thread that applies entries.
class NiceProcessor final : public Processor {
 public:
  std::string_view Name() const override { return "nice"; }
  absl::Status Apply(const std::vector<LogEntry>&, storage::WriteBatch*) override {
    errno = 0;
    int value = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    nice = errno == 0 ? value : -100;
    return absl::OkStatus();
  }
  std::atomic<int> nice{-100};
};

TEST(ProcessorRunnerTest, RunsAtTheLowerPriorityItIsGiven) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path());
  EventLog log(store.get());
  Append(store.get(), &log, 3);
  auto processor = std::make_unique<NiceProcessor>();
  NiceProcessor* seen = processor.get();
  ProcessorRunner runner(store.get(), &log, std::move(processor));
  EXPECT_FALSE(runner.running());
  errno = 0;
  const int base = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  ASSERT_EQ(errno, 0);
  runner.Start(7);
  EXPECT_TRUE(runner.running());
  for (int wait_idx = 0; wait_idx < 5000 && runner.Lag() > 0; ++wait_idx) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  runner.Stop();
  EXPECT_FALSE(runner.running());
  EXPECT_EQ(seen->nice.load(), std::min(19, base + 7));
  // The caller's own priority is untouched.
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), base);
}

}  // namespace
}  // namespace aidmp::log
