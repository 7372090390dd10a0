#include "clean/cleaner.h"

#include <gtest/gtest.h>

#include <set>

#include "common/hash.h"
#include "common/time_format.h"
#include "event/segment_json.h"

namespace aidmp::clean {
namespace {

using event::Event;
using event::EventType;

constexpr int64_t kNow = 1714566600000000;  // 2024-05-01T12:30:00Z

Event Make(std::string_view json, EventType type = EventType::kTrack) {
  static simdjson::dom::parser parser;
  simdjson::dom::element element;
  EXPECT_EQ(parser.parse(json.data(), json.size()).get(element), simdjson::SUCCESS);
  Event event;
  event.received_at_us = kNow;
  EXPECT_TRUE(event::ParseSegmentMessage(element, type, &event).ok()) << json;
  return event;
}

CleanResult CleanWith(Cleaner* cleaner, Event* event) { return cleaner->Clean(event, 100); }

TEST(CleanerTest, AcceptsAndTrimsIds) {
  Cleaner cleaner{CleanerOptions()};
  Event event = Make(R"({"userId":"  u1 ","anonymousId":"\ta1","event":"Signed Up","messageId":" m "})");
  ASSERT_TRUE(CleanWith(&cleaner, &event).accepted());
  EXPECT_EQ(event.user_id, "u1");
  EXPECT_EQ(event.anonymous_id, "a1");
  EXPECT_EQ(event.message_id, "m");
}

TEST(CleanerTest, RejectsWithReasonCodes) {
  struct Case {
    const char* json;
    EventType type;
    Reason reason;
  };
  std::string long_id(100, 'x');
  std::string long_message_id = std::string(R"({"userId":"u","event":"e","messageId":")") + long_id + "\"}";
  std::string huge_user = std::string(R"({"event":"e","userId":")") + std::string(2000, 'u') + "\"}";
  for (const Case& c : {Case{R"({"event":"e"})", EventType::kTrack, Reason::kMissingIdentity},
                        Case{R"({"userId":"  ","event":"e"})", EventType::kTrack, Reason::kMissingIdentity},
                        Case{R"({"userId":"u"})", EventType::kTrack, Reason::kMissingEventName},
                        Case{R"({"userId":"u","event":"  "})", EventType::kTrack, Reason::kMissingEventName},
                        Case{R"({"userId":"u"})", EventType::kGroup, Reason::kMissingGroupId},
                        Case{R"({"userId":"u"})", EventType::kAlias, Reason::kMissingPreviousId},
                        Case{R"({"userId":"a\u0000b","event":"e"})", EventType::kTrack, Reason::kInvalidId},
                        Case{long_message_id.c_str(), EventType::kTrack, Reason::kMessageIdTooLong},
                        Case{huge_user.c_str(), EventType::kTrack, Reason::kIdTooLong},
                        Case{R"({"userId":"u","event":"e","timestamp":"1900-01-01T00:00:00Z"})",
                             EventType::kTrack, Reason::kInvalidTimestamp}}) {
    Cleaner cleaner{CleanerOptions()};
    Event event = Make(c.json, c.type);
    CleanResult result = CleanWith(&cleaner, &event);
    EXPECT_EQ(result.reason, c.reason) << c.json << " -> " << ReasonCode(result.reason);
    EXPECT_FALSE(result.message.empty());
  }
}

TEST(CleanerTest, OversizeEventIsRejected) {
  Cleaner cleaner{CleanerOptions()};
  Event event = Make(R"({"userId":"u","event":"e"})");
  CleanResult result = cleaner.Clean(&event, 32 * 1024 + 1);
  EXPECT_EQ(result.reason, Reason::kEventTooLarge);
  EXPECT_NE(result.message.find("32768"), std::string::npos);
}

TEST(CleanerTest, CorrectsClockSkewLikeSegment) {
  Cleaner cleaner{CleanerOptions()};
  // The device clock is 1 hour behind: it says it sent at 11:30 what the server got at 12:30.
  Event event = Make(R"({"userId":"u","event":"e","timestamp":"2024-05-01T11:29:00Z"})");
  event.sent_at_us = *ParseIso8601Micros("2024-05-01T11:30:00Z");
  ASSERT_TRUE(CleanWith(&cleaner, &event).accepted());
  EXPECT_EQ(event.timestamp_us, *ParseIso8601Micros("2024-05-01T12:29:00Z"));
  EXPECT_TRUE(event.flags & event::kFlagClockSkewCorrected);
  EXPECT_EQ(event.original_timestamp_us, *ParseIso8601Micros("2024-05-01T11:29:00Z"));
}

TEST(CleanerTest, MissingTimestampUsesReceiptAndFlags) {
  Cleaner cleaner{CleanerOptions()};
  Event event = Make(R"({"userId":"u","event":"e"})");
  ASSERT_TRUE(CleanWith(&cleaner, &event).accepted());
  EXPECT_EQ(event.timestamp_us, kNow);
  EXPECT_TRUE(event.flags & event::kFlagMissingTimestamp);
}

TEST(CleanerTest, FlagsFarFutureAndPast) {
  Cleaner cleaner{CleanerOptions()};
  Event future = Make(R"({"userId":"u","event":"e","timestamp":"2024-05-03T12:30:00Z"})");
  ASSERT_TRUE(CleanWith(&cleaner, &future).accepted());
  EXPECT_TRUE(future.flags & event::kFlagFutureTimestamp);
  Event past = Make(R"({"userId":"u","event":"e","timestamp":"2020-05-01T12:30:00Z"})");
  ASSERT_TRUE(CleanWith(&cleaner, &past).accepted());
  EXPECT_TRUE(past.flags & event::kFlagPastTimestamp);

  CleanerOptions history;
  history.past_tolerance_us = 0;
  Cleaner importer(history);
  Event old = Make(R"({"userId":"u","event":"e","timestamp":"1998-01-01T00:00:00Z"})");
  ASSERT_TRUE(CleanWith(&importer, &old).accepted());
  EXPECT_FALSE(old.flags & event::kFlagPastTimestamp);
}

TEST(CleanerTest, HashesEmailsAndPhonesEverywhere) {
  Cleaner cleaner{CleanerOptions()};
  Event event = Make(R"({"userId":"u","traits":{"email":"  Jane@Example.COM ","phone":"+1 (555) 010-9999","name":"Jane"},
                        "context":{"traits":{"email":"jane@example.com"},"ip":"1.1.1.1"}})",
                     EventType::kIdentify);
  ASSERT_TRUE(CleanWith(&cleaner, &event).accepted());
  std::string email_hash = Sha256Hex("jane@example.com");
  EXPECT_NE(event.traits_json.find(email_hash), std::string::npos) << event.traits_json;
  EXPECT_NE(event.traits_json.find(Sha256Hex("+15550109999")), std::string::npos) << event.traits_json;
  EXPECT_EQ(event.traits_json.find("Example"), std::string::npos);
  EXPECT_NE(event.traits_json.find("\"name\":\"Jane\""), std::string::npos);
  EXPECT_NE(event.context_json.find(email_hash), std::string::npos) << event.context_json;
  EXPECT_NE(event.context_json.find("1.1.1.1"), std::string::npos);
  EXPECT_TRUE(event.flags & event::kFlagPiiHashed);

