#include "identity/identifier.h"

#include <gtest/gtest.h>

#include "common/hash.h"

namespace aidmp::identity {
namespace {

TEST(IdentifierTest, ExtractsEveryKindOnce) {
  event::Event event;
  event.user_id = "u1";
  event.anonymous_id = "a1";
  event.context_json = R"({"device":{"id":"d1","advertisingId":"ad1"},"traits":{"email":"Jo@X.com"}})";
  event.traits_json = R"({"email":"jo@x.com","phone":"+1 555 0100"})";
  std::vector<Identifier> ids = ExtractIdentifiers(event);
  std::vector<Identifier> expected = {{IdType::kUserId, "u1"},
                                      {IdType::kAnonymousId, "a1"},
                                      {IdType::kDeviceId, "d1"},
                                      {IdType::kAdvertisingId, "ad1"},
                                      {IdType::kEmailHash, Sha256Hex("jo@x.com")},
                                      {IdType::kPhoneHash, Sha256Hex("+15550100")}};
  EXPECT_EQ(ids, expected);
}

TEST(IdentifierTest, AlreadyHashedValuesAreKept) {
  event::Event event;
  event.anonymous_id = "a";
  std::string hash = Sha256Hex("jo@x.com");
  event.traits_json = "{\"email\":\"" + hash + "\"}";
  std::vector<Identifier> ids = ExtractIdentifiers(event);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1].value, hash);
}

TEST(IdentifierTest, TypeNamesRoundTrip) {
  for (int type_idx = 1; type_idx < kIdTypeCount; ++type_idx) {
    IdType type = static_cast<IdType>(type_idx);
    IdType back;
    ASSERT_TRUE(ParseIdType(IdTypeName(type), &back));
    EXPECT_EQ(back, type);
  }
  IdType unused;
  EXPECT_FALSE(ParseIdType("cookie", &unused));
}

}  // namespace
}  // namespace aidmp::identity
