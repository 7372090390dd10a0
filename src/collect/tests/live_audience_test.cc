// The engine's audience index follows the data: counts on the bitmaps equal the
// reference evaluator after events stream in (with merges), after an erasure and after
// an unmerge.
#include <gtest/gtest.h>

#include <map>

#include "audience/evaluate.h"
#include "audience/export.h"
#include "audience/segments.h"
#include "collect/tests/engine_fixture.h"
#include "common/clock.h"
#include "profile/person_document.h"
#include "sim/shop_simulator.h"

namespace aidmp::collect {
namespace {

class LiveAudienceTest : public EngineTest {
 protected:
  void Send(const std::vector<sim::SimMessage>& messages) {
    for (size_t start = 0; start < messages.size(); start += 300) {  // batches under 500 KB
      std::string body = "{\"batch\":[";
      for (size_t i = start; i < messages.size() && i < start + 300; ++i) body += (i > start ? "," : "") + messages[i].json;
      body += "]}";
      auto result = engine_->collector()->Handle("batch", Basic("key"), body);
      ASSERT_TRUE(result.ok()) << result.status();
      ASSERT_TRUE(engine_->CatchUpProcessors().ok());
    }
  }

  void ExpectSameAsReference(const std::string& when) {
    static const char* kExpressions[] = {
        R"(traits.country = "US")",
        R"(traits.country in ["DE", "FR"] and did("Order Completed"))",
        R"(interest("books") >= 0.5 or interest("sci-fi") > 0.8)",
        R"(computed.orders_total >= 1 and not traits.email exists)",
        R"(did("Product Viewed", count >= 5) and did("Order Completed", within: 3d, count >= 1))",
        R"(did("Product Viewed", where: category = "books", count >= 2))",
        R"(did("page", within: 36h, count < 2) and computed.pages_7d >= 1)",
        R"(computed.favourite_category = "electronics" or traits.country != "US")",
    };
    for (const char* text : kExpressions) {
      auto expression = audience::ParseExpression(text);
      ASSERT_TRUE(expression.ok()) << expression.status();
      auto reference = audience::CountMatching(engine_->store(), *expression, engine_->profile_model(), now_);
      ASSERT_TRUE(reference.ok()) << reference.status();
      auto live = engine_->audience()->Evaluate(*expression, nullptr, now_, false);
      ASSERT_TRUE(live.ok()) << live.status();
      EXPECT_EQ(live->count, reference->matching) << when << ": " << text;
      EXPECT_EQ(live->persons, reference->persons) << when << ": " << text;
    }
  }

  // Saves `segments` (name, expression) and evaluates each once.
  void SaveSegments(const std::vector<std::pair<std::string, std::string>>& segments) {
    audience::SegmentCatalog catalog(engine_->store());
    for (const auto& [name, text] : segments) {
      ASSERT_TRUE(catalog.Save(name, text, engine_->profile_model(), now_).ok()) << name;
      ASSERT_TRUE(engine_->memberships()->Refresh(name, now_).ok()) << name;
    }
  }

  // Streams a simulated shop ending now, 1,500 messages a round, at most `rounds` rounds.
  void StreamShop(int shoppers, int days, int rounds) {
    sim::ShopOptions options;
    options.shoppers = shoppers;
    options.days = days;
    options.end_time_us = now_;
    sim::ShopSimulator shop(options);
    std::vector<sim::SimMessage> messages;
    for (int round = 0; round < rounds && shop.Next(1500, &messages); ++round) {
      Send(messages);
      messages.clear();
    }
  }

  int64_t now_ = SystemClock().NowMicros();
};

TEST_F(LiveAudienceTest, FollowsStreamingMergesErasureAndUnmerge) {
  sim::ShopOptions options;
  options.shoppers = 300;
  options.days = 10;
  options.end_time_us = now_;
  sim::ShopSimulator shop(options);
  std::vector<sim::SimMessage> messages;
  ASSERT_TRUE(shop.Next(2000, &messages));
  Send(messages);
  ExpectSameAsReference("first build");  // builds the index from the store
  // Everything after this streams into the built index through the person processor.
  for (int round = 0; round < 20; ++round) {
    messages.clear();
    if (!shop.Next(1000, &messages)) break;
    Send(messages);
  }
  ExpectSameAsReference("streamed");

  // Erase a buyer; they leave the index at once.
  auto buyers = audience::ParseExpression(R"(did("Order Completed"))");
  ASSERT_TRUE(buyers.ok());
  std::vector<uint64_t> members;
  auto before = engine_->audience()->Evaluate(*buyers, nullptr, now_, false, &members);
  ASSERT_TRUE(before.ok());
  ASSERT_FALSE(members.empty());
  ASSERT_TRUE(engine_->ErasePerson(members.front()).ok());
  auto after = engine_->audience()->Evaluate(*buyers, nullptr, now_, false);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->count + 1, before->count);
  ExpectSameAsReference("after erasure");

