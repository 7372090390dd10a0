#include "collect/ingest_pipeline.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <random>
#include <set>
#include <thread>

#include "collect/tests/engine_fixture.h"
#include "common/key_coding.h"
#include "event/event_codec.h"
#include "storage/store.h"
#include "testing/temp_dir.h"

namespace aidmp::collect {
namespace {

class IngestPipelineTest : public EngineTest {};

// Many writers racing on overlapping messageIds: every id is stored exactly once, and
// the counters add up. The shadow is the set of distinct ids.
TEST_F(IngestPipelineTest, DedupIsExactUnderConcurrency) {
  constexpr int kThreads = 8;
  constexpr int kSubmissionsPerThread = 60;
  std::atomic<uint64_t> stored{0}, duplicates{0};
  std::vector<std::thread> threads;
  std::vector<std::set<std::string>> sent(kThreads);
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
    threads.emplace_back([&, thread_idx] {
      std::mt19937 rng(thread_idx);
      for (int submission_idx = 0; submission_idx < kSubmissionsPerThread; ++submission_idx) {
        Submission submission;
        for (int event_idx = 0; event_idx < 20; ++event_idx) {
          std::string id = "m" + std::to_string(rng() % 2000);
          event::Event event;
          event.type = event::EventType::kTrack;
          event.user_id = "u";
          event.event = "E";
          event.message_id = id;
          event.timestamp_us = 1;
          sent[thread_idx].insert(id);
          CleanEvent clean_event;
          clean_event.dedup_key = clean::DedupIndex::Key("web", id);
          clean_event.record = event::EncodeStoredEvent(event);
          clean_event.received_at_us = SystemClock::Default()->NowMicros();
          submission.events.push_back(std::move(clean_event));
        }
        SubmitResult result = engine_->pipeline()->Submit(std::move(submission));
        ASSERT_TRUE(result.status.ok());
        stored += result.stored;
        duplicates += result.duplicates;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> distinct;
  for (const auto& ids : sent) distinct.insert(ids.begin(), ids.end());
  EXPECT_EQ(stored.load(), distinct.size());
  EXPECT_EQ(stored + duplicates, uint64_t{kThreads * kSubmissionsPerThread * 20});

  std::vector<log::LogEntry> entries;
  ASSERT_TRUE(engine_->event_log()->Read(0, 1000000, &entries).ok());
  std::set<std::string> in_log;
  for (const auto& entry : entries) {
    event::Event event;
    ASSERT_TRUE(event::DecodeStoredEvent(entry.record, &event).ok());
    EXPECT_EQ(event.seq, entry.seq);
    EXPECT_TRUE(in_log.insert(event.message_id).second) << "stored twice: " << event.message_id;
  }
  EXPECT_EQ(in_log, distinct);
  EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.events_stored, distinct.size());
  EXPECT_EQ(stats.duplicates, duplicates.load());
}

TEST_F(IngestPipelineTest, DedupSurvivesRestart) {
  auto send = [&](std::string_view id) {
    return engine_->collector()->Handle(
        "track", Basic("key"), StrCat(R"({"userId":"u","event":"E","messageId":")", id, "\"}"));
  };
  ASSERT_EQ(send("persist")->stored, 1u);
  Open(EngineOptions());
  auto again = send("persist");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored, 0u);
  EXPECT_EQ(again->duplicates, 1u);
}

// The index keeps recent ids in memory only; a process that dies before writing them
// out finds them again in the log. A second index over the same store stands for the
// restarted process: the first spilled nothing (a few ids, well under the count and age
// that trigger a spill).
TEST_F(IngestPipelineTest, DedupRecoversIdsKeptOnlyInMemory) {
  std::vector<std::string> keys;
  for (int id = 0; id < 50; ++id) {
    std::string message_id = StrCat("crash-", id);
    auto sent = engine_->collector()->Handle(
        "track", Basic("key"), StrCat(R"({"userId":"u","event":"E","messageId":")", message_id, "\"}"));
    ASSERT_TRUE(sent.ok());
    ASSERT_EQ(sent->stored, 1u);
    keys.push_back(clean::DedupIndex::Key("http:web", message_id));
  }
  clean::DedupIndex restarted(engine_->store(), 7 * kMicrosPerDay);
  EXPECT_EQ(restarted.DurableSeq(), 0u);
  int64_t now_us = SystemClock::Default()->NowMicros();
  std::vector<bool> duplicate;
  ASSERT_TRUE(restarted.FindDuplicates(keys, now_us, &duplicate).ok());
  EXPECT_EQ(std::count(duplicate.begin(), duplicate.end(), true), 0) << "the ids were in memory only";
  ASSERT_TRUE(RecoverDedup(engine_->event_log(), &restarted).ok());
  ASSERT_TRUE(restarted.FindDuplicates(keys, now_us, &duplicate).ok());
  EXPECT_EQ(std::count(duplicate.begin(), duplicate.end(), true), 50);
}

// A data directory from before the index kept ids in memory has all its ids in the
// store; the first open adopts its log instead of replaying all of it into memory.
TEST(DedupRecoveryTest, ADirectoryFromBeforeIsAdoptedNotReplayed) {
  testing::TempDir dir;
  auto store = storage::Store::Open(dir.path(), storage::StoreOptions());
  ASSERT_TRUE(store.ok());
  log::EventLog event_log(store->get());
  const int64_t now_us = SystemClock::Default()->NowMicros();
  storage::WriteBatch batch(store->get());
  std::vector<std::string> keys;
  uint64_t last_seq = 0;
  for (int id = 0; id < 20; ++id) {
    event::Event event;
    event.type = event::EventType::kTrack;
    event.user_id = "u";
    event.event = "E";
    event.message_id = StrCat("old-", id);
    event.source = "http:web";
    event.timestamp_us = event.received_at_us = now_us;
    last_seq = event_log.NextSeq();
    event_log.Stage(last_seq, event::WithSeq(event::EncodeStoredEvent(event), last_seq), &batch);
    // The dedup entry as the group commit wrote it with its event until session 13.
    keys.push_back(clean::DedupIndex::Key(event.source, event.message_id));
    std::string value;
    PutFixed64LE(&value, static_cast<uint64_t>(now_us));
    PutFixed64LE(&value, last_seq);
    batch.Put(storage::Family::kDedup, keys.back(), value);
  }
  ASSERT_TRUE((*store)->Write(&batch, true).ok());
  event_log.Publish(last_seq);

  {
    clean::DedupIndex index(store->get(), 7 * kMicrosPerDay);
    EXPECT_FALSE(index.KnowsDurableSeq());
    ASSERT_TRUE(RecoverDedup(&event_log, &index).ok());
    EXPECT_EQ(index.DurableSeq(), last_seq);
    EXPECT_EQ(index.IdsInMemory(), 0u) << "the log was replayed, not adopted";
    std::vector<bool> duplicate;
    ASSERT_TRUE(index.FindDuplicates(keys, now_us, &duplicate).ok());
    EXPECT_EQ(std::count(duplicate.begin(), duplicate.end(), true), 20);
  }
  clean::DedupIndex reopened(store->get(), 7 * kMicrosPerDay);
  EXPECT_TRUE(reopened.KnowsDurableSeq());
  EXPECT_EQ(reopened.DurableSeq(), last_seq);
}

TEST_F(IngestPipelineTest, WindowIsStatedAndHonoured) {
  FakeClock clock(100 * kMicrosPerDay);
  EngineOptions options;
  options.clock = &clock;
  options.dedup_window_us = kMicrosPerDay;
  Open(options);
  auto send = [&] {
    return engine_->collector()->Handle("track", Basic("key"), R"({"userId":"u","event":"E","messageId":"w"})");
  };
  EXPECT_EQ(send()->stored, 1u);
  clock.Advance(kMicrosPerDay - kMicrosPerHour);
  EXPECT_EQ(send()->duplicates, 1u);
  clock.Advance(2 * kMicrosPerHour);  // past the window since the first receipt
  EXPECT_EQ(send()->stored, 1u);
  engine_.reset();  // the engine must not outlive the fake clock
}

Submission OneEvent(std::string_view message_id) {
  event::Event event;
  event.type = event::EventType::kTrack;
  event.user_id = "u";
  event.event = "E";
  event.message_id = std::string(message_id);
  event.timestamp_us = 1;
  CleanEvent clean_event;
  clean_event.dedup_key = clean::DedupIndex::Key("web", message_id);
  clean_event.record = event::EncodeStoredEvent(event);
  clean_event.received_at_us = SystemClock::Default()->NowMicros();
  Submission submission;
  submission.events.push_back(std::move(clean_event));
  return submission;
}

// Past the lag bound the writer holds a submission back until the processors are
// within it again, and counts the wait.
TEST_F(IngestPipelineTest, LagBoundHoldsAcknowledgementsBack) {
  std::atomic<int64_t> lag_us{5 * kMicrosPerMinute};  // the default bound is 30 s
  engine_->pipeline()->SetProcessorLag([&] { return lag_us.load(); });
  const auto started = std::chrono::steady_clock::now();
  auto held = std::async(std::launch::async, [&] { return engine_->pipeline()->Submit(OneEvent("held")); });
  EXPECT_EQ(held.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  EXPECT_EQ(engine_->event_log()->LastSeq(), 0u);
  lag_us = 10 * kMicrosPerSecond;
  ASSERT_EQ(held.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  SubmitResult result = held.get();
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.stored, 1u);
  const int64_t elapsed_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  EXPECT_GT(engine_->pipeline()->backpressure_micros(), 0);
  EXPECT_LE(engine_->pipeline()->backpressure_micros(), elapsed_us);
}

// Stopping ends the wait: what was submitted is written, not dropped.
TEST_F(IngestPipelineTest, StopWritesWhatTheLagBoundHeldBack) {
  engine_->pipeline()->SetProcessorLag([] { return 5 * kMicrosPerMinute; });
  auto held = std::async(std::launch::async, [&] { return engine_->pipeline()->Submit(OneEvent("held")); });
  EXPECT_EQ(held.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  engine_->pipeline()->Stop();
  ASSERT_EQ(held.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  SubmitResult result = held.get();
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.stored, 1u);
  EXPECT_EQ(engine_->event_log()->LastSeq(), 1u);
}

// The engine wires its running background processors to the lag bound: with a bound
// of 1 us every group waits until the processors have applied everything before it.
TEST(EngineLagBoundTest, ProcessorsKeepUpWithinTheBound) {
  testing::TempDir dir;
  EngineOptions options;
  options.write_keys = {{"key", "web"}};
  options.ingest.max_processor_lag_us = 1;
  auto engine = Engine::Open(dir.path(), std::move(options));
  ASSERT_TRUE(engine.ok()) << engine.status();
  uint64_t previous_seq = 0;
  for (int submission_idx = 0; submission_idx < 30; ++submission_idx) {
    Submission submission;
    for (int event_idx = 0; event_idx < 20; ++event_idx) {
      Submission one = OneEvent(StrCat("m", submission_idx, "-", event_idx));
      submission.events.push_back(std::move(one.events[0]));
    }
    SubmitResult result = (*engine)->pipeline()->Submit(std::move(submission));
    ASSERT_TRUE(result.status.ok()) << result.status;
    ASSERT_EQ(result.stored, 20u);
    for (const auto& runner : (*engine)->processors()) {
      EXPECT_TRUE(runner->running());
      EXPECT_GE(runner->AppliedSeq(), previous_seq) << runner->name() << " at submission " << submission_idx;
    }
    previous_seq = result.last_seq;
  }
}

}  // namespace
}  // namespace aidmp::collect
