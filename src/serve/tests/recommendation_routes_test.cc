// The recommendation API over HTTP: training, lists, similar items, the catalogue and
// model versions, and the errors each route gives for bad input.
#include "serve/recommendation_routes.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <thread>

#include "common/strings.h"
#include "serve/http_server.h"
#include "serve/tests/serving_test.h"
#include "simdjson.h"
#include "testing/temp_dir.h"

namespace aidmp::serve {
namespace {

std::string View(std::string_view user, std::string_view item, std::string_view category) {
  return StrCat(R"({"type":"track","userId":")", user, R"(","event":"Product Viewed","properties":{"product_id":")",
                item, R"(","category":")", category, R"("}})");
}

class RecommendationRoutesTest : public ServingTest {
 protected:
  void Start(int64_t retrain_every_us = 0) {
    ServerOptions options;
    options.threads = 4;
    options.retrain_every_us = retrain_every_us;
    options.train.algo = "itemknn";
    ASSERT_NO_FATAL_FAILURE(StartServer(options));
    std::string body = StrCat("{\"batch\":[", View("ann", "b1", "books"), ",", View("ann", "b2", "books"), ",",
                              View("ann", "b3", "books"), ",", View("bea", "b1", "books"), ",", View("bea", "b3", "books"),
                              ",", View("eve", "b1", "books"), ",", View("cid", "g1", "games"), ",",
                              View("cid", "g2", "games"), "]}");
    auto res = client_->Post("/v1/batch", httplib::Headers{{"Authorization", StrCat("Basic ", Base64Encode("wk:"))}},
                             body, "application/json");
    ASSERT_TRUE(res && res->status == 200);
    WaitIndexed();
  }

  httplib::Result Get(const std::string& path) {
    return client_->Get(path.c_str(), httplib::Headers{{"Authorization", "Bearer admin"}});
  }
  httplib::Result Post(const std::string& path, const std::string& body) {
    return client_->Post(path.c_str(), httplib::Headers{{"Authorization", "Bearer admin"}}, body, "application/json");
  }

  // The ids of the answer's items.
  static std::vector<std::string> Ids(const std::string& json) {
    simdjson::dom::parser parser;
    std::vector<std::string> ids;
    simdjson::dom::array items;
    if (parser.parse(json).at_key("items").get(items) != simdjson::SUCCESS) return {"<not an answer: " + json + ">"};
    for (simdjson::dom::element item : items) ids.emplace_back(std::string_view(item["id"]));
    return ids;
  }

};

TEST_F(RecommendationRoutesTest, TrainThenServeListsAndSimilarItems) {
  Start();
  auto res = Get("/v1/recommendations/lookup?type=userId&value=eve");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409) << res->body;  // no model yet
  EXPECT_NE(res->body.find("train"), std::string::npos);

  res = Post("/v1/recommender/train", R"({"algo": "itemknn", "params": {"k": 10}, "similar_per_item": 5})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_NE(res->body.find("\"version\":1"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("k=10"), std::string::npos) << res->body;

  res = Get("/v1/recommendations/lookup?type=userId&value=eve&k=2&explain=true");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(Ids(res->body), (std::vector<std::string>{"b3", "b2"})) << res->body;
  EXPECT_NE(res->body.find("\"model\":{\"version\":1,\"algo\":\"itemknn\""), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("\"personalized\":true"), std::string::npos);
  EXPECT_NE(res->body.find("{\"kind\":\"interacted\",\"item\":\"b1\""), std::string::npos) << res->body;

  res = Get("/v1/recommendations/lookup?type=userId&value=eve&k=2&category=games");
  ASSERT_TRUE(res);
  EXPECT_EQ(Ids(res->body), (std::vector<std::string>{"g1", "g2"})) << res->body;

  res = Get("/v1/items/g1/similar?k=1");
  ASSERT_TRUE(res);
  EXPECT_EQ(Ids(res->body), std::vector<std::string>{"g2"}) << res->body;
  res = Get("/v1/items/similar?id=g1&k=1");
  ASSERT_TRUE(res);
  EXPECT_EQ(Ids(res->body), std::vector<std::string>{"g2"}) << res->body;
  res = Get("/v1/items/similar");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  res = Get("/v1/items/popular?k=1");
  ASSERT_TRUE(res);
  EXPECT_EQ(Ids(res->body), std::vector<std::string>{"b1"}) << res->body;
  res = Get("/v1/items/b3");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("\"categories\":[\"books\"]"), std::string::npos) << res->body;

  res = Get("/v1/recommender/models");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("\"active\":1"), std::string::npos) << res->body;
}

