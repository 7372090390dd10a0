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

}  // namespace
}  // namespace aidmp