  // Already hashed by the sender: left alone.
  Event hashed = Make(std::string(R"({"userId":"u","traits":{"email":")") + email_hash + "\"}}",
                      EventType::kIdentify);
  ASSERT_TRUE(CleanWith(&cleaner, &hashed).accepted());
  EXPECT_NE(hashed.traits_json.find(email_hash), std::string::npos);
  EXPECT_EQ(hashed.traits_json.find(Sha256Hex(email_hash)), std::string::npos);
}

TEST(CleanerTest, PiiHashingCanBeTurnedOff) {
  CleanerOptions options;
  options.hash_pii = false;
  Cleaner cleaner(options);
  Event event = Make(R"({"userId":"u","traits":{"email":"jane@example.com"}})", EventType::kIdentify);
  ASSERT_TRUE(CleanWith(&cleaner, &event).accepted());
  EXPECT_NE(event.traits_json.find("jane@example.com"), std::string::npos);
}

TEST(CleanerTest, NumericStringsBecomeNumbersOnlyWhenUnambiguous) {
  Cleaner cleaner{CleanerOptions()};
  Event event = Make(R"({"userId":"u","event":"Order Completed",
      "properties":{"revenue":"12.50","quantity":" 3 ","price":"12,50","sku":"0042","total":"1e400"}})");
  ASSERT_TRUE(CleanWith(&cleaner, &event).accepted());
  EXPECT_NE(event.properties_json.find("\"revenue\":12.5"), std::string::npos) << event.properties_json;
  EXPECT_NE(event.properties_json.find("\"quantity\":3"), std::string::npos);
  EXPECT_NE(event.properties_json.find("\"price\":\"12,50\""), std::string::npos);
  EXPECT_NE(event.properties_json.find("\"sku\":\"0042\""), std::string::npos);
  EXPECT_NE(event.properties_json.find("\"total\":\"1e400\""), std::string::npos);
}

