#include "event/segment_json.h"

#include <gtest/gtest.h>

#include "common/time_format.h"

namespace aidmp::event {
namespace {

absl::Status Parse(std::string_view json, std::optional<EventType> type, Event* out) {
  static simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (parser.parse(json.data(), json.size()).get(element) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("bad json in test");
  }
  return ParseSegmentMessage(element, type, out);
}

TEST(SegmentJsonTest, ParsesATrackWithAllFields) {
  Event event;
  ASSERT_TRUE(Parse(R"({"userId":"u1","anonymousId":"a1","event":"Order Completed",
      "messageId":"m1","timestamp":"2024-05-01T12:00:00Z","sentAt":"2024-05-01T12:00:05Z",
      "properties":{"revenue":10.5},"context":{"ip":"1.2.3.4"},"integrations":{"All":true},
      "unknownField":[1,2]})",
                    EventType::kTrack, &event)
                  .ok());
  EXPECT_EQ(event.type, EventType::kTrack);
  EXPECT_EQ(event.user_id, "u1");
  EXPECT_EQ(event.anonymous_id, "a1");
  EXPECT_EQ(event.event, "Order Completed");
  EXPECT_EQ(event.message_id, "m1");
  EXPECT_EQ(event.original_timestamp_us, *ParseIso8601Micros("2024-05-01T12:00:00Z"));
  EXPECT_EQ(event.sent_at_us, *ParseIso8601Micros("2024-05-01T12:00:05Z"));
  EXPECT_EQ(event.properties_json, R"({"revenue":10.5})");
  EXPECT_EQ(event.context_json, R"({"ip":"1.2.3.4"})");
  EXPECT_EQ(event.integrations_json, R"({"All":true})");
}

TEST(SegmentJsonTest, CountsTheMessagesMinifiedSize) {
  for (const char* json : {
           R"({"type":"track","userId":"u1","event":"E","properties":{"a": [1, 2.0, "x\"y"]}})",
           R"({ "type" : "identify", "userId" : 7, "traits" : { "email" : "A@B.C" },
                "context" : {"ip":"1.2.3.4", "traits":{"n":null}}, "integrations":{"All":false}})",
           R"({"type":"page","anonymousId":"a","properties":null,"unknown":{"deep":[{}]},"n":-0.0})",
           R"({"type":"track","type":"track","userId":"u","event":"E","x\u0001":"\u001f"})",
       }) {
    static simdjson::dom::parser parser;
    simdjson::dom::element message;
    ASSERT_EQ(parser.parse(std::string_view(json)).get(message), simdjson::SUCCESS) << json;
    for (std::optional<EventType> forced : {std::optional<EventType>(), std::optional(EventType::kTrack)}) {
      Event event;
      size_t size = 0;
      ASSERT_TRUE(ParseSegmentMessage(message, forced, &event, &size).ok()) << json;
      EXPECT_EQ(size, simdjson::minify(message).size()) << json;
    }
  }
}

TEST(SegmentJsonTest, GivesTheKeptContextsUserAgent) {
  struct Case {
    const char* json;
    const char* user_agent;
  };
  for (const Case& c : {
           Case{R"js({"type":"page","anonymousId":"a","context":{"ip":"1.2.3.4","userAgent":"Mozilla/5.0 (X11)"}})js",
                "Mozilla/5.0 (X11)"},
           // Only the context's own member: not one nested deeper, nor a non-string.
           Case{R"js({"type":"page","anonymousId":"a","context":{"traits":{"userAgent":"x"}}})js", ""},
           Case{R"js({"type":"page","anonymousId":"a","context":{"userAgent":7}})js", ""},
           Case{R"js({"type":"page","anonymousId":"a","userAgent":"top level"})js", ""},
           Case{R"js({"type":"page","anonymousId":"a","context":{"userAgent":"esc\"aped\u00e9"}})js", "esc\"aped\xc3\xa9"},
           // Two contexts: the last is kept, and its user agent given.
           Case{R"js({"type":"page","anonymousId":"a","context":{"userAgent":"first"},"context":{"userAgent":"last"}})js",
                "last"},
           Case{R"js({"type":"page","anonymousId":"a","context":{"userAgent":"first"},"context":null})js", ""},
       }) {
    static simdjson::dom::parser parser;
    simdjson::dom::element message;
    ASSERT_EQ(parser.parse(std::string_view(c.json)).get(message), simdjson::SUCCESS) << c.json;
    Event event;
    std::string_view user_agent = "not set";
    ASSERT_TRUE(ParseSegmentMessage(message, std::nullopt, &event, nullptr, &user_agent).ok()) << c.json;
    EXPECT_EQ(user_agent, c.user_agent) << c.json;
  }
}

