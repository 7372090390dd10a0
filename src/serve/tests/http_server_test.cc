#include "serve/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <thread>

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "simdjson.h"
#include "serve/tests/serving_test.h"
#include "testing/temp_dir.h"

namespace aidmp::serve {
namespace {

std::string Gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

class HttpServerTest : public ServingTest {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.threads = 4;
    ASSERT_NO_FATAL_FAILURE(StartServer(options));
    client_->set_decompress(false);
  }

  httplib::Result Post(const std::string& path, const std::string& body, httplib::Headers headers = {}) {
    headers.emplace("Authorization", StrCat("Basic ", Base64Encode("wk:")));
    return client_->Post(path.c_str(), headers, body, "application/json");
  }

  httplib::Result Admin(const std::string& path) {
    return client_->Get(path.c_str(), httplib::Headers{{"Authorization", "Bearer admin"}});
  }

  static std::string ErrorMessage(const std::string& body) {
    simdjson::dom::parser parser;
    std::string_view message;
    if (parser.parse(body)["error"]["message"].get_string().get(message) != simdjson::SUCCESS) return "";
    return std::string(message);
  }
};

// The accept queue of the listening TCP socket on `port` (sock_diag reports it as the
// write queue of a listening socket); -1 if the kernel cannot be asked.
int ListenBacklog(int port) {
  int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -1;
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } query{};
  query.header.nlmsg_len = sizeof(query);
  query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  query.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  query.request.sdiag_family = AF_INET;
  query.request.sdiag_protocol = IPPROTO_TCP;
  query.request.idiag_states = 1u << TCP_LISTEN;
  int backlog = -1;
  if (::send(fd, &query, sizeof(query), 0) == static_cast<ssize_t>(sizeof(query))) {
    alignas(nlmsghdr) char buffer[32768];
    bool done = false;
    while (!done) {
      ssize_t count = ::recv(fd, buffer, sizeof(buffer), 0);
      if (count <= 0) break;
      int remaining = static_cast<int>(count);
      for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, remaining);
           header = NLMSG_NEXT(header, remaining)) {
        if (header->nlmsg_type == NLMSG_DONE || header->nlmsg_type == NLMSG_ERROR) {
          done = true;
          break;
        }
        const auto* socket = static_cast<const inet_diag_msg*>(NLMSG_DATA(header));
        if (ntohs(socket->id.idiag_sport) == port) backlog = static_cast<int>(socket->idiag_wqueue);
      }
    }
  }
  ::close(fd);
  return backlog;
}


TEST_F(HttpServerTest, ListensWithALargeBacklog) {
  // cpp-httplib 0.11 listens with a backlog of 5: a burst of connecting clients lost SYNs.
  int backlog = ListenBacklog(server_->port());
  if (backlog < 0) GTEST_SKIP() << "sock_diag is not available here";
  int somaxconn = HttpServer::kListenBacklog;
  std::ifstream("/proc/sys/net/core/somaxconn") >> somaxconn;
  EXPECT_EQ(backlog, std::min(somaxconn, HttpServer::kListenBacklog));
}

// The nice value of each of this process's threads (/proc/self/task/*/stat, field 19).
// Every thread of this process, by name, with its nice value.
std::multimap<std::string, int> ThreadNiceByName() {
  std::multimap<std::string, int> threads;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    size_t name_start = stat.find('(');
    size_t name_end = stat.rfind(')');  // the thread's name may hold spaces
    if (name_start == std::string::npos || name_end == std::string::npos) continue;
    std::istringstream fields(stat.substr(name_end + 1));
    std::string field;
    for (int field_idx = 3; field_idx <= 19 && fields >> field; ++field_idx) {
      if (field_idx == 19) threads.emplace(stat.substr(name_start + 1, name_end - name_start - 1), std::stoi(field));
    }
  }
  return threads;
}

// The nice values of the threads called `name`.
std::vector<int> NiceOf(const std::multimap<std::string, int>& threads, const std::string& name) {
  std::vector<int> values;
  for (auto [it, end] = threads.equal_range(name); it != end; ++it) values.push_back(it->second);
  return values;
}