// A scan of the text picks the objects worth parsing: spacing, case and escapes in the
// keys must not hide a member from it.
TEST(CleanerTest, RewritesWhateverTheSpacingCaseOrEscapesOfTheKeys) {
  Cleaner cleaner{CleanerOptions()};
  Event event = Make(R"({"userId":"u","event":"Order Completed"})");
  event.properties_json = "{ \"revenue\" :\n \"12.50\" , \"EMAIL\":\"Jane@Example.com\", \"pri\\u0063e\":\"3\" }";
  event.context_json = R"({"ip":"1.1.1.1", "traits" : { "Phone" : "+1 555 0100" }})";
  ASSERT_TRUE(CleanWith(&cleaner, &event).accepted());
  EXPECT_NE(event.properties_json.find("\"revenue\":12.5"), std::string::npos) << event.properties_json;
  EXPECT_NE(event.properties_json.find(Sha256Hex("jane@example.com")), std::string::npos) << event.properties_json;
  EXPECT_NE(event.properties_json.find("\"price\":3"), std::string::npos) << event.properties_json;
  EXPECT_NE(event.context_json.find(Sha256Hex("+15550100")), std::string::npos) << event.context_json;
  EXPECT_TRUE(event.flags & event::kFlagPiiHashed);

  // Look-alikes are left as they were: a nested email in properties, a numeric key with
  // a number already, "traits" as a string in context, a `":"` inside a value.
  Event other = Make(R"({"userId":"u","event":"Viewed","properties":{"a":{"email":"x@y.z"},"price":3,)"
                     R"("note":"say \":\" email"},"context":{"traits":"email","page":{"url":"a:b"}}})");
  std::string properties = other.properties_json, context = other.context_json;
  ASSERT_TRUE(CleanWith(&cleaner, &other).accepted());
  EXPECT_EQ(other.properties_json, properties);
  EXPECT_EQ(other.context_json, context);
  EXPECT_FALSE(other.flags & event::kFlagPiiHashed);
}

TEST(CleanerTest, MissingMessageIdIsDerivedDeterministically) {
  Cleaner cleaner{CleanerOptions()};
  Event first = Make(R"({"userId":"u","event":"e","timestamp":"2024-05-01T12:00:00Z"})");
  Event second = Make(R"({"userId":"u","event":"e","timestamp":"2024-05-01T12:00:00Z"})");
  Event other = Make(R"({"userId":"u","event":"f","timestamp":"2024-05-01T12:00:00Z"})");
  ASSERT_TRUE(CleanWith(&cleaner, &first).accepted());
  ASSERT_TRUE(CleanWith(&cleaner, &second).accepted());
  ASSERT_TRUE(CleanWith(&cleaner, &other).accepted());
  EXPECT_FALSE(first.message_id.empty());
  EXPECT_EQ(first.message_id, second.message_id);
  EXPECT_NE(first.message_id, other.message_id);
}