TEST(SegmentJsonTest, NumericIdsBecomeStrings) {
  Event event;
  ASSERT_TRUE(Parse(R"({"userId":12345,"messageId":7,"traits":{}})", EventType::kIdentify, &event).ok());
  EXPECT_EQ(event.user_id, "12345");
  EXPECT_EQ(event.message_id, "7");
}

TEST(SegmentJsonTest, WrongTypesNameTheField) {
  struct Case {
    const char* json;
    const char* field;
  };
  for (const Case& c : {Case{R"({"userId":{"a":1}})", "userId"}, Case{R"({"event":5})", "event"},
                        Case{R"({"properties":"x"})", "properties"},
                        Case{R"({"timestamp":1714566600})", "timestamp"},
                        Case{R"({"timestamp":"not a time"})", "timestamp"},
                        Case{R"({"traits":[1]})", "traits"}}) {
    Event event;
    absl::Status status = Parse(c.json, EventType::kTrack, &event);
    ASSERT_FALSE(status.ok()) << c.json;
    EXPECT_NE(status.message().find(c.field), std::string::npos) << status.message();
  }
}

TEST(SegmentJsonTest, BatchItemsNeedAKnownType) {
  Event event;
  EXPECT_FALSE(Parse(R"({"userId":"u"})", std::nullopt, &event).ok());
  absl::Status status = Parse(R"({"type":"purchase","userId":"u"})", std::nullopt, &event);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("purchase"), std::string::npos);
  ASSERT_TRUE(Parse(R"({"type":"page","userId":"u","name":"Home"})", std::nullopt, &event).ok());
  EXPECT_EQ(event.type, EventType::kPage);
  EXPECT_EQ(event.name, "Home");
}

TEST(SegmentJsonTest, EndpointTypeWinsOverPayloadType) {
  Event event;
  ASSERT_TRUE(Parse(R"({"type":"page","userId":"u","event":"X"})", EventType::kTrack, &event).ok());
  EXPECT_EQ(event.type, EventType::kTrack);
}

TEST(SegmentJsonTest, OriginalTimestampWinsOverTimestamp) {
  Event event;
  ASSERT_TRUE(Parse(R"({"userId":"u","event":"e","originalTimestamp":"2024-01-01T00:00:00Z",
                        "timestamp":"2024-01-02T00:00:00Z"})",
                    EventType::kTrack, &event)
                  .ok());
  EXPECT_EQ(event.original_timestamp_us, *ParseIso8601Micros("2024-01-01T00:00:00Z"));
  // The differing `timestamp` is a stated event time, kept apart from the clock reading.
  EXPECT_EQ(event.timestamp_us, *ParseIso8601Micros("2024-01-02T00:00:00Z"));
}

TEST(SegmentJsonTest, NonObjectIsRejected) {
  Event event;
  EXPECT_FALSE(Parse("[1,2]", EventType::kTrack, &event).ok());
  EXPECT_FALSE(Parse("\"x\"", std::nullopt, &event).ok());
}

}  // namespace
}  // namespace aidmp::event
