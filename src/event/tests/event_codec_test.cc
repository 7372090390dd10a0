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
}

}  // namespace
}  // namespace aidmp::event