TEST_F(HttpServerTest, ThreadsAreNamedAndRequestThreadsRunBelowTheWriter) {
  if (!std::filesystem::exists("/proc/self/task")) GTEST_SKIP() << "no /proc here";
  const int own = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  auto result = Post("/v1/track", R"({"userId":"u1","event":"Signed Up"})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  WaitIndexed();
  auto threads = ThreadNiceByName();
  std::string all;
  for (const auto& [name, nice] : threads) all += StrCat(" ", name, ":", nice);
  // The group-commit writer and the listener keep the process's priority.
  EXPECT_EQ(NiceOf(threads, "aidmp-commit"), std::vector<int>{own}) << all;
  EXPECT_EQ(NiceOf(threads, "aidmp-listen"), std::vector<int>{own}) << all;
  // Request threads lower their priority at their first connection: the one that
  // answered did; the others wait for theirs.
  const int lowered = std::min(19, own + ServerOptions().request_nice);
  std::vector<int> request = NiceOf(threads, "aidmp-request");
  EXPECT_EQ(request.size(), 4u) << all;  // the fixture's options.threads
  EXPECT_GE(std::count(request.begin(), request.end(), lowered), 1) << all;
  for (int nice : request) EXPECT_TRUE(nice == lowered || nice == own) << all;
  // The processors run lower still, each under its own name.
  const int background = std::min(19, own + collect::EngineOptions{}.processor_nice);
  EXPECT_EQ(NiceOf(threads, "event_index"), std::vector<int>{background}) << all;
  EXPECT_EQ(NiceOf(threads, "persons"), std::vector<int>{background}) << all;
}

TEST_F(HttpServerTest, TrackThenReadBack) {
  auto result = Post("/v1/track", R"({"userId":"u1","event":"Signed Up","messageId":"m1"})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_NE(result->body.find("\"stored\":1"), std::string::npos);
  WaitIndexed();
  auto events = Admin("/v1/events?userId=u1");
  ASSERT_TRUE(events);
  EXPECT_EQ(events->status, 200);
  EXPECT_NE(events->body.find("\"messageId\":\"m1\""), std::string::npos) << events->body;
  EXPECT_NE(events->body.find("\"next_cursor\":null"), std::string::npos);
  auto stats = Admin("/v1/stats");
  ASSERT_TRUE(stats);
  EXPECT_NE(stats->body.find("\"events_stored\":1"), std::string::npos) << stats->body;
  // The default lag bound is in force (background processors), and held nothing back.
  EXPECT_NE(stats->body.find("\"ingest\":{\"lag_bound_ms\":30000,\"held_back_ms\":0}"), std::string::npos)
      << stats->body;
}

TEST_F(HttpServerTest, PagesWithCursorsAndTimeRange) {
  std::string batch = R"({"batch":[)";
  for (int event_idx = 0; event_idx < 25; ++event_idx) {
    if (event_idx > 0) batch += ",";
    batch += StrCat(R"({"type":"track","userId":"p","event":"E","messageId":"m)", event_idx,
                    R"(","timestamp":"2024-01-01T00:00:)", event_idx < 10 ? "0" : "", event_idx, R"(Z"})");
  }
  batch += "]}";
  ASSERT_EQ(Post("/v1/batch", batch)->status, 200);
  WaitIndexed();
  std::string cursor;
  int total = 0;
  for (int page_idx = 0; page_idx < 10; ++page_idx) {
    std::string path = "/v1/events?userId=p&limit=10";
    if (!cursor.empty()) path += "&cursor=" + cursor;
    auto page = Admin(path);
    ASSERT_EQ(page->status, 200);
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(page->body);
    total += static_cast<int>(root["events"].get_array().size());
    std::string_view next;
    if (root["next_cursor"].get_string().get(next) != simdjson::SUCCESS) break;
    cursor = std::string(next);
  }
  EXPECT_EQ(total, 25);
  auto ranged = Admin("/v1/events?userId=p&from=2024-01-01T00:00:05Z&to=2024-01-01T00:00:07Z");
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(ranged->body)["events"].get_array().size(), 2u);
  auto bad = Admin("/v1/events?from=noon");
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(ErrorMessage(bad->body).find("from"), std::string::npos);
}

