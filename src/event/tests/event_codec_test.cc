#include "event/event_codec.h"

#include <gtest/gtest.h>

namespace aidmp::event {
namespace {

Event Sample() {
  Event event;
  event.type = EventType::kAlias;
  event.message_id = "m-1";
  event.user_id = "user \"quoted\"";
  event.anonymous_id = "anon";
  event.previous_id = "old";
  event.timestamp_us = 1714566600123456;
  event.original_timestamp_us = 1714566600000000;
  event.sent_at_us = 1714566601000000;
  event.received_at_us = 1714566601500000;
  event.properties_json = R"({"a":[1,2,{"b":null}]})";
  event.traits_json = R"({"email":"x"})";
  event.context_json = R"({"ip":"1.2.3.4"})";
  event.source = "http:web";
  event.flags = kFlagBot | kFlagPiiHashed;
  return event;
}

TEST(EventCodecTest, RoundTripsEveryField) {
  Event event = Sample();
  event.seq = 99;
  Event back;
  ASSERT_TRUE(DecodeStoredEvent(EncodeStoredEvent(event), &back).ok());
  EXPECT_EQ(back.type, event.type);
  EXPECT_EQ(back.seq, 99u);
  EXPECT_EQ(back.message_id, event.message_id);
  EXPECT_EQ(back.user_id, event.user_id);
  EXPECT_EQ(back.anonymous_id, event.anonymous_id);
  EXPECT_EQ(back.previous_id, event.previous_id);
  EXPECT_EQ(back.timestamp_us, event.timestamp_us);
  EXPECT_EQ(back.original_timestamp_us, event.original_timestamp_us);
  EXPECT_EQ(back.sent_at_us, event.sent_at_us);
  EXPECT_EQ(back.received_at_us, event.received_at_us);
  EXPECT_EQ(back.properties_json, event.properties_json);
  EXPECT_EQ(back.traits_json, event.traits_json);
  EXPECT_EQ(back.context_json, event.context_json);
  EXPECT_EQ(back.source, event.source);
  EXPECT_EQ(back.flags, event.flags);
}

TEST(EventCodecTest, WithSeqRewritesTheZeroSeq) {
  Event event = Sample();
  std::string record = WithSeq(EncodeStoredEvent(event), 12345);
  Event back;
  ASSERT_TRUE(DecodeStoredEvent(record, &back).ok());
  EXPECT_EQ(back.seq, 12345u);
  EXPECT_EQ(back.user_id, event.user_id);
}

TEST(EventCodecTest, CorruptRecordsAreDataLoss) {
  Event back;
  EXPECT_TRUE(absl::IsDataLoss(DecodeStoredEvent("{\"type\":", &back)));
  EXPECT_TRUE(absl::IsDataLoss(DecodeStoredEvent("{\"type\":\"nope\"}", &back)));
  for (std::string_view corrupt : {"", "[]", "\"track\"", "{}", "{\"seq\":1}",
                                   R"({"type":"track","userId":7})", R"({"type":"track","seq":"1"})",
                                   R"({"type":"track","timestamp":5})", R"({"type":"track","flags":[]})",
                                   R"({"type":"track","properties":{"a":1})", R"({"type":"track"} {})",
                                   R"({"type":"track","properties":{"a":1}}x)", R"({"type":"track",)"}) {
    EXPECT_TRUE(absl::IsDataLoss(DecodeStoredEvent(corrupt, &back))) << corrupt;
  }
}

TEST(EventCodecTest, KeysAreTheDecodedEventsFromTheHeadOrTheWhole) {
  Event plain = Sample();
  plain.user_id = "u-1";
  plain.seq = 12;
  Event escaped = Sample();  // its userId has quotes: escaped, so decoded whole
  Event bare;
  bare.type = EventType::kPage;
  bare.anonymous_id = "a";
  Event untimed = plain;
  untimed.timestamp_us = kNoTimestamp;
  for (const Event& event : {plain, escaped, bare, untimed}) {
    const std::string record = EncodeStoredEvent(event);
    StoredEventKeys keys;
    ASSERT_TRUE(DecodeStoredEventKeys(record, &keys).ok()) << record;
    EXPECT_EQ(keys.user_id, event.user_id) << record;
    EXPECT_EQ(keys.anonymous_id, event.anonymous_id) << record;
    EXPECT_EQ(keys.timestamp_us, event.timestamp_us) << record;
  }
  // Read from the head: views into the record.
  const std::string record = EncodeStoredEvent(plain);
  StoredEventKeys keys;
  ASSERT_TRUE(DecodeStoredEventKeys(record, &keys).ok());
  EXPECT_GE(keys.user_id.data(), record.data());
  EXPECT_LE(keys.user_id.data() + keys.user_id.size(), record.data() + record.size());
  for (std::string_view corrupt : {"", "[]", "{}", "{\"seq\":1}", R"({"type":"nope"})", R"({"type":"track","userId":7})",
                                   R"({"type":"track","timestamp":5})", R"({"seq":1,"type":"track","userId":"u")",
                                   R"({"type":"track",)"}) {
    EXPECT_TRUE(absl::IsDataLoss(DecodeStoredEventKeys(corrupt, &keys))) << corrupt;
  }
}

// The sub-objects come back as the text they were stored as, whatever their shape.
TEST(EventCodecTest, SubObjectsComeBackAsStored) {
  Event event = Sample();
  event.properties_json = R"({"price":19.99,"tags":["a","b\"c"],"nested":{"x":[{}]},"big":12345678901234567890})";
  event.traits_json = R"({"name":"Zo\u00eb \ud83d\ude00","note":"line\nbreak"})";
  event.context_json = "{}";
  event.integrations_json = R"({"All":false,"Mixpanel":true})";
  Event back;
  ASSERT_TRUE(DecodeStoredEvent(EncodeStoredEvent(event), &back).ok());
  EXPECT_EQ(back, event);
}

