// The engine's audience index follows the data: counts on the bitmaps equal the
// reference evaluator after events stream in (with merges), after an erasure and after
// an unmerge.
#include <gtest/gtest.h>

#include "audience/evaluate.h"
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
      EXPECT_EQ(live->slots.cardinality(), reference->matching) << when << ": " << text;
      EXPECT_EQ(live->persons, reference->persons) << when << ": " << text;
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
  EXPECT_EQ(after->slots.cardinality() + 1, before->slots.cardinality());
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

}  // namespace
}  // namespace aidmp::collect
