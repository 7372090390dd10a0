#include "index/event_query.h"

#include <gtest/gtest.h>

#include <random>

#include "index/tests/log_fixture.h"

namespace aidmp::index {
namespace {

// Where the indexed keys are when the test reads: all written to the store, all still in
// the indexer's memory, or some of each.
enum class Held { kInStore, kInMemory, kBoth };

class EventQueryTest : public ::testing::TestWithParam<Held>, public LogFixture {
 protected:
  void SetUp() override {
    OpenStoreAndLog();
    auto indexer = std::make_unique<EventIndexer>(store_.get(), FlushOnlyWhenTold());
    indexer_ = indexer.get();
    runner_ = std::make_unique<log::ProcessorRunner>(store_.get(), log_.get(), std::move(indexer));
  }

  // Appends events out of time order, as late events arrive, and indexes them in steps
  // of 7 (so that the indexer holds many runs), leaving them where GetParam() says.
  void AppendShuffled(int count) {
    std::mt19937 rng(4);
    for (int event_idx = 0; event_idx < count; ++event_idx) {
      Append(rng, event_idx);
      if (event_idx % 7 == 6 || event_idx == count - 1) ASSERT_TRUE(runner_->CatchUpSome(7).ok());
      if (GetParam() == Held::kBoth && event_idx == count / 2) ASSERT_TRUE(indexer_->Flush(/*force=*/true).ok());
    }
    if (GetParam() == Held::kInStore) ASSERT_TRUE(runner_->CatchUp().ok());
    if (GetParam() != Held::kInStore) EXPECT_GT(indexer_->pending()->keys(), 0u);
    if (GetParam() == Held::kInMemory) EXPECT_TRUE(QueryEvents(store_.get(), EventFilter())->records.empty());
  }

  void Append(std::mt19937& rng, int event_idx) {
    event::Event event;
    event.type = event_idx % 5 == 0 ? event::EventType::kPage : event::EventType::kTrack;
    event.user_id = "u" + std::to_string(event_idx % 3);
    event.anonymous_id = "a" + std::to_string(event_idx % 4);
    event.event = event.type == event::EventType::kTrack ? (event_idx % 2 ? "Odd" : "Even") : "";
    event.timestamp_us = static_cast<int64_t>(rng() % 1000000);
    AppendToLog(&event);
    expected_.push_back(event);
  }

  // All pages of `filter`, decoded.
  std::vector<event::Event> ReadAll(EventFilter filter, size_t page_size) {
    filter.limit = page_size;
    std::vector<event::Event> out;
    while (true) {
      auto page = QueryEvents(store_.get(), filter, indexer_->pending());
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(page->records.size(), page_size);
      for (const auto& record : page->records) {
        event::Event event;
        EXPECT_TRUE(event::DecodeStoredEvent(record, &event).ok());
        out.push_back(event);
      }
      if (page->next_cursor.empty()) break;
      filter.cursor = page->next_cursor;
    }
    return out;
  }

  EventIndexer* indexer_ = nullptr;  // owned by runner_
  std::unique_ptr<log::ProcessorRunner> runner_;
  std::vector<event::Event> expected_;
};

INSTANTIATE_TEST_SUITE_P(Held, EventQueryTest, ::testing::Values(Held::kInStore, Held::kInMemory, Held::kBoth));

// Paged query results agree with a brute-force filter over what was appended.
TEST_P(EventQueryTest, PagedResultsMatchBruteForce) {
  AppendShuffled(500);
  std::mt19937 rng(8);
  for (int trial_idx = 0; trial_idx < 40; ++trial_idx) {
    EventFilter filter;
    if (rng() % 2) filter.user_id = "u" + std::to_string(rng() % 3);
    if (rng() % 3 == 0) filter.anonymous_id = "a" + std::to_string(rng() % 4);
    if (rng() % 3 == 0) filter.event = rng() % 2 ? "Odd" : "Even";
    if (rng() % 4 == 0) filter.type = "page";
    if (rng() % 2) {
      filter.from_us = rng() % 500000;
      filter.to_us = filter.from_us + rng() % 600000;
    }
    std::vector<event::Event> want;
    for (const auto& event : expected_) {
      if (!filter.user_id.empty() && event.user_id != filter.user_id) continue;
      if (!filter.anonymous_id.empty() && event.anonymous_id != filter.anonymous_id) continue;
      if (!filter.event.empty() && event.event != filter.event) continue;
      if (!filter.type.empty() && event::EventTypeName(event.type) != filter.type) continue;
      if (event.timestamp_us < filter.from_us || event.timestamp_us >= filter.to_us) continue;
      want.push_back(event);
    }
    std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
      return std::tie(a.timestamp_us, a.seq) < std::tie(b.timestamp_us, b.seq);
    });
    auto got = ReadAll(filter, 1 + rng() % 40);
    ASSERT_EQ(got.size(), want.size()) << "trial " << trial_idx;
    for (size_t event_idx = 0; event_idx < got.size(); ++event_idx) {
      EXPECT_EQ(got[event_idx].seq, want[event_idx].seq);
    }
  }
}

TEST_P(EventQueryTest, ForeignCursorIsRejected) {
  AppendShuffled(10);
  EventFilter filter;
  filter.cursor = "zz";
  EXPECT_TRUE(absl::IsInvalidArgument(QueryEvents(store_.get(), filter, indexer_->pending()).status()));
  filter.cursor = "00";
  EXPECT_TRUE(absl::IsInvalidArgument(QueryEvents(store_.get(), filter, indexer_->pending()).status()));
}

}  // namespace
}  // namespace aidmp::index