// Readers decode a step's events into the same Event: nothing of the one before may
// survive into the next.
TEST(EventCodecTest, DecodingIntoAUsedEventLeavesNothingBehind) {
  Event full = Sample();
  full.event = "Order Completed";
  full.name = "Home";
  full.group_id = "g";
  full.integrations_json = R"({"All":true})";
  full.seq = 7;
  Event small;
  small.type = EventType::kPage;
  small.anonymous_id = "a-2";
  small.timestamp_us = 1714566600000000;
  Event reused;
  ASSERT_TRUE(DecodeStoredEvent(EncodeStoredEvent(full), &reused).ok());
  ASSERT_EQ(reused, full);
  ASSERT_TRUE(DecodeStoredEvent(EncodeStoredEvent(small), &reused).ok());
  EXPECT_EQ(reused, small);
}

// Members a later build may add are skipped, whatever their value.
TEST(EventCodecTest, UnknownMembersAreSkipped) {
  Event back;
  ASSERT_TRUE(DecodeStoredEvent(R"({"seq":3,"future":{"a":[1,{"b":2}]},"type":"identify","more":[1,2],)"
                                R"("userId":"u","flag2":true,"n":null})",
                                &back)
                  .ok());
  EXPECT_EQ(back.type, EventType::kIdentify);
  EXPECT_EQ(back.seq, 3u);
  EXPECT_EQ(back.user_id, "u");
}

TEST(EventCodecTest, FlagNamesParseBackAndUnknownNamesAreIgnored) {
  for (uint32_t bit = 1; bit <= kFlagPiiHashed; bit <<= 1) EXPECT_EQ(FlagFromName(FlagNames(bit)), bit);
  EXPECT_EQ(FlagFromName("no_such_flag"), 0u);
  Event back;
  ASSERT_TRUE(DecodeStoredEvent(R"({"type":"track","flags":"bot,no_such_flag,outlier"})", &back).ok());
  EXPECT_EQ(back.flags, kFlagBot | kFlagOutlier);
}

}  // namespace
}  // namespace aidmp::event
