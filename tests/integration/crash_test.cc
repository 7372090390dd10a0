// Durability: every event the collector acknowledged with 200 survives kill -9 of the
// server under load (RocksDB's crash-test idea: keep a shadow of what was
// acknowledged, kill, reopen, compare).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "common/strings.h"
#include "simdjson.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace aidmp {
namespace {

const std::vector<std::string> kServerArgs = {"--write-key", "wk", "--admin-key", "admin"};

// Every messageId stored, read back through the admin API once the indexer caught up.
std::multiset<std::string> ReadAllMessageIds(int port) {
  httplib::Client client("127.0.0.1", port);
  httplib::Headers admin = {{"Authorization", "Bearer admin"}};
  simdjson::dom::parser parser;
  // Wait (bounded) until the index has every logged event.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto stats = client.Get("/v1/stats", admin);
    if (stats && stats->status == 200) {
      simdjson::dom::element root;
      if (parser.parse(stats->body).get(root) == simdjson::SUCCESS) {
        uint64_t lag = 1;
        if (root["processors"]["event_index"]["lag_events"].get_uint64().get(lag) == simdjson::SUCCESS && lag == 0) {
          break;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::multiset<std::string> ids;
  std::string cursor;
  while (true) {
    std::string path = "/v1/events?limit=1000";
    if (!cursor.empty()) path += "&cursor=" + cursor;
    auto page = client.Get(path.c_str(), admin);
    EXPECT_TRUE(page && page->status == 200);
    if (!page || page->status != 200) break;
    simdjson::dom::element root = parser.parse(page->body);
    for (simdjson::dom::element event : root["events"].get_array()) {
      ids.insert(std::string(std::string_view(event["messageId"].get_string())));
    }
    std::string_view next;
    if (root["next_cursor"].get_string().get(next) != simdjson::SUCCESS) break;
    cursor = std::string(next);
  }
  return ids;
}

TEST(CrashTest, AcknowledgedEventsSurviveKill9UnderLoad) {
  testing::TempDir dir;
  std::string data = dir.Sub("data");
  std::set<std::string> acknowledged;
  std::mutex mu;
  std::atomic<uint64_t> next_id{0};
  for (int round_idx = 0; round_idx < 3; ++round_idx) {
    testing::ServerProcess server(data, kServerArgs);
    ASSERT_TRUE(server.WaitReady()) << "server did not start";
    std::atomic<bool> stop{false};
    std::atomic<int> acked_batches{0};
    std::vector<std::thread> clients;
    for (int client_idx = 0; client_idx < 6; ++client_idx) {
      clients.emplace_back([&] {
        httplib::Client client("127.0.0.1", server.port());
        client.set_tcp_nodelay(true);
        client.set_read_timeout(5, 0);
        httplib::Headers auth = {{"Authorization", StrCat("Basic ", Base64Encode("wk:"))}};
        while (!stop.load()) {
          std::vector<std::string> ids;
          std::string body = R"({"batch":[)";
          for (int event_idx = 0; event_idx < 50; ++event_idx) {
            ids.push_back(StrCat("crash-", next_id.fetch_add(1)));
            if (event_idx > 0) body += ",";
            body += StrCat(R"({"type":"track","userId":"u)", ids.back().size() % 7,
                           R"(","event":"Load","properties":{"n":)", event_idx, R"(},"messageId":")", ids.back(), "\"}");
          }
          body += "]}";
          auto result = client.Post("/v1/batch", auth, body, "application/json");
          if (!result) return;  // the server died mid-request: not acknowledged
          if (result->status != 200) continue;
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.insert(ids.begin(), ids.end());
          ++acked_batches;
        }
      });
    }
    // Kill once the server has acknowledged a fair amount, with requests in flight.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (acked_batches.load() < 200 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    server.KillAndWait(SIGKILL);
    stop = true;
    for (auto& client : clients) client.join();
    ASSERT_GE(acked_batches.load(), 200) << "too little load before the kill";
  }

  testing::ServerProcess server(data, kServerArgs);
  ASSERT_TRUE(server.WaitReady());
  std::multiset<std::string> stored = ReadAllMessageIds(server.port());
  size_t missing = 0;
  for (const auto& id : acknowledged) missing += stored.count(id) == 0;
  EXPECT_EQ(missing, 0u) << "acknowledged events lost after kill -9";
  std::set<std::string> distinct(stored.begin(), stored.end());
  EXPECT_EQ(distinct.size(), stored.size()) << "an event was stored twice";
  EXPECT_GE(stored.size(), acknowledged.size());

  // The dedup index kept its latest ids in memory when each kill came; it must know
  // them all again: every acknowledged id sent once more is a duplicate.
  httplib::Client client("127.0.0.1", server.port());
  httplib::Headers admin = {{"Authorization", "Bearer admin"}};
  httplib::Headers auth = {{"Authorization", StrCat("Basic ", Base64Encode("wk:"))}};
  auto counters = [&](uint64_t* stored_count, uint64_t* duplicates) {
    auto stats = client.Get("/v1/stats", admin);
    ASSERT_TRUE(stats && stats->status == 200);
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(stats->body);
    ASSERT_EQ(root["events_stored"].get_uint64().get(*stored_count), simdjson::SUCCESS);
    ASSERT_EQ(root["duplicates"].get_uint64().get(*duplicates), simdjson::SUCCESS);
  };
  uint64_t stored_before = 0, duplicates_before = 0;
  counters(&stored_before, &duplicates_before);
  std::vector<std::string> again(acknowledged.begin(), acknowledged.end());
  for (size_t start = 0; start < again.size(); start += 100) {
    std::string body = R"({"batch":[)";
    for (size_t idx = start; idx < std::min(again.size(), start + 100); ++idx) {
      if (idx > start) body += ",";
      body += StrCat(R"({"type":"track","userId":"again","event":"Resent","messageId":")", again[idx], "\"}");
    }
    body += "]}";
    auto result = client.Post("/v1/batch", auth, body, "application/json");
    ASSERT_TRUE(result && result->status == 200);
  }
  uint64_t stored_after = 0, duplicates_after = 0;
  counters(&stored_after, &duplicates_after);
  EXPECT_EQ(stored_after, stored_before) << "an acknowledged id was not known as seen after kill -9";
  EXPECT_EQ(duplicates_after - duplicates_before, again.size());
}

}  // namespace
}  // namespace aidmp