TEST_F(HttpServerTest, GzipBodiesAndTheirFailures) {
  std::string batch = R"({"batch":[{"type":"track","userId":"g","event":"Zipped","messageId":"z1"}]})";
  auto zipped = Post("/v1/batch", Gzip(batch), {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(zipped);
  EXPECT_EQ(zipped->status, 200) << zipped->body;
  EXPECT_NE(zipped->body.find("\"stored\":1"), std::string::npos);

  std::string truncated = Gzip(batch);
  truncated.resize(truncated.size() / 2);
  auto broken = Post("/v1/batch", truncated, {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 400);

  // A small gzip that inflates past the batch limit is refused after decompression.
  std::string bomb_body = StrCat(R"({"batch":[{"type":"track","userId":"b","event":"E","properties":{"x":")",
                                 std::string(4 << 20, 'a'), "\"}}]}");
  std::string bomb = Gzip(bomb_body);
  ASSERT_LT(bomb.size(), 64u << 10);
  auto refused = Post("/v1/batch", bomb, {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_NE(ErrorMessage(refused->body).find("limit"), std::string::npos) << refused->body;
  // And the server keeps serving.
  auto healthy = client_->Get("/healthz");
  ASSERT_TRUE(healthy);
  EXPECT_EQ(healthy->status, 200);
}

TEST_F(HttpServerTest, ErrorsAreJsonWithTheRightStatus) {
  auto wrong_key = client_->Post("/v1/track", httplib::Headers{{"Authorization", "Bearer nope"}},
                                 R"({"userId":"u","event":"E"})", "application/json");
  EXPECT_EQ(wrong_key->status, 401);
  EXPECT_NE(wrong_key->body.find("\"code\":\"unauthorized\""), std::string::npos);
  auto malformed = Post("/v1/track", "{\"userId\":");
  EXPECT_EQ(malformed->status, 400);
  EXPECT_NE(ErrorMessage(malformed->body).find("malformed JSON"), std::string::npos);
  auto oversize = Post("/v1/track", std::string(40 * 1024, ' '));
  EXPECT_EQ(oversize->status, 400);
  EXPECT_NE(ErrorMessage(oversize->body).find("limit"), std::string::npos);
  auto unknown = client_->Get("/v1/nothing");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_NE(unknown->body.find("\"code\":\"not_found\""), std::string::npos);
  auto no_admin = client_->Get("/v1/stats");
  EXPECT_EQ(no_admin->status, 401);
  EXPECT_NE(ErrorMessage(no_admin->body).find("admin"), std::string::npos);
  auto bad_reason = Admin("/v1/quarantine?reason=boredom");
  EXPECT_EQ(bad_reason->status, 400);
}

TEST_F(HttpServerTest, QuarantineListAndReplay) {
  ASSERT_EQ(Post("/v1/batch", R"({"batch":[{"type":"track","event":"Lost"},
                                          {"type":"track","userId":"u","event":"Kept"}]})")->status,
            200);
  auto listed = Admin("/v1/quarantine?reason=missing_identity");
  ASSERT_EQ(listed->status, 200);
  EXPECT_NE(listed->body.find("\"reason\":\"missing_identity\""), std::string::npos) << listed->body;
  EXPECT_NE(listed->body.find("Lost"), std::string::npos);
  auto replay = client_->Post("/v1/quarantine/replay", httplib::Headers{{"Authorization", "Bearer admin"}}, "",
                              "application/json");
  ASSERT_EQ(replay->status, 200);
  EXPECT_NE(replay->body.find("\"still_failing\":1"), std::string::npos) << replay->body;
}

TEST_F(HttpServerTest, PersonsJoinDevicesAtLoginAndShowTheirEvents) {
  ASSERT_EQ(Post("/v1/batch", R"({"batch":[
      {"type":"page","anonymousId":"phone","name":"Home","timestamp":"2024-01-01T10:00:00Z"},
      {"type":"page","anonymousId":"laptop","name":"Home","timestamp":"2024-01-01T11:00:00Z"},
      {"type":"identify","userId":"ann","anonymousId":"phone","traits":{"email":"ann@x.io"},"timestamp":"2024-01-01T12:00:00Z"},
      {"type":"track","userId":"ann","anonymousId":"laptop","event":"Bought","timestamp":"2024-01-01T13:00:00Z"},
      {"type":"track","userId":"bob","anonymousId":"laptop","event":"Borrowed","timestamp":"2024-01-01T14:00:00Z"}]})")
                ->status,
            200);
  WaitIndexed();
  auto ann = Admin("/v1/persons/lookup?type=userId&value=ann");
  ASSERT_EQ(ann->status, 200) << ann->body;
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(ann->body);
  EXPECT_EQ(root["identifiers"].get_array().size(), 4u) << ann->body;  // ann, phone, laptop, email
  EXPECT_EQ(root["recent_events"].get_array().size(), 4u) << ann->body;
  std::string_view newest = root["recent_events"].at(0)["event"].get_string();
  EXPECT_EQ(newest, "Bought");
  // Bob logged in on Ann's laptop: his own person, and the refused merge is on record.
  auto bob = Admin("/v1/persons/lookup?type=userId&value=bob");
  ASSERT_EQ(bob->status, 200);
  EXPECT_NE(bob->body.find("\"blocked\":true"), std::string::npos) << bob->body;
  EXPECT_NE(bob->body.find("Borrowed"), std::string::npos);
  uint64_t person_id = root["person_id"].get_uint64();
  EXPECT_EQ(Admin(StrCat("/v1/persons/", person_id))->status, 200);
  EXPECT_EQ(Admin("/v1/persons/lookup?type=userId&value=nobody")->status, 404);
  EXPECT_EQ(Admin("/v1/persons/lookup?type=cookie&value=x")->status, 400);
}

