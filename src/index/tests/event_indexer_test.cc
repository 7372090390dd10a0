#include "index/event_indexer.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/key_coding.h"
#include "index/event_query.h"
#include "index/tests/log_fixture.h"

namespace aidmp::index {
namespace {

class EventIndexerTest : public ::testing::Test, public LogFixture {
 protected:
  void SetUp() override { OpenStoreAndLog(); }

  void Append(int count) {
    for (int event_idx = 0; event_idx < count; ++event_idx) {
      event::Event event;
      event.type = event::EventType::kTrack;
      event.event = "Viewed";
      event.user_id = "u" + std::to_string(event_idx % 5);
      event.timestamp_us = 1'000'000 + event_idx;
      AppendToLog(&event);
    }
  }

  std::unique_ptr<log::ProcessorRunner> NewRunner(EventIndexerOptions options, EventIndexer** indexer) {
    auto owned = std::make_unique<EventIndexer>(store_.get(), options);
    *indexer = owned.get();
    return std::make_unique<log::ProcessorRunner>(store_.get(), log_.get(), std::move(owned));
  }

  // The indexer's checkpoint as written, 0 if none.
  uint64_t Checkpoint() {
    std::string value;
    if (!store_->Get(storage::Family::kMeta, storage::CheckpointKey("event_index"), &value).ok()) return 0;
    return value.size() == 8 ? DecodeFixed64BE(value.data()) : 0;
  }

  // Events of user `user` found in the store alone (what a restart would see).
  size_t InStore(const std::string& user) {
    EventFilter filter;
    filter.user_id = user;
    filter.limit = kMaxEventPage;
    auto page = QueryEvents(store_.get(), filter);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->records.size() : 0;
  }

};

// Keys held in memory are not covered by the checkpoint: a new indexer over the same
// store (as after a crash) replays them from the log, and finds each event once.
TEST_F(EventIndexerTest, CheckpointCoversOnlyWhatIsInTheStore) {
  Append(20);
  EventIndexer* first = nullptr;
  auto crashed = NewRunner(FlushOnlyWhenTold(), &first);
  ASSERT_TRUE(crashed->CatchUpSome(1).ok());  // one step: all 20, held
  EXPECT_EQ(crashed->AppliedSeq(), 20u);
  EXPECT_EQ(first->DurableSeq(20), 0u);
  EXPECT_EQ(Checkpoint(), 0u);
  EXPECT_EQ(first->pending()->keys(), 40u);  // by user and by time
  EXPECT_EQ(InStore("u1"), 0u);
  ASSERT_TRUE(first->Flush(/*force=*/true).ok());
  EXPECT_EQ(first->DurableSeq(20), 20u);
  EXPECT_EQ(InStore("u1"), 4u);
  Append(30);
  ASSERT_TRUE(crashed->CatchUpSome(1).ok());  // the next step writes the checkpoint
  EXPECT_EQ(crashed->AppliedSeq(), 50u);
  uint64_t durable = Checkpoint();
  EXPECT_EQ(durable, 20u);

  EventIndexer* second = nullptr;
  auto restarted = NewRunner(FlushOnlyWhenTold(), &second);
  EXPECT_EQ(restarted->AppliedSeq(), durable);
  ASSERT_TRUE(restarted->CatchUp().ok());  // ends with a flush
  EXPECT_EQ(second->pending()->keys(), 0u);
  EXPECT_EQ(Checkpoint(), log_->LastSeq());
  EXPECT_EQ(InStore("u1"), 10u);
  crashed.reset();  // stops, writing the same keys again
  EXPECT_EQ(InStore("u1"), 10u);
  for (const char* user : {"u0", "u2", "u3", "u4"}) EXPECT_EQ(InStore(user), 10u) << user;
}

// Held keys come due by count and by age, with the runner in the background too.
TEST_F(EventIndexerTest, FlushesByCountAndByAge) {
  EventIndexerOptions by_count = FlushOnlyWhenTold();
  by_count.flush_keys = 60;
  EventIndexer* indexer = nullptr;
  auto runner = NewRunner(by_count, &indexer);
  Append(20);  // two keys an event: by user, by time
  ASSERT_TRUE(runner->CatchUpSome(20).ok());
  EXPECT_EQ(indexer->pending()->keys(), 40u);
  EXPECT_EQ(Checkpoint(), 0u);
  Append(20);
  ASSERT_TRUE(runner->CatchUpSome(20).ok());
  EXPECT_EQ(indexer->pending()->keys(), 0u);
  EXPECT_EQ(Checkpoint(), 40u);
  runner.reset();

  EventIndexerOptions by_age = FlushOnlyWhenTold();
  by_age.flush_age = std::chrono::milliseconds(0);
  runner = NewRunner(by_age, &indexer);
  runner->Start();
  Append(30);
  for (int wait = 0; wait < 500 && Checkpoint() != log_->LastSeq(); ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Checkpoint(), log_->LastSeq());
  EXPECT_EQ(InStore("u1"), 14u);
  runner->Stop();
  EXPECT_TRUE(runner->status().ok()) << runner->status();
}

}  // namespace
}  // namespace aidmp::index
