#include "recserve/item_catalogue.h"

#include <gtest/gtest.h>

#include "collect/tests/engine_fixture.h"

namespace aidmp::recserve {
namespace {

using CatalogueTest = collect::EngineTest;

TEST_F(CatalogueTest, ImportsJsonlAndReportsBadLines) {
  auto report = ImportItems(engine_->store(), "jsonl",
                            "{\"id\":\"p1\",\"title\":\"Dune\",\"categories\":[\"books\",\"sci-fi\"],\"price\":9.5}\n"
                            "\n"
                            "{\"product_id\":42,\"name\":\"Tetris\",\"category\":\"games\"}\n"
                            "{\"title\":\"no id\"}\n"
                            "{\"id\":\"p3\",\"price\":\"cheap\"}\n"
                            "not json\n");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->rows, 5u);
  EXPECT_EQ(report->stored, 2u);
  EXPECT_EQ(report->rejected, 3u);
  ASSERT_EQ(report->errors.size(), 3u);
  EXPECT_EQ(report->errors[0], "line 4: the item has no id");
  EXPECT_EQ(report->errors[1], "line 5: \"price\" must be a number");
  EXPECT_TRUE(report->errors[2].starts_with("line 6: malformed JSON")) << report->errors[2];
  auto item = GetItem(engine_->store(), "42");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->title, "Tetris");
  EXPECT_EQ(item->categories, std::vector<std::string>{"games"});
  EXPECT_TRUE(absl::IsNotFound(GetItem(engine_->store(), "p3").status()));
}

TEST_F(CatalogueTest, ImportsCsvWithQuotedTitles) {
  auto report = ImportItems(engine_->store(), "csv",
                            "item_id,title,genres,price\r\n"
                            "m1,\"Toy Story (1995)\",Animation|Children's|Comedy,\r\n"
                            "m2,\"Heat, the movie\",Action,12\r\n"
                            ",Nameless,Drama,1\r\n"
                            "m3,Bad price,Drama,abc\r\n");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->stored, 2u);
  EXPECT_EQ(report->rejected, 2u);
  std::vector<CatalogueItem> items;
  ASSERT_TRUE(ForEachItem(engine_->store(), [&](CatalogueItem item) { items.push_back(std::move(item)); }).ok());
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].title, "Toy Story (1995)");
  EXPECT_EQ(items[0].categories, (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  EXPECT_EQ(items[1].title, "Heat, the movie");
  EXPECT_EQ(items[1].price, 12);
  EXPECT_FALSE(ImportItems(engine_->store(), "csv", "title,price\nx,1\n").ok());
  EXPECT_FALSE(ImportItems(engine_->store(), "xml", "").ok());
}

}  // namespace
}  // namespace aidmp::recserve