TEST_F(RecommendationRoutesTest, BadRequestsGetClearErrors) {
  Start();
  ASSERT_EQ(Post("/v1/recommender/train", "")->status, 200);
  struct Case {
    std::string path;
    int status;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"/v1/recommendations/lookup?type=userId&value=eve&k=0", 400, "'k'"},
           {"/v1/recommendations/lookup?type=userId&value=eve&k=abc", 400, "'k'"},
           {"/v1/recommendations/lookup?type=userId&value=eve&explain=maybe", 400, "'explain'"},
           {"/v1/recommendations/lookup?type=userId&value=nobody", 404, ""},
           {"/v1/recommendations/lookup?type=shoeSize&value=9", 400, "'type'"},
           {"/v1/recommendations/99999999", 404, "unknown person"},
           {"/v1/recommendations/lookup?type=userId&value=eve&segment=nope", 400, "unknown segment"},
           {"/v1/items/nope/similar", 404, "not in the model"},
           {"/v1/items/nope", 404, "no item"},
       }) {
    auto res = Get(c.path);
    ASSERT_TRUE(res) << c.path;
    EXPECT_EQ(res->status, c.status) << c.path << " " << res->body;
    EXPECT_NE(res->body.find(c.says), std::string::npos) << c.path << " " << res->body;
  }
  auto res = client_->Get("/v1/recommendations/lookup?type=userId&value=eve");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  for (const auto& [body, says] : std::vector<std::pair<std::string, std::string>>{
           {"{\"algo\": 3}", "must be a string"},
           {"{\"algo\": \"nope\"}", "unknown algorithm"},
           {"{\"algo\": \"mf\"}", "does not rank"},
           {"{\"params\": {\"k\": \"ten\"}}", "params.k"},
           {"{\"colour\": 1}", "unknown member"},
           {"{\"ann\": \"sometimes\"}", "\\\"ann\\\" must be"},
           {"{\"hnsw_m\": 1}", "hnsw_m"},
           {"{\"hnsw_ef\": 2.5}", "hnsw_ef"},
           {"[1", "JSON object"}}) {
    res = Post("/v1/recommender/train", body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << body << " " << res->body;
    EXPECT_NE(res->body.find(says), std::string::npos) << body << " " << res->body;
  }
  res = Post("/v1/recommender/models/99/activate", "");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404) << res->body;
}

TEST_F(RecommendationRoutesTest, CatalogueImportAndActivation) {
  Start();
  auto res = Post("/v1/items", R"([{"id":"n1","title":"New book","categories":["books"],"price":12.5},{"title":"x"}])");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_NE(res->body.find("\"stored\":1"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("line 2: the item has no id"), std::string::npos) << res->body;
  res = Post("/v1/items?format=csv", "id,title,category\nn2,Another,games\n");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("\"stored\":1"), std::string::npos) << res->body;
  ASSERT_EQ(Post("/v1/recommender/train", R"({"algo":"itemknn"})")->status, 200);
  ASSERT_EQ(Post("/v1/recommender/train", R"({"algo":"ease"})")->status, 200);
  // The new book nobody touched yet is similar to the books by category.
  res = Get("/v1/items/n1/similar?k=1&explain=true");
  ASSERT_TRUE(res);
  EXPECT_EQ(Ids(res->body), std::vector<std::string>{"b1"}) << res->body;
  EXPECT_NE(res->body.find("\"source\":\"categories\""), std::string::npos) << res->body;
  res = Post("/v1/recommender/models/1/activate", "");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  res = Get("/v1/recommendations/lookup?type=userId&value=eve&k=1");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("\"algo\":\"itemknn\""), std::string::npos) << res->body;
}

TEST_F(RecommendationRoutesTest, TrainingWithAnnSaysHowItRankedAndItsRecall) {
  Start();
  auto res = Post("/v1/recommender/train",
                  R"({"algo": "als", "params": {"factors": 4}, "ann": "on", "hnsw_m": 8, "hnsw_ef": 50})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_NE(res->body.find("\"ranking\":\"hnsw m=8 ef_construction=200 ef=50\""), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("\"ann_recall\":1,"), std::string::npos) << res->body;  // a handful of items: all found
  res = Post("/v1/recommender/train", R"({"algo": "als", "params": {"factors": 4}, "ann": "off"})");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("\"ranking\":\"exact\""), std::string::npos) << res->body;
}

TEST_F(RecommendationRoutesTest, RetrainsOnASchedule) {
  Start(/*retrain_every_us=*/200'000);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string body;
  while (std::chrono::steady_clock::now() < deadline) {
    auto res = Get("/v1/recommender/models");
    ASSERT_TRUE(res);
    body = res->body;
    if (body.find("\"version\":2") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(body.find("\"version\":2"), std::string::npos) << body;
}

}  // namespace
}  // namespace aidmp::serve
