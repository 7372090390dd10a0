// Loaders of the MovieLens layouts and generic CSV/JSONL, and their errors.
#include "recommend/dataset.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "testing/temp_dir.h"

namespace aidmp::recommend {
namespace {

void Write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

TEST(DatasetTest, MovieLens1mLayout) {
  testing::TempDir dir;
  Write(dir.Sub("ratings.dat"), "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n");
  // Latin-1 "é" in a title, a movie nobody rated (ignored), two genres.
  Write(dir.Sub("movies.dat"),
        "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
        "9::Caf\xE9 (1999)::Comedy\n");
  Write(dir.Sub("users.dat"), "1::F::1::10::48067\n2::M::56::16::70072\n");
  auto dataset = LoadMovieLens1m(dir.path());
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ(dataset->num_users(), 2);
  EXPECT_EQ(dataset->num_items(), 2);
  ASSERT_EQ(dataset->interactions.size(), 3u);
  EXPECT_EQ(dataset->user_ids[dataset->interactions[2].user], "2");
  EXPECT_EQ(dataset->item_ids[dataset->interactions[2].item], "1193");
  EXPECT_EQ(dataset->interactions[1].rating, 3);
  EXPECT_EQ(dataset->interactions[0].timestamp, 978300760);
  EXPECT_TRUE(dataset->explicit_ratings);
  int32_t peach = dataset->interactions[1].item;
  EXPECT_EQ(dataset->item_titles[peach], "James and the Giant Peach (1996)");
  std::set<std::string> genres;
  for (int32_t feature : dataset->item_features[peach]) genres.insert(dataset->feature_names[feature]);
  EXPECT_EQ(genres, (std::set<std::string>{"Animation", "Children's", "Musical"}));
}

TEST(DatasetTest, MovieLens1mMalformedLineNamesFileAndLine) {
  testing::TempDir dir;
  Write(dir.Sub("ratings.dat"), "1::1193::5::978300760\n1::661::3\n");
  auto dataset = LoadMovieLens1m(dir.path());
  ASSERT_FALSE(dataset.ok());
  EXPECT_NE(dataset.status().message().find("ratings.dat line 2"), std::string::npos) << dataset.status();
  Write(dir.Sub("ratings.dat"), "1::1193::five::978300760\n");
  dataset = LoadMovieLens1m(dir.path());
  ASSERT_FALSE(dataset.ok());
  EXPECT_NE(dataset.status().message().find("line 1: rating \"five\""), std::string::npos) << dataset.status();
  EXPECT_EQ(LoadMovieLens1m(dir.Sub("absent")).status().code(), absl::StatusCode::kNotFound);
}

TEST(DatasetTest, MovieLens100kLayoutWithGenreFlags) {
  testing::TempDir dir;
  Write(dir.Sub("u.data"), "196\t242\t3\t881250949\n186\t302\t3\t891717742\n");
  std::string flags_242 = "0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0";  // Comedy
  std::string flags_302 = "0|0|0|0|0|0|1|0|0|0|1|0|0|1|0|0|1|0|0";  // Crime, Film-Noir, Mystery, Thriller
  Write(dir.Sub("u.item"), "242|Kolya (1996)|24-Jan-1997||http://x|" + flags_242 + "\n302|L.A. Confidential (1997)|01-Jan-1997||http://y|" +
                               flags_302 + "\n");
  auto dataset = LoadMovieLens100k(dir.path());
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  ASSERT_EQ(dataset->num_items(), 2);
  ASSERT_EQ(dataset->item_features[0].size(), 1u);
  EXPECT_EQ(dataset->feature_names[dataset->item_features[0][0]], "Comedy");
  EXPECT_EQ(dataset->item_features[1].size(), 4u);
  EXPECT_EQ(dataset->item_titles[1], "L.A. Confidential (1997)");

  Write(dir.Sub("u.item"), "242|Kolya (1996)|24-Jan-1997||http://x|0|1\n");
  auto bad = LoadMovieLens100k(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("u.item line 1: expected 24"), std::string::npos) << bad.status();
}

TEST(DatasetTest, MovieLens20mLayoutWithQuotedTitles) {
  testing::TempDir dir;
  Write(dir.Sub("ratings.csv"), "userId,movieId,rating,timestamp\n1,2,3.5,1112486027\n1,29,4.0,1112484676\n");
  Write(dir.Sub("movies.csv"),
        "movieId,title,genres\n2,Jumanji (1995),Adventure|Children|Fantasy\n29,\"City of Lost Children, The (1995)\",(no genres listed)\n");
  auto dataset = LoadMovieLens20m(dir.path());
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ(dataset->interactions[0].rating, 3.5f);
  EXPECT_EQ(dataset->item_titles[1], "City of Lost Children, The (1995)");
  EXPECT_TRUE(dataset->item_features[1].empty());
  EXPECT_EQ(dataset->item_features[0].size(), 3u);
}

TEST(DatasetTest, GenericCsvWithChosenColumnsAndEvents) {
  testing::TempDir dir;
  Write(dir.Sub("events.csv"),
        "ts,who,what,action\n2024-01-01T00:00:00Z,ann,sku1,view\n1704070800,ann,sku1,purchase\n1704070900,bob,sku2,view\n"
        "1704071000,bob,sku3,ignore\n");
  TableOptions options;
  options.user_column = "who";
  options.item_column = "what";
  options.rating_column = "";
  options.event_column = "action";
  options.timestamp_column = "ts";
  options.event_weights = {{"view", 1}, {"purchase", 3}, {"ignore", 0}};
  auto dataset = LoadCsv(dir.Sub("events.csv"), options);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_FALSE(dataset->explicit_ratings);
  ASSERT_EQ(dataset->interactions.size(), 2u);  // ann-sku1 collapsed, bob-sku3 dropped
  EXPECT_EQ(dataset->interactions[0].rating, 3);
  EXPECT_EQ(dataset->interactions[0].timestamp, 1704070800);
  EXPECT_EQ(dataset->num_items(), 2);

  options.user_column = "user_id";
  auto missing = LoadCsv(dir.Sub("events.csv"), options);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("header has no column \"user_id\""), std::string::npos) << missing.status();

