#include "common/key_coding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace aidmp {
namespace {

// Encoded keys must sort bytewise exactly as the numbers sort.
TEST(KeyCodingTest, OrderedInt64SortsLikeNumbers) {
  std::mt19937_64 rng(11);
  std::vector<int64_t> values = {0, -1, 1, INT64_MIN, INT64_MAX};
  for (int value_idx = 0; value_idx < 1000; ++value_idx) values.push_back(static_cast<int64_t>(rng()));
  std::vector<std::pair<std::string, int64_t>> encoded;
  for (int64_t value : values) {
    std::string key;
    PutOrderedInt64(&key, value);
    EXPECT_EQ(DecodeOrderedInt64(key.data()), value);
    encoded.emplace_back(key, value);
  }
  std::sort(encoded.begin(), encoded.end());
  EXPECT_TRUE(std::is_sorted(encoded.begin(), encoded.end(),
                             [](const auto& a, const auto& b) { return a.second < b.second; }));
}

TEST(KeyCodingTest, FixedAndHexRoundTrip) {
  std::string key;
  PutFixed64BE(&key, 0x0102030405060708ULL);
  EXPECT_EQ(DecodeFixed64BE(key.data()), 0x0102030405060708ULL);
  std::string value;
  PutFixed64LE(&value, 42);
  EXPECT_EQ(DecodeFixed64LE(value.data()), 42u);
  std::string back;
  ASSERT_TRUE(HexDecode(HexEncode(key), &back));
  EXPECT_EQ(back, key);
  EXPECT_FALSE(HexDecode("abc", &back));
  EXPECT_FALSE(HexDecode("zz", &back));
}

}  // namespace
}  // namespace aidmp