TEST(CleanerTest, DerivedMessageIdsTellApartEveryField) {
  Cleaner cleaner{CleanerOptions()};
  std::set<std::string> ids;
  for (const char* json : {R"({"userId":"u","groupId":"g1"})", R"({"userId":"u","groupId":"g2"})",
                           R"({"userId":"u","groupId":"g1","context":{"ip":"1.1.1.1"}})"}) {
    Event event = Make(json, EventType::kGroup);
    ASSERT_TRUE(CleanWith(&cleaner, &event).accepted());
    ids.insert(event.message_id);
  }
  for (const char* json : {R"({"userId":"u","previousId":"a"})", R"({"userId":"u","previousId":"b"})"}) {
    Event event = Make(json, EventType::kAlias);
    ASSERT_TRUE(CleanWith(&cleaner, &event).accepted());
    ids.insert(event.message_id);
  }
  EXPECT_EQ(ids.size(), 5u);
}

TEST(CleanerTest, StatedTimestampApartFromDeviceClockIsKept) {
  Cleaner cleaner{CleanerOptions()};
  // RudderStack style: originalTimestamp is the device clock, timestamp a stated backfill.
  Event event = Make(R"({"userId":"u","event":"e","originalTimestamp":"2024-05-01T12:29:00Z",
                        "timestamp":"2023-06-01T00:00:00Z"})");
  event.sent_at_us = *ParseIso8601Micros("2024-05-01T12:29:30Z");
  ASSERT_TRUE(CleanWith(&cleaner, &event).accepted());
  EXPECT_EQ(event.timestamp_us, *ParseIso8601Micros("2023-06-01T00:00:00Z"));
  EXPECT_EQ(event.original_timestamp_us, *ParseIso8601Micros("2024-05-01T12:29:00Z"));
}

TEST(CleanerTest, FlagsBotUserAgents) {
  Cleaner cleaner{CleanerOptions()};
  Event bot = Make(R"js({"anonymousId":"a","event":"e","context":{"userAgent":"Mozilla/5.0 (compatible; Googlebot/2.1)"}})js");
  ASSERT_TRUE(CleanWith(&cleaner, &bot).accepted());
  EXPECT_TRUE(bot.flags & event::kFlagBot);
  Event human = Make(R"js({"anonymousId":"b","event":"e","context":{"userAgent":"Mozilla/5.0 (Macintosh) Safari/605.1.15"}})js");
  ASSERT_TRUE(CleanWith(&cleaner, &human).accepted());
  EXPECT_FALSE(human.flags & event::kFlagBot);
}

TEST(CleanerTest, UsesTheUserAgentItIsGiven) {
  // The collector passes the user agent it read while parsing; the context is then not
  // parsed again, so a user agent given is the one judged.
  Cleaner cleaner{CleanerOptions()};
  Event given = Make(R"js({"anonymousId":"a","event":"e","context":{"ip":"1.2.3.4"}})js");
  ASSERT_TRUE(cleaner.Clean(&given, 100, std::string_view("Mozilla/5.0 (compatible; Googlebot/2.1)")).accepted());
  EXPECT_TRUE(given.flags & event::kFlagBot);
  Event told_none = Make(R"js({"anonymousId":"b","event":"e","context":{"userAgent":"Googlebot/2.1"}})js");
  ASSERT_TRUE(cleaner.Clean(&told_none, 100, std::string_view()).accepted());
  EXPECT_FALSE(told_none.flags & event::kFlagBot);
}

}  // namespace
}  // namespace aidmp::clean
