// The CLI as a user runs it: import, events, stats, quarantine, and its errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace aidmp {
namespace {

TEST(CliTest, ImportThenReadBack) {
  testing::TempDir dir;
  std::string file = dir.Sub("events.jsonl");
  std::ofstream(file) << R"({"userId":"ann","event":"Viewed","timestamp":"2023-01-01T10:00:00Z","messageId":"a1"})" "\n"
                      << R"({"userId":"ann","event":"Bought","timestamp":"2023-01-01T10:05:00Z","messageId":"a2"})" "\n"
                      << R"({"event":"Nobody"})" "\n";
  std::string data = dir.Sub("data");
  std::string output;
  ASSERT_EQ(testing::RunAidmp({"import", "--data", data, "--format", "jsonl", "--quiet", file}, &output), 0) << output;
  EXPECT_NE(output.find("3 rows read, 2 stored, 0 duplicates, 1 quarantined"), std::string::npos) << output;
  EXPECT_NE(output.find("missing_identity: 1"), std::string::npos) << output;

  ASSERT_EQ(testing::RunAidmp({"events", "--data", data, "--user-id", "ann"}, &output), 0) << output;
  EXPECT_LT(output.find("\"messageId\":\"a1\""), output.find("\"messageId\":\"a2\"")) << output;
  ASSERT_EQ(testing::RunAidmp({"events", "--data", data, "--user-id", "ann", "--event", "Bought"}, &output), 0);
  EXPECT_EQ(output.find("\"a1\""), std::string::npos);

  ASSERT_EQ(testing::RunAidmp({"stats", "--data", data}, &output), 0) << output;
  EXPECT_NE(output.find("\"events_stored\":2"), std::string::npos) << output;
  EXPECT_NE(output.find("\"quarantined\":1"), std::string::npos);

  ASSERT_EQ(testing::RunAidmp({"quarantine", "list", "--data", data}, &output), 0) << output;
  EXPECT_NE(output.find("Nobody"), std::string::npos);
}

TEST(CliTest, ReadsWhileTheServerHoldsTheDirectory) {
  testing::TempDir dir;
  std::string data = dir.Sub("data");
  testing::ServerProcess server(data, {"--write-key", "wk"});
  ASSERT_TRUE(server.WaitReady());
  std::string output;
  EXPECT_EQ(testing::RunAidmp({"stats", "--data", data}, &output), 0) << output;
  // Writing commands refuse with a clear message instead of corrupting anything.
  std::string file = dir.Sub("x.jsonl");
  std::ofstream(file) << "{}\n";
  EXPECT_NE(testing::RunAidmp({"import", "--data", data, "--quiet", file}, &output), 0);
  EXPECT_NE(output.find("in use"), std::string::npos) << output;
}

TEST(CliTest, BadFlagsGiveClearErrors) {
  std::string output;
  EXPECT_NE(testing::RunAidmp({"import", "--format", "xml", "f"}, &output), 0);
  EXPECT_NE(output.find("unknown import format"), std::string::npos) << output;
  EXPECT_NE(testing::RunAidmp({"serve", "--data", "/tmp/x", "--dedup-window", "soon", "--write-key", "k"}, &output), 0);
  EXPECT_NE(output.find("--dedup-window"), std::string::npos) << output;
  EXPECT_NE(testing::RunAidmp({"rebuild", "profiles", "--data", "/tmp/x", "--profile-cache-mb", "-1"}, &output), 0);
  EXPECT_NE(output.find("--profile-cache-mb"), std::string::npos) << output;
  EXPECT_NE(testing::RunAidmp({"serve", "--data", "/tmp/x"}, &output), 0);
  EXPECT_NE(output.find("--write-key"), std::string::npos) << output;
  EXPECT_EQ(testing::RunAidmp({"serve", "--help"}, &output), 0);
  EXPECT_NE(output.find("--admin-key"), std::string::npos);
}

TEST(CliTest, DemoRunsTheSimulatedShopThroughHttp) {
  testing::TempDir dir;
  std::string output;
  ASSERT_EQ(testing::RunAidmp({"demo", "--no-serve", "--port", "0", "--data", dir.Sub("demo"),
                               "--shoppers", "150", "--days", "3"},
                              &output),
            0)
      << output;
  EXPECT_NE(output.find("messages sent"), std::string::npos) << output;
  EXPECT_NE(output.find("(0 failed)"), std::string::npos) << output;
  EXPECT_NE(output.find("quarantined"), std::string::npos);
  EXPECT_NE(output.find("top tag = strongest hidden taste"), std::string::npos) << output;
  EXPECT_NE(output.find("interest tags"), std::string::npos) << output;
  // A second run may reuse its own directory.
  ASSERT_EQ(testing::RunAidmp({"demo", "--no-serve", "--port", "0", "--data", dir.Sub("demo"),
                               "--shoppers", "20", "--days", "1"},
                              &output),
            0)
      << output;
  // But never wipes a directory it did not make.
  std::string foreign = dir.Sub("foreign");
  std::filesystem::create_directories(foreign);
  std::ofstream(foreign + "/keep.txt") << "mine";
  EXPECT_NE(testing::RunAidmp({"demo", "--no-serve", "--port", "0", "--data", foreign}, &output), 0);
  EXPECT_TRUE(std::filesystem::exists(foreign + "/keep.txt"));
}

// `aidmp profile` shows what profiles compute; a profile config changes it, and
// `aidmp rebuild profiles` applies the change to events already stored, giving the same
// profile as ingesting them with that config from the start.
TEST(CliTest, ProfileAndRebuildWithAChangedConfig) {
  testing::TempDir dir;
  std::string file = dir.Sub("events.jsonl");
  std::ofstream(file)
      << R"({"userId":"ann","event":"Watched","timestamp":"2023-01-01T10:00:00Z","properties":{"genre":"drama"}})" "\n"
      << R"({"userId":"ann","event":"Watched","timestamp":"2023-01-01T10:20:00Z","properties":{"genre":"comedy"}})" "\n"
      << R"({"userId":"ann","event":"Order Completed","timestamp":"2023-01-02T09:00:00Z","properties":{"revenue":20}})" "\n"
      << R"({"userId":"bob","anonymousId":"b-phone","event":"Watched","timestamp":"2023-01-03T09:00:00Z"})" "\n";
  std::string config = dir.Sub("profile.json");
  std::ofstream(config) << R"({"computed_traits": [{"name": "watched_7d", "event": "Watched", "window": "7d"}],
                               "interests": {"category_properties": ["genre"], "weights": {"Watched": 2}}})";
  std::string data = dir.Sub("data"), fresh = dir.Sub("fresh");
  std::string output, rebuilt, direct;
  ASSERT_EQ(testing::RunAidmp({"import", "--data", data, "--quiet", file}, &output), 0) << output;
  ASSERT_EQ(testing::RunAidmp({"profile", "--data", data, "--user-id", "ann", "--at", "2023-01-04T00:00:00Z"}, &output), 0)
      << output;
  EXPECT_NE(output.find("\"orders_total\":1"), std::string::npos) << output;
  EXPECT_NE(output.find("\"count\":2"), std::string::npos) << output;  // two sessions
  EXPECT_EQ(output.find("watched_7d"), std::string::npos);
  EXPECT_NE(output.find("\"interests\":[]"), std::string::npos) << output;  // "genre" is not a default

  // No profile cache: every profile is written at each step, as before the cache.
  ASSERT_EQ(testing::RunAidmp({"rebuild", "profiles", "--data", data, "--quiet", "--profile-config", config,
                               "--profile-cache-mb", "0"},
                              &output),
            0)
      << output;
  EXPECT_NE(output.find("rebuilt from 4 events"), std::string::npos) << output;
  // The data directory remembers the config: no flag needed from now on.
  ASSERT_EQ(testing::RunAidmp({"profile", "--data", data, "--user-id", "ann", "--at", "2023-01-04T00:00:00Z"}, &rebuilt), 0)
      << rebuilt;
  EXPECT_NE(rebuilt.find("\"watched_7d\":2"), std::string::npos) << rebuilt;
  EXPECT_NE(rebuilt.find("\"tag\":\"comedy\",\"score\":1"), std::string::npos) << rebuilt;
  EXPECT_NE(rebuilt.find("\"tag\":\"drama\""), std::string::npos) << rebuilt;

  ASSERT_EQ(testing::RunAidmp({"import", "--data", fresh, "--quiet", "--profile-config", config, file}, &output), 0)
      << output;
  ASSERT_EQ(testing::RunAidmp({"profile", "--data", fresh, "--user-id", "ann", "--at", "2023-01-04T00:00:00Z"}, &direct), 0)
      << direct;
  // Everything but the events' receivedAt (the time of each import) is the same.
  EXPECT_EQ(rebuilt.substr(0, rebuilt.find("\"recent_events\"")), direct.substr(0, direct.find("\"recent_events\"")));

  EXPECT_NE(testing::RunAidmp({"profile", "--data", data, "--user-id", "nobody"}, &output), 0);
  EXPECT_NE(output.find("no person has userId 'nobody'"), std::string::npos) << output;
  EXPECT_NE(testing::RunAidmp({"profile", "--data", data}, &output), 0);
  EXPECT_NE(output.find("name the person"), std::string::npos) << output;
  EXPECT_EQ(testing::RunAidmp({"profile", "--data", data, "--anonymous-id", "b-phone"}, &output), 0) << output;
  EXPECT_NE(output.find("\"value\":\"bob\""), std::string::npos) << output;

  // Identity rules from a file: with one anonymousId per person, Bob's phone and a
  // second browser stay apart after a rebuild.
  std::ofstream(file, std::ios::app)
      << R"({"userId":"bob","anonymousId":"b-laptop","event":"Watched","timestamp":"2023-01-05T09:00:00Z"})" "\n";
  ASSERT_EQ(testing::RunAidmp({"import", "--data", data, "--quiet", file}, &output), 0) << output;
  ASSERT_EQ(testing::RunAidmp({"profile", "--data", data, "--user-id", "bob"}, &output), 0) << output;
  EXPECT_NE(output.find("b-laptop"), std::string::npos) << output;
  std::string rules = dir.Sub("identity.json");
  std::ofstream(rules) << R"({"max_per_person": {"anonymousId": 1}})";
  ASSERT_EQ(testing::RunAidmp({"rebuild", "profiles", "--data", data, "--quiet", "--identity-config", rules}, &output), 0)
      << output;
  EXPECT_NE(output.find("1 refused"), std::string::npos) << output;
  ASSERT_EQ(testing::RunAidmp({"profile", "--data", data, "--user-id", "bob"}, &output), 0) << output;
  std::string identifiers = output.substr(output.find("\"identifiers\""), output.find("\"absorbed_persons\"") - output.find("\"identifiers\""));
  EXPECT_EQ(identifiers.find("b-laptop"), std::string::npos) << output;  // refused: in the merge log only
  EXPECT_NE(output.find("anonymousId identifiers (the limit)"), std::string::npos) << output;
  std::ofstream(rules) << R"({"max_per_person": {"anonymousId": 0}})";
  EXPECT_NE(testing::RunAidmp({"rebuild", "profiles", "--data", data, "--identity-config", rules}, &output), 0);
  EXPECT_NE(output.find("max_per_person.anonymousId"), std::string::npos) << output;

  ASSERT_EQ(testing::RunAidmp({"segment", "count", "--data", data, "--at", "2023-01-06T00:00:00Z",
                               "did(\"Watched\", within: 7d) and computed.watched_7d >= 1"},
                              &output),
            0)
      << output;
  EXPECT_NE(output.find("2 of 2 persons match"), std::string::npos) << output;
  EXPECT_NE(testing::RunAidmp({"segment", "count", "--data", data, "traits.plan = "}, &output), 0);
  EXPECT_NE(output.find("line 1, column 15: expected a value"), std::string::npos) << output;
  ASSERT_EQ(testing::RunAidmp({"segment", "explain", "traits.a = 1 or traits.b = 2 and not traits.c exists"}, &output), 0);
  EXPECT_EQ(output, "(traits.a = 1 or (traits.b = 2 and not traits.c exists))\n");

  ASSERT_EQ(testing::RunAidmp({"erase", "--data", data, "--anonymous-id", "b-phone"}, &output), 0) << output;
  EXPECT_NE(output.find("\"events\":2"), std::string::npos) << output;
  EXPECT_NE(testing::RunAidmp({"profile", "--data", data, "--user-id", "bob"}, &output), 0);
  ASSERT_EQ(testing::RunAidmp({"events", "--data", data}, &output), 0);
  EXPECT_EQ(output.find("bob"), std::string::npos) << output;
  EXPECT_NE(output.find("ann"), std::string::npos) << output;
}

}  // namespace
}  // namespace aidmp
