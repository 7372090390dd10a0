#include "collect/collector.h"

#include "collect/tests/engine_fixture.h"
#include "collect/replay.h"

namespace aidmp::collect {
namespace {

class CollectorTest : public EngineTest {
 protected:
  absl::StatusOr<IngestSummary> Send(std::string_view endpoint, std::string_view body,
                                     std::string_view auth = "") {
    return engine_->collector()->Handle(endpoint, auth.empty() ? Basic("key") : auth, body);
  }
};

TEST_F(CollectorTest, AcceptsEveryEndpointAndAuthStyle) {
  EXPECT_TRUE(Send("track", R"({"userId":"u","event":"E","messageId":"1"})").ok());
  EXPECT_TRUE(Send("identify", R"({"userId":"u","traits":{"plan":"pro"},"messageId":"2"})").ok());
  EXPECT_TRUE(Send("page", R"({"anonymousId":"a","name":"Home","messageId":"3"})").ok());
  EXPECT_TRUE(Send("screen", R"({"anonymousId":"a","name":"Main","messageId":"4"})").ok());
  EXPECT_TRUE(Send("group", R"({"userId":"u","groupId":"g","messageId":"5"})").ok());
  EXPECT_TRUE(Send("alias", R"({"userId":"u","previousId":"a","messageId":"6"})").ok());
  EXPECT_TRUE(Send("track", R"({"userId":"u","event":"E","messageId":"7"})", "Bearer key").ok());
  EXPECT_TRUE(engine_->collector()->Handle("track", "", R"({"writeKey":"key","userId":"u","event":"E","messageId":"8"})").ok());
  EXPECT_EQ(Stored().size(), 8u);
}

TEST_F(CollectorTest, RejectsMissingAndWrongKeys) {
  auto missing = engine_->collector()->Handle("track", "", R"({"userId":"u","event":"E"})");
  EXPECT_TRUE(absl::IsUnauthenticated(missing.status()));
  auto wrong = Send("track", R"({"userId":"u","event":"E"})", Basic("nope"));
  EXPECT_TRUE(absl::IsUnauthenticated(wrong.status()));
  EXPECT_TRUE(Stored().empty());
  EXPECT_EQ(engine_->Stats().quarantined, 0u);  // unauthenticated traffic is not kept
}

TEST_F(CollectorTest, MalformedJsonIs400AndKeptInQuarantine) {
  auto result = Send("track", R"({"userId":"u","event":)");
  ASSERT_TRUE(absl::IsInvalidArgument(result.status()));
  EXPECT_NE(result.status().message().find("malformed JSON"), std::string::npos);
  std::vector<clean::QuarantineRecord> records;
  ASSERT_TRUE(engine_->quarantine()->List(0, 10, std::nullopt, &records).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].reason, clean::Reason::kMalformedJson);
  EXPECT_EQ(records[0].raw, R"({"userId":"u","event":)");
}

TEST_F(CollectorTest, EnforcesSegmentLimits) {
  std::string big = StrCat(R"({"userId":"u","event":"E","properties":{"x":")", std::string(33 * 1024, 'x'), "\"}}");
  auto too_big = Send("track", big);
  ASSERT_TRUE(absl::IsInvalidArgument(too_big.status()));
  EXPECT_NE(too_big.status().message().find("limit"), std::string::npos);

  std::string many = R"({"batch":[)";
  for (int event_idx = 0; event_idx < 2501; ++event_idx) {
    if (event_idx > 0) many += ",";
    many += R"({"type":"track","userId":"u","event":"E"})";
  }
  many += "]}";
  auto too_many = Send("batch", many);
  ASSERT_TRUE(absl::IsInvalidArgument(too_many.status()));
  EXPECT_NE(too_many.status().message().find("2500"), std::string::npos);
  EXPECT_TRUE(absl::IsInvalidArgument(Send("batch", R"({"batch":{}})").status()));
  EXPECT_TRUE(absl::IsNotFound(Send("purchase", "{}").status()));
}

TEST_F(CollectorTest, BadEventInABatchDoesNotSinkItsNeighbours) {
  auto result = Send("batch", R"({"batch":[
      {"type":"track","userId":"u1","event":"Good","messageId":"g1"},
      {"type":"track","event":"No Identity","messageId":"b1"},
      {"type":"track","userId":"u2","event":"Bad Props","properties":"oops","messageId":"b2"},
      {"type":"sneeze","userId":"u3","messageId":"b3"},
      7,
      {"type":"identify","userId":"u1","traits":{"email":"A@B.co"},"messageId":"g2"}]})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stored, 2u);
  EXPECT_EQ(result->quarantined, 4u);
  collect::EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.quarantined_by_reason["missing_identity"], 1u);
  EXPECT_EQ(stats.quarantined_by_reason["wrong_field_type"], 2u);
  EXPECT_EQ(stats.quarantined_by_reason["malformed_json"], 1u);
}