  // Join two people (a guest who signs in), then undo it.
  Send({sim::SimMessage{"track", R"({"type":"track","userId":"amy","event":"Order Completed","properties":{"category":"books"}})", false, false},
        sim::SimMessage{"page", R"({"type":"page","anonymousId":"guest-1","properties":{"category":"sci-fi"}})", false, false}});
  Send({sim::SimMessage{"track", R"({"type":"track","anonymousId":"guest-1","userId":"amy","event":"Signed In"})", false, false}});
  ExpectSameAsReference("after a merge");
  auto amy = profile::FindPerson(engine_->store(), {identity::IdType::kUserId, "amy"});
  ASSERT_TRUE(amy.ok());
  int unmerged = 0;
  for (uint64_t merge_id : amy->merges) {
    auto merge = identity::IdentityGraph::ReadMerge(engine_->store(), merge_id);
    ASSERT_TRUE(merge.ok());
    if (merge->blocked) continue;
    ASSERT_TRUE(engine_->Unmerge(merge_id).ok());
    ++unmerged;
  }
  EXPECT_EQ(unmerged, 1);
  ExpectSameAsReference("after unmerge");
}

// Saved segments' memberships follow the stream: after every batch they equal a full
// re-evaluation, entries and exits are recorded, and an erased person leaves every
// membership, change record and export.
TEST_F(LiveAudienceTest, MembershipsAfterStreamingEqualReevaluation) {
  audience::SegmentCatalog catalog(engine_->store());
  const std::vector<std::pair<std::string, std::string>> segments = {
      {"buyers", R"(did("Order Completed"))"},
      {"recent_buyers", R"(did("Order Completed", within: 2d))"},
      {"books", R"(interest("books") >= 0.4)"},
      {"book_buyers", R"(in_segment("buyers") and in_segment("books"))"},
      {"us_lookers", R"(traits.country = "US" and did("Product Viewed", count >= 3) and not in_segment("buyers"))"},
  };
  SaveSegments(segments);
  StreamShop(300, 6, 12);
  // Streaming saw people enter (and some leave: buyers leave "us_lookers").
  auto changes = engine_->memberships()->Changes("buyers", 0, 1000000);
  ASSERT_TRUE(changes.ok());
  auto buyers_size = engine_->memberships()->Size("buyers");
  ASSERT_TRUE(buyers_size.ok());
  EXPECT_GT(*buyers_size, 10u);
  EXPECT_EQ(changes->size(), *buyers_size);  // everyone entered once, nobody left
  auto looker_changes = engine_->memberships()->Changes("us_lookers", 0, 1000000);
  ASSERT_TRUE(looker_changes.ok());
  // A full re-evaluation finds nothing to change, and agrees with the reference.
  auto refreshed = engine_->memberships()->Refresh("", now_);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  ASSERT_EQ(refreshed->size(), segments.size());
  auto definitions = catalog.Definitions();
  ASSERT_TRUE(definitions.ok());
  for (const auto& report : *refreshed) {
    EXPECT_EQ(report.entered, 0u) << report.segment;
    EXPECT_EQ(report.exited, 0u) << report.segment;
    auto reference = audience::CountMatching(engine_->store(), definitions->at(report.segment), engine_->profile_model(),
                                             now_, &*definitions);
    ASSERT_TRUE(reference.ok());
    EXPECT_EQ(report.size, reference->matching) << report.segment;
  }
  auto sizes = engine_->memberships()->Sizes("buyers", now_ - kMicrosPerDay, now_ + kMicrosPerDay);
  ASSERT_TRUE(sizes.ok());
  ASSERT_FALSE(sizes->empty());
  EXPECT_EQ(sizes->back().size, *buyers_size);

  // Erase a buyer: gone from members, change logs and exports.
  auto members = engine_->memberships()->Members("buyers", 0, 1);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  uint64_t erased = members->front();
  ASSERT_TRUE(engine_->ErasePerson(erased).ok());
  for (const auto& [name, text] : segments) {
    auto member = engine_->memberships()->IsMember(name, erased);
    ASSERT_TRUE(member.ok());
    EXPECT_FALSE(*member) << name;
    auto log = engine_->memberships()->Changes(name, 0, 1000000);
    ASSERT_TRUE(log.ok());
    for (const auto& change : *log) EXPECT_NE(change.person, erased) << name;
  }
  audience::ExportOptions export_options;
  export_options.purpose.clear();
  export_options.limit = 10000;
  auto page = audience::ExportMembers(engine_->store(), engine_->memberships(), "buyers", export_options);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->rows.size() + page->without_identifiers, *buyers_size - 1);
  for (const auto& row : page->rows) EXPECT_NE(row.person, erased);
}

// Rebuilding the persons re-derives every profile; the saved segments are re-evaluated
// once at the end, so people who were members stay members and no entry or exit is
// recorded for them (rather than everyone leaving as the rebuild starts and coming back).
TEST_F(LiveAudienceTest, ARebuildKeepsMembershipsWithoutRecordingChanges) {
  const std::vector<std::pair<std::string, std::string>> segments = {
      {"buyers", R"(did("Order Completed"))"},
      {"books", R"(interest("books") >= 0.4)"},
      {"us_lookers", R"(traits.country = "US" and did("Product Viewed", count >= 3) and not in_segment("buyers"))"},
  };
  SaveSegments(segments);
  StreamShop(200, 5, 1000);
  std::map<std::string, std::pair<std::vector<uint64_t>, size_t>> before;  // members, changes
  for (const auto& [name, text] : segments) {
    auto members = engine_->memberships()->Members(name, 0, 100000);
    auto changes = engine_->memberships()->Changes(name, 0, 1000000);
    ASSERT_TRUE(members.ok() && changes.ok());
    before[name] = {*members, changes->size()};
  }
  ASSERT_GT(before["buyers"].first.size(), 5u);

  ASSERT_TRUE(engine_->RebuildPersons([](uint64_t, uint64_t) {}).ok());
  for (const auto& [name, text] : segments) {
    auto members = engine_->memberships()->Members(name, 0, 100000);
    auto changes = engine_->memberships()->Changes(name, 0, 1000000);
    ASSERT_TRUE(members.ok() && changes.ok());
    EXPECT_EQ(*members, before[name].first) << name;
    EXPECT_EQ(changes->size(), before[name].second) << name;
  }
  ExpectSameAsReference("after a rebuild");
}

}  // namespace
}  // namespace aidmp::collect
