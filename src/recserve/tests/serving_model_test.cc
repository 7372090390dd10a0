#include "recserve/serving_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/hash.h"
#include "recserve/model_store.h"
#include "testing/temp_dir.h"

namespace aidmp::recserve {
namespace {

ServingModel SmallModel() {
  ServingModel model;
  model.version = 7;
  model.algo = "ease";
  model.params = "lambda=250";
  model.trained_at_us = 1'700'000'000'000'000;
  model.data_until_us = 1'699'999'000'000'000;
  model.train_seconds = 1.5;
  model.interactions = 4;
  model.ranking = "hnsw m=16 ef_construction=200 ef=200";
  model.ann_recall = 0.96;
  model.ann_recall_persons = 200;
  model.items = {{"p1", "Dune", {"books", "sci-fi"}, 9.99}, {"p2", "", {}, std::nan("")}, {"p3", "Tetris", {"games"}, 1}};
  model.popularity = {2, 1, 1};
  model.persons = {101, 102};
  model.seen.Add({0, 1});
  model.seen.Add({0, 2});
  model.recommended.Add({{2, 0.5f}});
  model.recommended.Add({{1, 0.25f}});
  model.similar.Add({{1, 0.7f}, {2, 0.1f}});
  model.similar.Add({{0, 0.7f}});
  model.similar.Add({});
  model.BuildLookups();
  return model;
}

TEST(ServingModelTest, RoundTripsEveryField) {
  ServingModel model = SmallModel();
  auto decoded = DecodeServingModel(EncodeServingModel(model));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->version, 7u);
  EXPECT_EQ(decoded->algo, "ease");
  EXPECT_EQ(decoded->params, "lambda=250");
  EXPECT_EQ(decoded->trained_at_us, model.trained_at_us);
  EXPECT_EQ(decoded->data_until_us, model.data_until_us);
  EXPECT_EQ(decoded->train_seconds, 1.5);
  EXPECT_EQ(decoded->ranking, "hnsw m=16 ef_construction=200 ef=200");
  EXPECT_EQ(decoded->ann_recall, 0.96);
  EXPECT_EQ(decoded->ann_recall_persons, 200u);
  ASSERT_EQ(decoded->items.size(), 3u);
  EXPECT_EQ(decoded->items[0].categories, (std::vector<std::string>{"books", "sci-fi"}));
  EXPECT_EQ(decoded->items[0].price, 9.99);
  EXPECT_TRUE(std::isnan(decoded->items[1].price));
  EXPECT_EQ(decoded->popularity, model.popularity);
  EXPECT_EQ(decoded->persons, model.persons);
  EXPECT_EQ(decoded->seen.values, model.seen.values);
  EXPECT_EQ(decoded->seen.offsets, model.seen.offsets);
  ASSERT_EQ(decoded->recommended.values.size(), 2u);
  EXPECT_EQ(decoded->recommended.values[1].item, 1);
  EXPECT_EQ(decoded->recommended.values[1].score, 0.25f);
  EXPECT_EQ(decoded->similar.offsets, model.similar.offsets);
  EXPECT_EQ(decoded->FindUser(102), 1);
  EXPECT_EQ(decoded->FindUser(103), -1);
  EXPECT_EQ(decoded->FindItem("p3"), 2);
  EXPECT_EQ(decoded->by_popularity.front(), 0);
}

TEST(ServingModelTest, EveryTruncationAndFlippedByteIsACleanError) {
  std::string bytes = EncodeServingModel(SmallModel());
  for (size_t size = 0; size < bytes.size(); ++size) {
    auto decoded = DecodeServingModel(std::string_view(bytes).substr(0, size));
    ASSERT_FALSE(decoded.ok()) << size;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  }
  for (size_t at = 0; at < bytes.size(); ++at) {
    std::string corrupted = bytes;
    corrupted[at] ^= 0x20;
    EXPECT_FALSE(DecodeServingModel(corrupted).ok()) << at;
  }
}

TEST(ServingModelTest, AnIndexOutsideTheCatalogueIsRejectedEvenWithAGoodChecksum) {
  ServingModel model = SmallModel();
  model.similar.values[0].item = 3;  // there are 3 items: 0..2
  auto decoded = DecodeServingModel(EncodeServingModel(model));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("similar"), std::string_view::npos) << decoded.status();
}