// The profile document: computed traits over windows, interests decayed and
// normalised, sessions per device, RFM against the other buyers; at= moves the clock.
TEST_F(HttpServerTest, ProfilesShowComputedTraitsInterestsSessionsAndRfm) {
  ASSERT_EQ(Post("/v1/batch", R"({"batch":[
      {"type":"track","userId":"cat","event":"Product Viewed","timestamp":"2024-03-01T10:00:00Z",
       "properties":{"product_id":"p1","category":"books"},"context":{"device":{"id":"phone"}}},
      {"type":"track","userId":"cat","event":"Product Viewed","timestamp":"2024-03-01T10:10:00Z",
       "properties":{"product_id":"p2","category":"books"},"context":{"device":{"id":"phone"}}},
      {"type":"track","userId":"cat","event":"Order Completed","timestamp":"2024-03-01T10:20:00Z",
       "properties":{"revenue":30,"products":[{"category":"games"}]},"context":{"device":{"id":"phone"}}},
      {"type":"track","userId":"cat","event":"Order Completed","timestamp":"2024-02-01T09:00:00Z",
       "properties":{"revenue":12.5,"products":[{"category":"books"}]}},
      {"type":"track","userId":"dan","event":"Order Completed","timestamp":"2023-01-01T09:00:00Z",
       "properties":{"revenue":1}}]})")
                ->status,
            200);
  WaitIndexed();
  auto cat = Admin("/v1/profiles/lookup?type=userId&value=cat&at=2024-03-02T00:00:00Z");
  ASSERT_EQ(cat->status, 200) << cat->body;
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(cat->body);
  simdjson::dom::element computed = root["computed_traits"];
  EXPECT_EQ(uint64_t(computed["orders_7d"]), 1u) << cat->body;
  EXPECT_EQ(uint64_t(computed["orders_90d"]), 2u);
  EXPECT_DOUBLE_EQ(double(computed["revenue_total"]), 42.5);
  EXPECT_EQ(uint64_t(computed["products_viewed"]), 2u);
  EXPECT_EQ(std::string_view(computed["favourite_category"]), "books");
  EXPECT_EQ(std::string_view(computed["last_order_at"]), "2024-03-01T10:20:00.000000Z");
  // games: 5 from the latest order; books: two views (1 + 1) and an order (5) from a
  // month before, decayed by about half: 4.55, so below games though undecayed it is 7.
  simdjson::dom::array interests = root["interests"];
  ASSERT_EQ(interests.size(), 2u);
  EXPECT_EQ(std::string_view(interests.at(0)["tag"]), "games");
  EXPECT_DOUBLE_EQ(double(interests.at(0)["score"]), 1.0);
  EXPECT_EQ(std::string_view(interests.at(1)["tag"]), "books");
  EXPECT_GT(double(interests.at(1)["score"]), 0.5);
  EXPECT_LT(double(interests.at(1)["score"]), 1.0);
  // Two devices: the phone's three events in one session, the February order alone.
  EXPECT_EQ(uint64_t(root["sessions"]["count"]), 2u);
  EXPECT_EQ(uint64_t(root["sessions"]["devices"]), 2u);
  EXPECT_EQ(uint64_t(root["sessions"]["recent"].at(0)["events"]), 3u);
  // Cat bought more, more recently, for more than Dan.
  EXPECT_EQ(uint64_t(root["rfm"]["frequency"]), 2u);
  EXPECT_GT(int64_t(root["rfm"]["r"]), 1);
  // A month on, the 7-day window is empty.
  auto later = Admin("/v1/profiles/lookup?type=userId&value=cat&at=2024-04-02T00:00:00Z");
  ASSERT_EQ(later->status, 200);
  EXPECT_NE(later->body.find("\"orders_7d\":0"), std::string::npos) << later->body;
  EXPECT_EQ(Admin("/v1/profiles/lookup?type=userId&value=cat&at=yesterday")->status, 400);
  EXPECT_EQ(Admin(StrCat("/v1/profiles/", uint64_t(root["person_id"])))->status, 200);
  EXPECT_EQ(client_->Get("/v1/profiles/1")->status, 401);
}