  Write(dir.Sub("bad.csv"), "user,item,rating\nann,sku1,5\nann,\"sku2,4\n");
  auto bad = LoadCsv(dir.Sub("bad.csv"), TableOptions());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.csv line 3: unterminated quoted field"), std::string::npos) << bad.status();
}

TEST(DatasetTest, GenericJsonl) {
  testing::TempDir dir;
  Write(dir.Sub("r.jsonl"), "{\"user\":1,\"item\":\"a\",\"rating\":4,\"timestamp\":100}\n\n{\"user\":\"2\",\"item\":\"b\",\"rating\":2.5}\n");
  auto dataset = LoadJsonl(dir.Sub("r.jsonl"), TableOptions());
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  ASSERT_EQ(dataset->interactions.size(), 2u);
  EXPECT_EQ(dataset->user_ids[0], "1");
  EXPECT_EQ(dataset->interactions[1].rating, 2.5f);
  EXPECT_EQ(dataset->interactions[0].timestamp, 100);

  Write(dir.Sub("r.jsonl"), "{\"user\":1,\"item\":\"a\",\"rating\":4}\n{\"user\":1,\"item\":\"a\",\n");
  auto bad = LoadDataset("jsonl", dir.path(), TableOptions());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("r.jsonl line 2: not valid JSON"), std::string::npos) << bad.status();
  Write(dir.Sub("r.jsonl"), "{\"user\":1,\"item\":[1],\"rating\":4}\n");
  bad = LoadJsonl(dir.Sub("r.jsonl"), TableOptions());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 1: member \"item\""), std::string::npos) << bad.status();
  EXPECT_FALSE(LoadDataset("xml", dir.path(), TableOptions()).ok());
}

TEST(DatasetTest, RealMovieLens100k) {
  std::string dir = testing::SharedDataDir("movielens-100k");
  if (dir.empty()) GTEST_SKIP() << "../shared/data/movielens-100k is absent; this test needs the real MovieLens 100k";
  auto dataset = LoadMovieLens100k(dir);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ(dataset->interactions.size(), 100000u);
  EXPECT_EQ(dataset->num_users(), 943);
  EXPECT_EQ(dataset->num_items(), 1682);
  EXPECT_EQ(dataset->feature_names.size(), 19u);
  int32_t with_genres = 0;
  for (const auto& features : dataset->item_features) with_genres += features.empty() ? 0 : 1;
  EXPECT_EQ(with_genres, 1682);
}

}  // namespace
}  // namespace aidmp::recommend
