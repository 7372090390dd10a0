#include "collect/importer.h"

#include <fstream>

#include "collect/tests/engine_fixture.h"

namespace aidmp::collect {
namespace {

class ImporterTest : public EngineTest {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.Sub(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
};

TEST_F(ImporterTest, JsonlThroughTheCleaningPathAndIdempotent) {
  std::string path = Write("events.jsonl",
                           "{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"email\":\"X@Y.z\"},\"messageId\":\"i1\"}\n"
                           "{\"userId\":\"u1\",\"event\":\"Clicked\",\"timestamp\":\"2020-01-01T00:00:00Z\",\"messageId\":\"t1\"}\n"
                           "\n"
                           "{\"event\":\"No One\"}\n"
                           "{not json\n");
  ImportOptions options;
  options.format = ImportFormat::kJsonl;
  auto report = ImportFile(engine_.get(), path, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->rows_read, 4u);
  EXPECT_EQ(report->stored, 2u);
  EXPECT_EQ(report->quarantined, 2u);
  EXPECT_EQ(report->quarantined_by_reason["missing_identity"], 1u);
  EXPECT_EQ(report->quarantined_by_reason["malformed_json"], 1u);
  auto again = ImportFile(engine_.get(), path, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored, 0u);
  EXPECT_EQ(again->duplicates, 2u);
}

TEST_F(ImporterTest, CsvWithColumnMapping) {
  std::string path = Write("orders.csv",
                           "customer,action,when,amount,sku,note\n"
                           "c1,Order Completed,2021-03-04T05:06:07Z,12.50,A-1,\"a, quoted \"\"note\"\"\"\n"
                           "c2,Order Completed,1614834367000,3,B-2,\n"
                           "c3,Order Completed,yesterday,1,C-3,\n"
                           "c4,too,few\n"
                           "\"c5,unbalanced\n");
  auto mapping = ParseCsvMapping("user_id=customer,event=action,timestamp=when,revenue=amount");
  ASSERT_TRUE(mapping.ok());
  ImportOptions options;
  options.format = ImportFormat::kCsv;
  options.csv = *mapping;
  auto report = ImportFile(engine_.get(), path, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->rows_read, 5u);
  EXPECT_EQ(report->stored, 2u);
  EXPECT_EQ(report->quarantined_by_reason["invalid_timestamp"], 1u);
  EXPECT_EQ(report->quarantined_by_reason["import_row_invalid"], 2u);
  index::EventFilter filter;
  filter.user_id = "c1";
  auto stored = Stored(filter);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_NE(stored[0].find("\"revenue\":12.5"), std::string::npos) << stored[0];
  EXPECT_NE(stored[0].find("\"sku\":\"A-1\""), std::string::npos);
  EXPECT_NE(stored[0].find("a, quoted \\\"note\\\""), std::string::npos);
  EXPECT_NE(stored[0].find("2021-03-04T05:06:07.000000Z"), std::string::npos);
}

TEST_F(ImporterTest, CsvMappingErrorsNameTheProblem) {
  EXPECT_FALSE(ParseCsvMapping("user_id").ok());
  EXPECT_FALSE(ParseCsvMapping("user_id=u,event=e,price= ").ok());  // found by fuzzing
  auto mapping = ParseCsvMapping("user_id=missing,event_name=X");
  ASSERT_TRUE(mapping.ok());
  ImportOptions options;
  options.format = ImportFormat::kCsv;
  options.csv = *mapping;
  auto report = ImportFile(engine_.get(), Write("x.csv", "a,b\n1,2\n"), options);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("missing"), std::string::npos);
  EXPECT_TRUE(absl::IsNotFound(ImportFile(engine_.get(), dir_.Sub("nope.csv"), options).status()));
  EXPECT_FALSE(ParseImportFormat("xml").ok());
}

TEST(CsvTest, SplitsQuotedFields) {
  std::vector<std::string> fields;
  ASSERT_TRUE(SplitCsvLine(R"(a,"b,c","d""e",,f)", ',', &fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"a", "b,c", "d\"e", "", "f"}));
  EXPECT_FALSE(SplitCsvLine(R"(a,"b)", ',', &fields));
  EXPECT_EQ(Latin1ToUtf8("caf\xe9"), "caf\xc3\xa9");
}

TEST_F(ImporterTest, MovieLens100kFromSharedData) {
  std::string dir = aidmp::testing::SharedDataDir("movielens-100k");
  if (dir.empty()) GTEST_SKIP() << "../shared/data/movielens-100k is absent; skipping the real-data import";
  ImportOptions options;
  options.format = ImportFormat::kMovieLens100k;
  auto report = ImportFile(engine_.get(), dir, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->rows_read, 100000u + 943u);
  EXPECT_EQ(report->stored, 100943u);
  EXPECT_EQ(report->quarantined, 0u);
  index::EventFilter filter;
  filter.user_id = "196";
  auto events = Stored(filter);
  ASSERT_FALSE(events.empty());
  EXPECT_NE(events.front().find("\"type\":\"identify\""), std::string::npos) << events.front();
  EXPECT_NE(events.front().find("\"occupation\":\"writer\""), std::string::npos);
  bool saw_genres = false;
  for (const auto& record : events) saw_genres |= record.find("\"genres\":[") != std::string::npos;
  EXPECT_TRUE(saw_genres);
}

TEST_F(ImporterTest, TaobaoLogFromSharedData) {
  std::string dir = aidmp::testing::SharedDataDir("taobao-userbehavior-head");
  if (dir.empty()) GTEST_SKIP() << "../shared/data/taobao-userbehavior-head is absent; skipping";
  ImportOptions options;
  options.format = ImportFormat::kTaobao;
  auto report = ImportFile(engine_.get(), dir + "/UserBehavior_head.csv", options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->rows_read, 84287u);
  EXPECT_EQ(report->stored + report->duplicates, 84287u);
  EXPECT_EQ(report->quarantined, 0u);
  index::EventFilter filter;
  filter.event = "Order Completed";
  filter.limit = index::kMaxEventPage;
  EXPECT_FALSE(Stored(filter).empty());
}

}  // namespace
}  // namespace aidmp::collect
