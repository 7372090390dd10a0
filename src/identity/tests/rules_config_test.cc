#include "identity/rules_config.h"

#include <gtest/gtest.h>

namespace aidmp::identity {
namespace {

TEST(RulesConfigTest, OverridesDefaultsAndKeepsTheRest) {
  auto rules = ParseIdentityRules(R"({"max_per_person": {"deviceId": 2, "emailHash": null, "anonymousId": 50},
                                      "priority": ["emailHash", "userId"]})");
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->max_per_person.at(IdType::kDeviceId), 2);
  EXPECT_EQ(rules->max_per_person.at(IdType::kAnonymousId), 50);
  EXPECT_EQ(rules->max_per_person.count(IdType::kEmailHash), 0u);   // null: no limit
  EXPECT_EQ(rules->max_per_person.at(IdType::kUserId), 1);          // default kept
  ASSERT_EQ(rules->priority.size(), 6u);
  EXPECT_EQ(rules->priority[0], IdType::kEmailHash);
  EXPECT_EQ(rules->priority[1], IdType::kUserId);
  EXPECT_EQ(rules->priority[2], IdType::kPhoneHash);  // the rest in default order
}

TEST(RulesConfigTest, ErrorsNameTheMember) {
  for (auto [json, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"max_per_person": {"cookie": 1}})", "max_per_person.cookie: unknown identifier type"},
           {R"({"max_per_person": {"userId": 0}})", "from 1 to 65535"},
           {R"({"max_per_person": {"userId": "one"}})", "from 1 to 65535"},
           {R"({"priority": ["userId", "userId"]})", "listed twice"},
           {R"({"priority": [3]})", "is not an identifier type"},
           {R"({"limits": {}})", "unknown member 'limits'"},
           {R"({"priority": )", "not a JSON object"}}) {
    auto rules = ParseIdentityRules(json);
    ASSERT_FALSE(rules.ok()) << json;
    EXPECT_NE(std::string(rules.status().message()).find(message), std::string::npos) << rules.status();
  }
}

}  // namespace
}  // namespace aidmp::identity
