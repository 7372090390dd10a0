#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "simdjson.h"

namespace aidmp {
namespace {

TEST(JsonWriterTest, WritesNestedValues) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("a").Int(-3);
  writer.Key("b").BeginArray().String("x").Bool(true).Null().Double(0.1).EndArray();
  writer.Key("c").BeginObject().Key("d").Uint(7).EndObject();
  writer.Key("e").Raw("{\"f\":1}");
  writer.EndObject();
  EXPECT_EQ(writer.str(), R"({"a":-3,"b":["x",true,null,0.1],"c":{"d":7},"e":{"f":1}})");
}

TEST(JsonWriterTest, NonFiniteDoublesBecomeNull) {
  JsonWriter writer;
  writer.BeginArray().Double(1.0 / 0.0).Double(0.0 / 0.0).EndArray();
  EXPECT_EQ(writer.str(), "[null,null]");
}

// Found by fuzzing: integers past 2^63 written in full could not be read back.
TEST(JsonWriterTest, HugeNumbersStayReadable) {
  JsonWriter writer;
  writer.BeginArray().Double(123456789012345678901.0).Double(-1e300).EndArray();
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  ASSERT_EQ(parser.parse(writer.str()).get(element), simdjson::SUCCESS) << writer.str();
  EXPECT_DOUBLE_EQ(double(element.at(0)), 123456789012345678901.0);
}

TEST(JsonWriterTest, EscapesControlCharactersAndQuotes) {
  std::string out;
  AppendJsonString(&out, std::string("a\"b\\c\n\x01\0z", 9));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\\u0000z\"");
}

TEST(JsonWriterTest, ReplacesInvalidUtf8) {
  std::string out;
  AppendJsonString(&out, "ok\xff\xc3(caf\xc3\xa9");
  EXPECT_EQ(out, "\"ok\xef\xbf\xbd\xef\xbf\xbd(caf\xc3\xa9\"");
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong
}

// Any bytes in, valid JSON out: simdjson (which validates UTF-8) must accept it.
TEST(JsonWriterTest, RandomBytesAlwaysGiveValidJson) {
  std::mt19937 rng(3);
  simdjson::dom::parser parser;
  for (int trial_idx = 0; trial_idx < 5000; ++trial_idx) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string json = "[";
    AppendJsonString(&json, bytes);
    json += "]";
    simdjson::dom::element element;
    ASSERT_EQ(parser.parse(json).get(element), simdjson::SUCCESS) << json;
    if (IsValidUtf8(bytes)) {
      std::string_view back;
      ASSERT_EQ(element.at(0).get_string().get(back), simdjson::SUCCESS);
      EXPECT_EQ(back, bytes);
    }
  }
}

// Long plain runs are scanned eight bytes at a time: a byte that needs care must be
// found at every offset within a word, and at every distance from the end.
TEST(JsonWriterTest, FindsTheByteThatNeedsCareAtEveryOffset) {
  const std::vector<std::string> specials = {"\"", "\\", "\n", std::string(1, '\0'), "\x1f", "\x7f",
                                             "\xc3\xa9", "\xe2\x82\xac", " ", "~"};
  simdjson::dom::parser parser;
  for (size_t length = 0; length <= 40; ++length) {  // several eight-byte steps
    for (size_t offset = 0; offset <= length; ++offset) {
      for (const std::string& special : specials) {
        std::string bytes(length, 'a');
        bytes.insert(offset, special);
        std::string json = "[";
        AppendJsonString(&json, bytes);
        json += "]";
        simdjson::dom::element element;
        ASSERT_EQ(parser.parse(json).get(element), simdjson::SUCCESS) << json;
        std::string_view back;
        ASSERT_EQ(element.at(0).get_string().get(back), simdjson::SUCCESS);
        EXPECT_EQ(back, bytes) << "length " << length << ", offset " << offset;
      }
    }
  }
  std::string out;
  AppendJsonString(&out, "abcdefgh\xff" "abcdefgh");  // an invalid byte after a whole word
  EXPECT_EQ(out, "\"abcdefgh\xef\xbf\xbd" "abcdefgh\"");
}

}  // namespace
}  // namespace aidmp