TEST_F(HttpServerTest, DeleteErasesAPersonAndSuppressesThem) {
  ASSERT_EQ(Post("/v1/batch", R"({"batch":[
      {"type":"identify","userId":"eve","anonymousId":"eve-phone","traits":{"email":"eve@x.io"}},
      {"type":"track","userId":"eve","event":"Viewed"},
      {"type":"track","userId":"fay","event":"Viewed"}]})")
                ->status,
            200);
  WaitIndexed();
  auto unauthorised = client_->Delete("/v1/profiles/lookup?type=userId&value=eve");
  EXPECT_EQ(unauthorised->status, 401);
  httplib::Headers admin = {{"Authorization", "Bearer admin"}};
  auto erased = client_->Delete("/v1/profiles/lookup?type=userId&value=eve", admin);
  ASSERT_EQ(erased->status, 200) << erased->body;
  EXPECT_NE(erased->body.find("\"events\":2"), std::string::npos) << erased->body;
  for (const char* personal : {"\"eve\"", "eve-phone", "eve@"}) EXPECT_EQ(erased->body.find(personal), std::string::npos) << erased->body;
  EXPECT_EQ(Admin("/v1/profiles/lookup?type=userId&value=eve")->status, 404);
  EXPECT_EQ(Admin("/v1/profiles/lookup?type=anonymousId&value=eve-phone")->status, 404);
  EXPECT_EQ(Admin("/v1/profiles/lookup?type=userId&value=fay")->status, 200);
  EXPECT_EQ(client_->Delete("/v1/profiles/lookup?type=userId&value=eve", admin)->status, 404);
  EXPECT_EQ(client_->Delete("/v1/profiles/999999", admin)->status, 404);
  auto again = Post("/v1/track", R"({"anonymousId":"eve-phone","event":"Back"})");
  ASSERT_EQ(again->status, 200);
  EXPECT_NE(again->body.find("\"suppressed\":1"), std::string::npos) << again->body;
  auto log = Admin("/v1/erasures");
  ASSERT_EQ(log->status, 200);
  EXPECT_NE(log->body.find("\"identifiers\":3"), std::string::npos) << log->body;
  EXPECT_NE(Admin("/v1/stats")->body.find("\"erasures\":1"), std::string::npos);
}

// as_of shows the person before a merge; POST /v1/identity/unmerge undoes it.
TEST_F(HttpServerTest, AsOfBeforeAMergeAndUnmerge) {
  ASSERT_EQ(Post("/v1/batch", R"({"batch":[
      {"type":"identify","userId":"gus","anonymousId":"gus-laptop","traits":{"plan":"free"}},
      {"type":"track","anonymousId":"shared-tablet","event":"Product Viewed","properties":{"category":"toys"}}]})")
                ->status,
            200);
  WaitIndexed();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string before = FormatIso8601Micros(SystemClock::Default()->NowMicros());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(Post("/v1/track", R"({"userId":"gus","anonymousId":"shared-tablet","event":"Signed In"})")->status, 200);
  WaitIndexed();
  auto now = Admin("/v1/profiles/lookup?type=userId&value=gus");
  ASSERT_EQ(now->status, 200);
  simdjson::dom::parser parser;
  simdjson::dom::element current = parser.parse(now->body);
  EXPECT_EQ(uint64_t(current["events"]), 3u) << now->body;
  uint64_t merge_id = 0;
  for (simdjson::dom::element merge : current["merges"].get_array()) {
    if (!bool(merge["blocked"])) merge_id = uint64_t(merge["id"]);
  }
  ASSERT_NE(merge_id, 0u) << now->body;

  auto then = Admin(StrCat("/v1/profiles/lookup?type=userId&value=gus&as_of=", before));
  ASSERT_EQ(then->status, 200) << then->body;
  simdjson::dom::parser then_parser;
  simdjson::dom::element old = then_parser.parse(then->body);
  EXPECT_EQ(uint64_t(old["events"]), 1u) << then->body;
  EXPECT_EQ(old["identifiers"].get_array().size(), 2u) << then->body;  // gus and his laptop, not the tablet
  EXPECT_EQ(old["merges"].get_array().size(), 0u);
  auto tablet_then = Admin(StrCat("/v1/profiles/lookup?type=anonymousId&value=shared-tablet&as_of=", before));
  ASSERT_EQ(tablet_then->status, 200) << tablet_then->body;
  EXPECT_NE(tablet_then->body.find("\"toys\""), std::string::npos);
  EXPECT_EQ(tablet_then->body.find("gus"), std::string::npos) << tablet_then->body;
  EXPECT_EQ(Admin("/v1/profiles/lookup?type=userId&value=gus&as_of=1970-01-01T00:00:00Z")->status, 404);

  httplib::Headers admin = {{"Authorization", "Bearer admin"}};
  EXPECT_EQ(client_->Post("/v1/identity/unmerge", admin, "{}", "application/json")->status, 400);
  auto undone = client_->Post("/v1/identity/unmerge", admin, StrCat("{\"merge\":", merge_id, "}"), "application/json");
  ASSERT_EQ(undone->status, 200) << undone->body;
  EXPECT_NE(undone->body.find("\"events_reattributed\":3"), std::string::npos) << undone->body;
  auto gus = Admin("/v1/profiles/lookup?type=userId&value=gus");
  EXPECT_NE(gus->body.find("\"events\":2"), std::string::npos) << gus->body;
  EXPECT_EQ(gus->body.find("\"toys\""), std::string::npos) << gus->body;
  EXPECT_EQ(client_->Post("/v1/identity/unmerge", admin, StrCat("{\"merge\":", merge_id, "}"), "application/json")->status,
            409);
}

