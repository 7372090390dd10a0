#include "common/strings.h"

#include <gtest/gtest.h>

#include <random>

namespace aidmp {
namespace {

TEST(StringsTest, StrCatMixesTypes) {
  std::string_view view = "v";
  EXPECT_EQ(StrCat("a", std::string("b"), view, 'c', 42, -7, uint64_t{9}, 1.5), "abvc42-791.5");
}

TEST(StringsTest, SplitKeepsOrSkipsEmpty) {
  EXPECT_EQ(Split("a,,b", ',').size(), 3u);
  EXPECT_EQ(Split("a,,b", ',', true).size(), 2u);
  EXPECT_EQ(Split("", ',').size(), 1u);
}

TEST(StringsTest, ParsesWholeNumbersOnly) {
  int64_t value;
  EXPECT_TRUE(ParseInt64("-12", &value));
  EXPECT_EQ(value, -12);
  EXPECT_FALSE(ParseInt64("12x", &value));
  EXPECT_FALSE(ParseInt64("", &value));
  EXPECT_FALSE(ParseInt64("99999999999999999999", &value));
  double number;
  EXPECT_TRUE(ParseDouble("12.50", &number));
  EXPECT_DOUBLE_EQ(number, 12.5);
  EXPECT_FALSE(ParseDouble("12.5.0", &number));
  EXPECT_FALSE(ParseDouble("inf", &number));
}

TEST(StringsTest, Base64RoundTripsRandomBytes) {
  std::mt19937 rng(5);
  for (int trial_idx = 0; trial_idx < 2000; ++trial_idx) {
    std::string bytes(rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string decoded;
    ASSERT_TRUE(Base64Decode(Base64Encode(bytes), &decoded));
    EXPECT_EQ(decoded, bytes);
  }
  std::string decoded;
  EXPECT_TRUE(Base64Decode("a2V5Og==", &decoded));
  EXPECT_EQ(decoded, "key:");
  EXPECT_FALSE(Base64Decode("a2V5*g==", &decoded));
}

TEST(StringsTest, CaseAndWhitespace) {
  EXPECT_EQ(StripWhitespace("  a b \t\n"), "a b");
  EXPECT_EQ(AsciiToLower("AbC"), "abc");
  EXPECT_TRUE(StartsWithIgnoreCase("Basic xyz", "basic "));
  EXPECT_FALSE(StartsWithIgnoreCase("Bas", "basic "));
}

}  // namespace
}  // namespace aidmp
