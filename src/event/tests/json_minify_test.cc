#include "event/json_minify.h"

#include <gtest/gtest.h>

#include "event/json_util.h"

#include <random>
#include <string>
#include <vector>

namespace aidmp::event {
namespace {

// Checks all three functions against simdjson::minify on `json`.
void ExpectSameAsSimdjson(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  ASSERT_EQ(parser.parse(json).get(element), simdjson::SUCCESS) << json;
  std::string expected = simdjson::minify(element);
  EXPECT_EQ(Minified(element), expected) << json;
  EXPECT_EQ(MinifiedSize(element), expected.size()) << json;
  std::string appended = "prefix";
  AppendMinified(element, &appended);
  EXPECT_EQ(appended, "prefix" + expected);
}

TEST(JsonMinifyTest, MatchesSimdjsonOnEveryKindOfValue) {
  for (const char* json : {
           R"({})", R"([])", R"(null)", R"(true)", R"(false)", R"("")", R"(0)", R"(-0)",
           R"( { "a" : [ 1 , 2.5 , -3 ] , "b" : { } , "c" : [ ] } )",
           R"({"price":10.0,"big":1e300,"tiny":5e-324,"neg":-0.0,"frac":0.1,"exp":1.5E+10})",
           R"({"u":18446744073709551615,"i":-9223372036854775808,"j":9223372036854775807})",
           R"({"esc":"quote \" backslash \\ slash \/ nl \n tab \t cr \r bs \b ff \f"})",
           R"({"ctl":"\u0000\u0001\u001f\u007f","uni":"caf\u00e9 \ud83d\ude00 日本"})",
           R"({"dup":1,"dup":2,"k\"ey":"v"})",
           R"([[[[[[[[[[{"deep":[{"deeper":null}]}]]]]]]]]]])",
       }) {
    ExpectSameAsSimdjson(json);
  }
}

// Random documents: nested objects and arrays of strings over every ASCII byte and some
// multi-byte characters, integers of every width and doubles of every magnitude.
std::string RandomValue(std::mt19937_64* rng, int depth) {
  auto pick = [&](int n) { return static_cast<int>((*rng)() % static_cast<uint64_t>(n)); };
  auto random_string = [&] {
    static const char* kPieces[] = {"é", "日本", "\xf0\x9f\x98\x80", "\\\"", "\\\\", "\\n",
                                    "\\u0001", "\\u001f", "\\u00e9", "\\/", "\\t"};
    std::string text = "\"";
    int length = pick(12);
    for (int char_idx = 0; char_idx < length; ++char_idx) {
      if (pick(4) == 0) {
        text += kPieces[pick(std::size(kPieces))];
      } else {
        char c = static_cast<char>(0x20 + pick(0x5f));  // printable ASCII and DEL
        if (c == '"' || c == '\\') c = 'x';
        text.push_back(c);
      }
    }
    return text + "\"";
  };
  int kind = depth >= 5 ? pick(6) : pick(8);
  switch (kind) {
    case 0: return random_string();
    case 1: return std::to_string(static_cast<int64_t>((*rng)()) >> pick(64));
    case 2: return std::to_string((*rng)());
    case 3: {
      std::uniform_real_distribution<double> mantissa(-10, 10);
      char buffer[64];
      snprintf(buffer, sizeof(buffer), "%.*fe%d", 1 + pick(17), mantissa(*rng), pick(600) - 300);
      return buffer;
    }
    case 4: return pick(2) ? "true" : "false";
    case 5: return "null";
    case 6: {
      std::string text = "[";
      int count = pick(5);
      for (int item = 0; item < count; ++item) {
        text += (item ? " , " : " ") + RandomValue(rng, depth + 1);
      }
      return text + "]";
    }
    default: {
      std::string text = "{";
      int count = pick(5);
      for (int item = 0; item < count; ++item) {
        text += (item ? ",\n" : "") + random_string() + " : " + RandomValue(rng, depth + 1);
      }
      return text + "}";
    }
  }
}

// The escape scan reads eight bytes at a time, then the tail as one shifted word: a byte
// that needs an escape (or a plain one) at every offset of strings up to 40 bytes, as a
// value and as a key.
TEST(JsonMinifyTest, EscapesAtEveryOffset) {
  const std::vector<std::string> specials = {"\\\"", "\\\\", "\\n", "\\u0000", "\\u001f", "\\u007f",
                                             "\xc3\xa9", " ", "~", "\\/"};
  for (size_t length = 0; length <= 40; ++length) {
    for (size_t offset = 0; offset <= length; ++offset) {
      for (const std::string& special : specials) {
        std::string text(length, 'a');
        text.insert(offset, special);
        ExpectSameAsSimdjson("[\"" + text + "\"]");
        ExpectSameAsSimdjson("{\"" + text + "\":1}");
      }
    }
  }
}

TEST(JsonMinifyTest, MatchesSimdjsonOnRandomDocuments) {
  std::mt19937_64 rng(20261130);
  int checked = 0;
  for (int doc = 0; doc < 3000; ++doc) {
    std::string json = RandomValue(&rng, 0);
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    if (parser.parse(json).get(element) != simdjson::SUCCESS) continue;  // e.g. 1e300 * 10
    ExpectSameAsSimdjson(json);
    if (HasFailure()) return;
    ++checked;
  }
  EXPECT_GT(checked, 2500);
}

// The parse-sparing test: never false for a text that holds the member.
TEST(JsonUtilTest, MayHoldKeyIsFalseOnlyWithoutTheMember) {
  EXPECT_TRUE(MayHoldKey(R"({"device":{"id":"d"}})", "\"device\""));
  EXPECT_TRUE(MayHoldKey(R"({"page":{"title":"device"}})", "\"device\""));  // a value: a parse decides
  EXPECT_TRUE(MayHoldKey(R"({"dev\u0069ce":{"id":"d"}})", "\"device\""));  // spelt with an escape
  EXPECT_FALSE(MayHoldKey(R"({"ip":"1.2.3.4","page":{"path":"/"}})", "\"device\""));
  EXPECT_FALSE(MayHoldKey("", "\"device\""));
}

}  // namespace
}  // namespace aidmp::event