TEST_F(HttpServerTest, SegmentCountOfAnAdHocExpression) {
  ASSERT_EQ(Post("/v1/batch", R"({"batch":[
      {"type":"identify","userId":"h1","traits":{"country":"CN"},"timestamp":"2024-06-01T10:00:00Z"},
      {"type":"track","userId":"h1","event":"Order Completed","properties":{"revenue":150},"timestamp":"2024-06-02T10:00:00Z"},
      {"type":"track","userId":"h1","event":"Order Completed","properties":{"revenue":120},"timestamp":"2024-06-03T10:00:00Z"},
      {"type":"identify","userId":"h2","traits":{"country":"CN"},"timestamp":"2024-06-01T10:00:00Z"},
      {"type":"track","userId":"h2","event":"Order Completed","properties":{"revenue":50},"timestamp":"2024-06-02T10:00:00Z"},
      {"type":"identify","userId":"h3","traits":{"country":"DE"},"timestamp":"2024-06-01T10:00:00Z"}]})")
                ->status,
            200);
  WaitIndexed();
  httplib::Headers admin = {{"Authorization", "Bearer admin"}};
  auto count = [&](const std::string& expression) {
    std::string body;
    AppendJsonString(&body, expression);
    return client_->Post("/v1/segments/count?at=2024-06-05T00:00:00Z", admin, StrCat("{\"expression\":", body, "}"),
                         "application/json");
  };
  auto cn = count(R"(traits.country = "CN")");
  ASSERT_EQ(cn->status, 200) << cn->body;
  EXPECT_NE(cn->body.find("\"count\":2,\"persons\":3"), std::string::npos) << cn->body;
  auto buyers = count(R"(traits.country = "CN" and did("Order Completed", within: 7d, count >= 2, where: revenue > 100))");
  ASSERT_EQ(buyers->status, 200) << buyers->body;
  EXPECT_NE(buyers->body.find("\"count\":1,"), std::string::npos) << buyers->body;
  auto explained = client_->Post("/v1/segments/count?at=2024-06-05T00:00:00Z", admin,
                                 R"js({"expression":"traits.country = \"CN\" and did(\"Order Completed\", within: 7d, count >= 2)","explain":true})js",
                                 "application/json");
  ASSERT_EQ(explained->status, 200) << explained->body;
  EXPECT_NE(explained->body.find("\"count\":1,"), std::string::npos) << explained->body;
  EXPECT_NE(explained->body.find("\"how\":\"value bitmaps\""), std::string::npos) << explained->body;
  // h1 (two orders) is decided by their daily counts, h2 (one) by the counter: no events read.
  EXPECT_NE(explained->body.find("event counter bounds, daily counts of 1 people, then events of 0 people"), std::string::npos)
      << explained->body;
  auto later = client_->Post("/v1/segments/count?at=2024-07-30T00:00:00Z", admin,
                             R"js({"expression":"did(\"Order Completed\", within: 7d)"})js", "application/json");
  EXPECT_NE(later->body.find("\"count\":0,"), std::string::npos) << later->body;
  auto bad = count(R"(traits.country = )");
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("line 1, column 18: expected a value"), std::string::npos) << bad->body;
  auto unknown = count("computed.nope > 1");
  EXPECT_EQ(unknown->status, 400);
  EXPECT_NE(unknown->body.find("no computed trait 'nope'"), std::string::npos) << unknown->body;
  EXPECT_EQ(client_->Post("/v1/segments/count", admin, "[]", "application/json")->status, 400);
  EXPECT_EQ(client_->Post("/v1/segments/count", "{\"expression\":\"traits.a = 1\"}", "application/json")->status, 401);
}

