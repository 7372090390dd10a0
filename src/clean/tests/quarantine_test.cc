#include "clean/quarantine.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace aidmp::clean {
namespace {

TEST(QuarantineTest, StoresListsFiltersAndKeepsRawBytesExactly) {
  testing::TempDir dir;
  auto store = storage::Store::Open(dir.path(), storage::StoreOptions());
  ASSERT_TRUE(store.ok());
  Quarantine quarantine(store->get());
  std::string binary("\xff\xfe{not utf8\0", 11);
  storage::WriteBatch batch(store->get());
  for (int record_idx = 0; record_idx < 5; ++record_idx) {
    QuarantineRecord record;
    record.id = quarantine.NextId();
    record.reason = record_idx % 2 ? Reason::kMissingIdentity : Reason::kMalformedJson;
    record.message = "why " + std::to_string(record_idx);
    record.source = "http:web";
    record.received_at_us = 1000000 * record_idx;
    record.raw = record_idx == 0 ? binary : "{\"n\":" + std::to_string(record_idx) + "}";
    quarantine.Stage(record, &batch);
  }
  ASSERT_TRUE((*store)->Write(&batch, true).ok());

  std::vector<QuarantineRecord> all;
  ASSERT_TRUE(quarantine.List(0, 100, std::nullopt, &all).ok());
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].raw, binary);
  EXPECT_EQ(all[3].message, "why 3");
  std::vector<QuarantineRecord> missing;
  ASSERT_TRUE(quarantine.List(0, 100, Reason::kMissingIdentity, &missing).ok());
  EXPECT_EQ(missing.size(), 2u);
  std::vector<QuarantineRecord> page;
  ASSERT_TRUE(quarantine.List(all[1].id, 2, std::nullopt, &page).ok());
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, all[2].id);
  EXPECT_EQ((*store)->ReadCounter(storage::CounterKey(Quarantine::CounterName(std::nullopt))), 5u);
  EXPECT_EQ((*store)->ReadCounter(storage::CounterKey(Quarantine::CounterName(Reason::kMalformedJson))), 3u);

  // A new instance continues the id sequence.
  Quarantine reopened(store->get());
  EXPECT_EQ(reopened.NextId(), all.back().id + 1);
}

TEST(ReasonTest, CodesRoundTrip) {
  for (int reason_idx = 0; reason_idx < kReasonCount; ++reason_idx) {
    Reason reason = static_cast<Reason>(reason_idx);
    Reason back;
    ASSERT_TRUE(ParseReasonCode(ReasonCode(reason), &back));
    EXPECT_EQ(back, reason);
  }
}

}  // namespace
}  // namespace aidmp::clean