// A file written before ranking and recall were stored (format 1) still serves: its lists
// were scored exactly. Built from today's encoding by taking the version 2 fields out.
TEST(ServingModelTest, FormatOneFilesDecodeAsExactlyRanked) {
  ServingModel model = SmallModel();
  model.ranking = "exact";
  std::string bytes = EncodeServingModel(model);
  const size_t header = 8 + 4 + 8 + (4 + model.algo.size()) + (4 + model.params.size()) + 8 + 8 + 8 + 8;
  const size_t added = (4 + model.ranking.size()) + 8 + 4;
  ASSERT_EQ(bytes.substr(header + 4, model.ranking.size()), "exact");
  std::string old = bytes.substr(0, header) + bytes.substr(header + added, bytes.size() - 8 - header - added);
  old[8] = 1;  // format version, little-endian
  uint64_t hash = Hash64(old, /*the format's seed=*/0x5eed5e7);
  for (int byte = 0; byte < 8; ++byte) old.push_back(static_cast<char>(hash >> (8 * byte)));
  auto decoded = DecodeServingModel(old);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->ranking, "exact");
  EXPECT_EQ(decoded->ann_recall_persons, 0u);
  EXPECT_EQ(decoded->recommended.values.size(), model.recommended.values.size());
  EXPECT_EQ(decoded->FindItem("p3"), 2);

  std::string future = bytes;
  future[8] = 3;
  future.resize(future.size() - 8);
  hash = Hash64(future, 0x5eed5e7);
  for (int byte = 0; byte < 8; ++byte) future.push_back(static_cast<char>(hash >> (8 * byte)));
  auto rejected = DecodeServingModel(future);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.status().message().find("format version 3 is not supported"), std::string_view::npos)
      << rejected.status();
}

TEST(ModelStoreTest, VersionsActivationAndPruning) {
  testing::TempDir dir;
  ModelStore store(dir.path(), /*keep=*/2);
  EXPECT_TRUE(absl::IsNotFound(store.ActiveVersion().status()));
  for (int i = 1; i <= 4; ++i) {
    ServingModel model = SmallModel();
    auto version = store.Save(&model, /*activate=*/i != 4);
    ASSERT_TRUE(version.ok()) << version.status();
    EXPECT_EQ(*version, static_cast<uint64_t>(i));
    EXPECT_EQ(model.version, static_cast<uint64_t>(i));
  }
  // Version 4 was saved without activating: 3 stays active and is kept beside the newest.
  EXPECT_EQ(*store.ActiveVersion(), 3u);
  auto list = store.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].version, 4u);
  EXPECT_FALSE((*list)[0].active);
  EXPECT_TRUE((*list)[1].active);
  EXPECT_NE((*list)[0].json.find("\"algo\":\"ease\""), std::string::npos) << (*list)[0].json;
  EXPECT_NE((*list)[0].json.find("\"ranking\":\"hnsw m=16 ef_construction=200 ef=200\",\"ann_recall\":0.96,"
                                 "\"ann_recall_persons\":200"),
            std::string::npos)
      << (*list)[0].json;
  EXPECT_TRUE(absl::IsNotFound(store.Load(1).status()));
  auto loaded = store.Load(4);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->version, 4u);
  EXPECT_TRUE(store.Activate(4).ok());
  EXPECT_EQ(*store.ActiveVersion(), 4u);
  EXPECT_TRUE(absl::IsNotFound(store.Activate(2)));
}

}  // namespace
}  // namespace aidmp::recserve
