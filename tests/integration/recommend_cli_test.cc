// `aidmp eval recommend` as a user runs it, on a small generated MovieLens-1M-layout set.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <random>

#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace aidmp {
namespace {

// 60 users in three taste groups over 45 items, ratings 1-5, "::"-separated.
void WriteMovieLens1m(const std::string& dir) {
  std::ofstream ratings(dir + "/ratings.dat");
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (int user = 1; user <= 60; ++user) {
    int group = user % 3;
    for (int item = 1; item <= 45; ++item) {
      bool liked = (item % 3) == group;
      if (uniform(rng) > (liked ? 0.6 : 0.1)) continue;
      int rating = liked ? 4 + static_cast<int>(uniform(rng) * 2) : 1 + static_cast<int>(uniform(rng) * 3);
      ratings << user << "::" << item << "::" << rating << "::" << 978300000 + user * 100 + item << "\n";
    }
  }
  std::ofstream movies(dir + "/movies.dat");
  const char* genres[] = {"Comedy", "Drama|Romance", "Action|Sci-Fi"};
  for (int item = 1; item <= 45; ++item) movies << item << "::Movie " << item << " (1999)::" << genres[item % 3] << "\n";
}

TEST(RecommendCliTest, EvaluatesEveryRankingModelAsJsonLines) {
  testing::TempDir dir;
  WriteMovieLens1m(dir.path());
  std::string output;
  ASSERT_EQ(testing::RunAidmp({"eval", "recommend", "--input", dir.path(), "--format", "movielens-1m", "--protocol",
                               "recbole", "--algo", "all", "--json", "--seed", "3"},
                              &output),
            0)
      << output;
  simdjson::dom::parser parser;
  int lines = 0;
  double pop_ndcg = -1, ease_ndcg = -1;
  size_t begin = 0;
  while (begin < output.size()) {
    size_t end = output.find('\n', begin);
    std::string line = output.substr(begin, end - begin);
    begin = end == std::string::npos ? output.size() : end + 1;
    if (line.empty() || line[0] != '{') continue;
    simdjson::dom::element object;
    ASSERT_EQ(parser.parse(line).get(object), simdjson::SUCCESS) << line;
    std::string_view algo, protocol;
    ASSERT_EQ(object["algo"].get(algo), simdjson::SUCCESS) << line;
    ASSERT_EQ(object["protocol"].get(protocol), simdjson::SUCCESS) << line;
    EXPECT_EQ(protocol, "recbole");
    double ndcg = 0, recall = 0, seconds = 0;
    ASSERT_EQ(object["metrics"]["ndcg@10"].get(ndcg), simdjson::SUCCESS) << line;
    ASSERT_EQ(object["metrics"]["recall@10"].get(recall), simdjson::SUCCESS) << line;
    ASSERT_EQ(object["train_seconds"].get(seconds), simdjson::SUCCESS) << line;
    EXPECT_GE(ndcg, 0);
    EXPECT_LE(ndcg, 1);
    if (algo == "pop") pop_ndcg = ndcg;
    if (algo == "ease") ease_ndcg = ndcg;
    ++lines;
  }
  EXPECT_EQ(lines, 9) << output;  // pop userknn itemknn ease rp3beta als bpr content hybrid
  // The taste groups are learnable: a personalised model beats popularity.
  EXPECT_GT(ease_ndcg, pop_ndcg) << output;
}

TEST(RecommendCliTest, RatingCrossValidationTableAndErrors) {
  testing::TempDir dir;
  WriteMovieLens1m(dir.path());
  std::string output;
  ASSERT_EQ(testing::RunAidmp({"eval", "recommend", "--input", dir.path(), "--format", "movielens-1m", "--protocol",
                               "ratings-5fold", "--algo", "bias,mf,svdpp", "--tune"},
                              &output),
            0)
      << output;
  EXPECT_NE(output.find("rmse"), std::string::npos) << output;
  EXPECT_NE(output.find("\nmf "), std::string::npos) << output;
  EXPECT_NE(output.find("\nsvdpp "), std::string::npos) << output;

  EXPECT_NE(testing::RunAidmp({"eval", "recommend", "--input", dir.path(), "--format", "movielens-1m", "--algo", "svd"},
                              &output),
            0);
  EXPECT_NE(output.find("unknown --algo \"svd\""), std::string::npos) << output;
  std::ofstream(dir.Sub("ratings.dat"), std::ios::app) << "7::8\n";
  EXPECT_NE(testing::RunAidmp({"eval", "recommend", "--input", dir.path(), "--format", "movielens-1m"}, &output), 0);
  EXPECT_NE(output.find("ratings.dat line"), std::string::npos) << output;
}

// Training and serving from the command line on a data directory: import events, evaluate
// on them, train a model version, ask for a person's list and an item's neighbours.
TEST(RecommendCliTest, TrainsOnADataDirectoryAndRecommends) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  const std::string events = dir.path() + "/events.jsonl";
  {
    // 45 people in three taste groups over 30 items (group g likes items i with i % 3 == g).
    std::ofstream out(events);
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> uniform(0, 1);
    const char* categories[] = {"books", "games", "music"};
    for (int user = 0; user < 45; ++user) {
      for (int item = 0; item < 30; ++item) {
        if (item % 3 != user % 3 || uniform(rng) > 0.6) continue;
        out << R"({"type":"track","userId":"u)" << user << R"(","event":"Product Viewed","messageId":"m)" << user << "-"
            << item << R"(","timestamp":"2026-01-0)" << 1 + item % 9 << R"(T10:00:00Z","properties":{"product_id":"i)"
            << item << R"(","category":")" << categories[item % 3] << R"("}})" << "\n";
      }
    }
  }
  std::string output;
  ASSERT_EQ(testing::RunAidmp({"import", "--data", data, "--format", "jsonl", events}, &output), 0) << output;
  ASSERT_EQ(testing::RunAidmp({"eval", "recommend", "--input", data, "--format", "data-dir", "--algo", "itemknn",
                               "--json"},
                              &output),
            0)
      << output;
  EXPECT_NE(output.find("{\"algo\":\"itemknn\",\"protocol\":\"recbole\""), std::string::npos) << output;

  ASSERT_EQ(testing::RunAidmp({"train", "recommender", "--data", data, "--algo", "itemknn"}, &output), 0) << output;
  EXPECT_NE(output.find("\"version\":1,\"algo\":\"itemknn\""), std::string::npos) << output;
  EXPECT_NE(output.find("\"persons\":45"), std::string::npos) << output;

  ASSERT_EQ(testing::RunAidmp({"recommend", "--data", data, "--user-id", "u4", "-k", "3", "--json"}, &output), 0)
      << output;
  simdjson::dom::parser parser;
  std::string json = output.substr(output.find('{'));
  simdjson::dom::element answer;
  ASSERT_EQ(parser.parse(json).get(answer), simdjson::SUCCESS) << output;
  simdjson::dom::array items;
  ASSERT_EQ(answer["items"].get(items), simdjson::SUCCESS) << output;
  ASSERT_EQ(items.size(), 3u) << output;
  for (simdjson::dom::element item : items) {
    std::string_view category = item["categories"].at(0);
    EXPECT_EQ(category, "games") << output;  // u4 is in group 1: games
  }

  ASSERT_EQ(testing::RunAidmp({"items", "similar", "i3", "--data", data, "-k", "2"}, &output), 0) << output;
  EXPECT_NE(output.find("similar-items"), std::string::npos) << output;
  ASSERT_EQ(testing::RunAidmp({"recommender", "models", "--data", data}, &output), 0) << output;
  EXPECT_NE(output.find("* {\"version\":1"), std::string::npos) << output;
  EXPECT_NE(testing::RunAidmp({"recommend", "--data", data, "--user-id", "nobody"}, &output), 0);
  EXPECT_NE(testing::RunAidmp({"train", "recommender", "--data", data, "--algo", "nope"}, &output), 0);
  EXPECT_NE(output.find("unknown algorithm"), std::string::npos) << output;
}

}  // namespace
}  // namespace aidmp