TEST_F(HttpServerTest, LivingSegmentExportOverlapAndHistory) {
  ASSERT_EQ(Post("/v1/batch", R"js({"batch":[
      {"type":"identify","userId":"m1","traits":{"country":"CN","email":"M1@example.com"}},
      {"type":"identify","userId":"m2","traits":{"country":"CN"},
       "context":{"consent":{"categoryPreferences":{"advertising":false}}}},
      {"type":"identify","userId":"m3","traits":{"country":"DE","plan":"pro"}},
      {"type":"identify","userId":"m4","traits":{"country":"CN","plan":"pro"}}]})js")
                ->status,
            200);
  WaitIndexed();
  httplib::Headers admin = {{"Authorization", "Bearer admin"}};
  auto save = [&](const std::string& body) { return client_->Post("/v1/segments", admin, body, "application/json"); };
  auto china = save(R"js({"name":"china","expression":"traits.country = \"CN\""})js");
  ASSERT_EQ(china->status, 200) << china->body;
  EXPECT_NE(china->body.find("\"size\":3"), std::string::npos) << china->body;
  ASSERT_EQ(save(R"js({"name":"pro","expression":"traits.plan = \"pro\""})js")->status, 200);

  // Export for an ad platform: hashed emails, and m2 refused advertising.
  auto csv = Admin("/v1/segments/china/members?format=csv&identifiers=userId,emailHash");
  ASSERT_EQ(csv->status, 200) << csv->body;
  EXPECT_EQ(csv->get_header_value("X-Excluded-By-Consent"), "1");
  EXPECT_EQ(csv->body.rfind("person,userId,emailHash\n", 0), 0u) << csv->body;
  EXPECT_NE(csv->body.find(StrCat(",m1,", HashEmail("M1@example.com"))), std::string::npos) << csv->body;
  EXPECT_EQ(csv->body.find("m2"), std::string::npos) << csv->body;
  EXPECT_NE(csv->body.find(",m4,\n"), std::string::npos) << csv->body;
  // Without the consent filter (a CRM sync, say), and paged one at a time.
  std::string after = "0";
  std::vector<std::string> pages;
  for (int guard = 0; guard < 10 && after != ""; ++guard) {
    auto page = Admin(StrCat("/v1/segments/china/members?format=jsonl&purpose=none&limit=1&after=", after));
    ASSERT_EQ(page->status, 200) << page->body;
    if (!page->body.empty()) pages.push_back(page->body);
    after = page->get_header_value("X-Next-Cursor");
    if (after == "0") after = "";
  }
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_NE(pages[1].find("\"userId\":[\"m2\"]"), std::string::npos) << pages[1];
  EXPECT_EQ(Admin("/v1/segments/china/members?identifiers=cookie")->status, 400);
  EXPECT_EQ(Admin("/v1/segments/nope/members")->status, 404);

  // Overlap for planning, and a membership check.
  auto overlap = client_->Post("/v1/segments/overlap", admin, R"({"a":"china","b":"pro"})", "application/json");
  ASSERT_EQ(overlap->status, 200) << overlap->body;
  EXPECT_NE(overlap->body.find("\"a_size\":3,\"b_size\":2,\"both\":1,\"a_only\":2,\"b_only\":1,\"either\":4"),
            std::string::npos)
      << overlap->body;
  auto m4 = Admin("/v1/profiles/lookup?type=userId&value=m4");
  ASSERT_EQ(m4->status, 200);
  std::string person = m4->body.substr(m4->body.find("\"person_id\":") + 12);
  person = person.substr(0, person.find_first_not_of("0123456789"));
  EXPECT_NE(Admin(StrCat("/v1/segments/pro/members/", person))->body.find("\"member\":true"), std::string::npos);

  // m4 moves to Germany: they leave "china" as the event streams in; the history says so.
  ASSERT_EQ(Post("/v1/identify", R"({"userId":"m4","traits":{"country":"DE"}})")->status, 200);
  WaitIndexed();
  for (int tries = 0; tries < 100; ++tries) {
    if (Admin(StrCat("/v1/segments/china/members/", person))->body.find("\"member\":false") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto history = Admin("/v1/segments/china/history");
  ASSERT_EQ(history->status, 200) << history->body;
  EXPECT_NE(history->body.find(StrCat("\"person\":", person, ",\"change\":\"exited\"")), std::string::npos)
      << history->body;
  EXPECT_NE(history->body.find("\"size\":2}"), std::string::npos) << history->body;
  // Lookalikes of "china" (m1, m2): the two people not in it, m3 and m4.
  auto lookalike = client_->Post("/v1/segments/china/lookalike", admin, R"({"size": 5, "check_recall": true})",
                                 "application/json");
  ASSERT_EQ(lookalike->status, 200) << lookalike->body;
  EXPECT_NE(lookalike->body.find("\"seed\":2,"), std::string::npos) << lookalike->body;
  EXPECT_NE(lookalike->body.find("\"recall_vs_exact\":1"), std::string::npos) << lookalike->body;
  EXPECT_NE(lookalike->body.find(StrCat("{\"person\":", person, ",")), std::string::npos) << lookalike->body;
  EXPECT_EQ(client_->Post("/v1/segments/china/lookalike", admin, R"({"size": -1})", "application/json")->status, 400);
  auto refresh = client_->Post("/v1/segments/refresh", admin, "", "application/json");
  ASSERT_EQ(refresh->status, 200) << refresh->body;
  EXPECT_NE(refresh->body.find("{\"name\":\"china\",\"size\":2,\"entered\":0,\"exited\":0}"), std::string::npos)
      << refresh->body;
}

TEST_F(HttpServerTest, SavedSegmentsAndInSegment) {
  ASSERT_EQ(Post("/v1/batch", R"js({"batch":[
      {"type":"identify","userId":"k1","traits":{"country":"CN","plan":"pro"}},
      {"type":"identify","userId":"k2","traits":{"country":"CN","plan":"free"}},
      {"type":"identify","userId":"k3","traits":{"country":"DE","plan":"pro"}}]})js")
                ->status,
            200);
  WaitIndexed();
  httplib::Headers admin = {{"Authorization", "Bearer admin"}};
  auto save = [&](const std::string& body) { return client_->Post("/v1/segments", admin, body, "application/json"); };
  auto saved = save(R"js({"name":"china","expression":"traits.country = \"CN\""})js");
  ASSERT_EQ(saved->status, 200) << saved->body;
  ASSERT_EQ(save(R"js({"name":"china-pro","expression":"in_segment(\"china\") and traits.plan = \"pro\""})js")->status, 200);
  auto count = client_->Post("/v1/segments/count", admin, R"js({"expression":"in_segment(\"china-pro\")"})js",
                             "application/json");
  EXPECT_NE(count->body.find("\"count\":1,"), std::string::npos) << count->body;
  auto not_china = client_->Post("/v1/segments/count", admin, R"js({"expression":"not in_segment(\"china\")"})js",
                                 "application/json");
  EXPECT_NE(not_china->body.find("\"count\":1,"), std::string::npos) << not_china->body;
  // A cycle, an unknown reference and a bad name are refused; a used segment stays.
  auto cycle = save(R"js({"name":"china","expression":"in_segment(\"china-pro\")"})js");
  EXPECT_EQ(cycle->status, 400);
  EXPECT_NE(cycle->body.find("refer to itself"), std::string::npos) << cycle->body;
  auto unknown = save(R"js({"name":"x","expression":"in_segment(\"nope\")"})js");
  EXPECT_EQ(unknown->status, 400);
  EXPECT_NE(unknown->body.find("line 1, column 1: no segment named 'nope'"), std::string::npos) << unknown->body;
  EXPECT_EQ(save(R"js({"name":"bad name!","expression":"traits.a = 1"})js")->status, 400);
  auto in_use = client_->Delete("/v1/segments/china", admin);
  EXPECT_EQ(in_use->status, 409);
  EXPECT_NE(in_use->body.find("used by: china-pro"), std::string::npos) << in_use->body;
  auto list = Admin("/v1/segments");
  EXPECT_NE(list->body.find("\"name\":\"china-pro\""), std::string::npos) << list->body;
  EXPECT_NE(list->body.find("\"size\":"), std::string::npos) << list->body;  // every entry has its size
  EXPECT_EQ(Admin("/v1/segments/china")->status, 200);
  EXPECT_EQ(client_->Delete("/v1/segments/china-pro", admin)->status, 200);
  EXPECT_EQ(client_->Delete("/v1/segments/china", admin)->status, 200);
  EXPECT_EQ(Admin("/v1/segments/china")->status, 404);
}

TEST_F(HttpServerTest, MetricsArePrometheusText) {
  ASSERT_EQ(Post("/v1/track", R"({"userId":"u","event":"E"})")->status, 200);
  ASSERT_EQ(Post("/v1/track", R"({"event":"E"})")->status, 200);
  auto metrics = client_->Get("/metrics");
  ASSERT_EQ(metrics->status, 200);
  for (const char* expected :
       {"aidmp_events_received_total 2", "aidmp_events_stored_total 1",
        "aidmp_events_quarantined_total{reason=\"missing_identity\"} 1", "aidmp_events_duplicate_total 0",
        "aidmp_http_request_duration_seconds_bucket{route=\"collect\",le=\"+Inf\"}",
        "aidmp_processor_lag_events{processor=\"event_index\"}", "aidmp_dedup_ids_in_memory 1",
        "aidmp_ingest_backpressure_seconds_total 0\n"}) {
    EXPECT_NE(metrics->body.find(expected), std::string::npos) << expected << "\n" << metrics->body;
  }
}

}  // namespace
}  // namespace aidmp::serve