TEST_F(CollectorTest, DuplicatesAreDroppedPerSourceAndCounted) {
  const char* body = R"({"batch":[{"type":"track","userId":"u","event":"E","messageId":"same"},
                                   {"type":"track","userId":"u","event":"E","messageId":"same"}]})";
  auto first = Send("batch", body);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->stored, 1u);
  EXPECT_EQ(first->duplicates, 1u);
  auto again = Send("batch", body);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored, 0u);
  EXPECT_EQ(again->duplicates, 2u);
  EXPECT_EQ(Stored().size(), 1u);
  EXPECT_EQ(engine_->Stats().duplicates, 3u);
}

TEST_F(CollectorTest, BatchSentAtAndContextApplyToItems) {
  auto result = Send("batch", R"({"sentAt":"2030-01-01T00:00:10Z","context":{"library":{"name":"x"}},
      "batch":[{"type":"track","userId":"u","event":"E","timestamp":"2030-01-01T00:00:00Z"}]})");
  ASSERT_TRUE(result.ok());
  auto stored = Stored();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_NE(stored[0].find("\"library\""), std::string::npos);
  EXPECT_NE(stored[0].find("\"sentAt\":\"2030-01-01T00:00:10.000000Z\""), std::string::npos);
  // The event happened 10 s before it was sent, whatever the device clock said.
  EXPECT_NE(stored[0].find("clock_skew_corrected"), std::string::npos);
}

TEST_F(CollectorTest, HostileStringsAreStoredSafelyOrQuarantined) {
  std::string huge_id(1 << 20, 'x');
  auto big_id = Send("batch", StrCat(R"({"batch":[{"type":"track","userId":")", huge_id, R"(","event":"E"}]})"));
  // 1 MB is over the batch limit: the whole request is refused with a clear error.
  EXPECT_TRUE(absl::IsInvalidArgument(big_id.status()));
  auto nul = Send("track", R"({"userId":"a\u0000b","event":"E"})");
  ASSERT_TRUE(nul.ok());
  EXPECT_EQ(nul->quarantined, 1u);
  auto invalid_utf8 = Send("track", "{\"userId\":\"\xff\xfe\",\"event\":\"E\"}");
  EXPECT_TRUE(absl::IsInvalidArgument(invalid_utf8.status()));  // simdjson validates UTF-8
  std::string deep(5000, '[');
  auto nested = Send("track", StrCat(R"({"userId":"u","event":"E","properties":{"x":)", deep, "}}"));
  EXPECT_TRUE(absl::IsInvalidArgument(nested.status()));
  auto emoji = Send("track", R"({"userId":"ユーザー🙂","event":"E\"quoted\"","messageId":"e1"})");
  ASSERT_TRUE(emoji.ok());
  index::EventFilter filter;
  filter.user_id = "ユーザー🙂";
  EXPECT_EQ(Stored(filter).size(), 1u);
}

TEST_F(CollectorTest, ReplayStoresWhatNowPassesAndKeepsTheRest) {
  ASSERT_TRUE(Send("batch", R"({"batch":[
      {"type":"track","userId":"u","event":"Order","properties":{"revenue":-5},"messageId":"p1"},
      {"type":"track","event":"No Identity","messageId":"p2"}]})").ok());
  // A plan that forbids negative revenue quarantines p1; replaying without it stores it.
  EngineOptions strict;
  auto plan = clean::TrackingPlan::Parse(
      R"({"events":{"Order":{"properties":{"revenue":{"type":"number","minimum":0}}}}})");
  ASSERT_TRUE(plan.ok());
  strict.cleaner.plan = *plan;
  Open(strict);
  ASSERT_TRUE(Send("track", R"({"userId":"u","event":"Order","properties":{"revenue":-7},"messageId":"p3"})").ok());
  EXPECT_EQ(engine_->Stats().quarantined_by_reason["plan_violation"], 1u);

  Open(EngineOptions());
  auto report = ReplayQuarantine(engine_.get(), std::nullopt, 100);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->examined, 2u);
  EXPECT_EQ(report->stored, 1u);
  EXPECT_EQ(report->still_failing, 1u);
  std::vector<clean::QuarantineRecord> left;
  ASSERT_TRUE(engine_->quarantine()->List(0, 10, std::nullopt, &left).ok());
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].reason, clean::Reason::kMissingIdentity);
  EXPECT_EQ(Stored().size(), 2u);  // p1 and the replayed p3
}

}  // namespace
}  // namespace aidmp::collect
