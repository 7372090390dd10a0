#include "common/time_format.h"

#include <gtest/gtest.h>

#include <ctime>
#include <random>

#include "common/clock.h"

namespace aidmp {
namespace {

TEST(TimeFormatTest, ParsesDurations) {
  EXPECT_EQ(*ParseDurationMicros("30d"), 30 * kMicrosPerDay);
  EXPECT_EQ(*ParseDurationMicros("12h"), 12 * kMicrosPerHour);
  EXPECT_EQ(*ParseDurationMicros("15m"), 15 * kMicrosPerMinute);
  EXPECT_EQ(*ParseDurationMicros("45s"), 45 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDurationMicros("250ms"), 250'000);
  for (const char* bad : {"", "d", "30", "30w", "-1d", "1.5h", "soon", "99999999999999999d"}) {
    auto parsed = ParseDurationMicros(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(std::string(parsed.status().message()).find("is not a duration"), std::string::npos);
  }
}

TEST(TimeFormatTest, ParsesUtcWithFraction) {
  auto parsed = ParseIso8601Micros("2024-05-01T12:30:00.123Z");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, 1714566600123000);
}

TEST(TimeFormatTest, AppliesOffsets) {
  auto utc = ParseIso8601Micros("2024-05-01T12:30:00Z");
  auto plus_two = ParseIso8601Micros("2024-05-01T14:30:00+02:00");
  auto minus = ParseIso8601Micros("2024-05-01T07:00:00-0530");
  ASSERT_TRUE(utc.ok() && plus_two.ok() && minus.ok());
  EXPECT_EQ(*utc, *plus_two);
  EXPECT_EQ(*utc, *minus);
}

TEST(TimeFormatTest, AcceptsDateOnlySpaceAndNanoseconds) {
  EXPECT_EQ(*ParseIso8601Micros("1970-01-02"), 86400LL * 1000000);
  EXPECT_EQ(*ParseIso8601Micros("2024-05-01 12:30:00"), *ParseIso8601Micros("2024-05-01T12:30:00Z"));
  EXPECT_EQ(*ParseIso8601Micros("2024-05-01T12:30:00.123456789Z"), 1714566600123456);
}

TEST(TimeFormatTest, RejectsWithReasons) {
  for (const char* bad : {"", "2024", "2024-13-01", "2024-02-30", "2023-02-29", "2024-05-01T25:00:00Z",
                          "2024-05-01T12:30:00Zjunk", "2024-05-01T12:30:00.Z", "yesterday",
                          "2024-05-01T12:30:00+2", "9999-12-31T23:00:00-01:00",
                          "0000-01-01T00:00:00+00:01"}) {
    auto parsed = ParseIso8601Micros(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find("ISO-8601"), std::string::npos);
    }
  }
}

TEST(TimeFormatTest, FormatRoundTripsOnRandomInstants) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> dist(-2'000'000'000'000'000LL, 7'000'000'000'000'000LL);
  for (int trial_idx = 0; trial_idx < 20000; ++trial_idx) {
    int64_t ts = dist(rng);
    std::string text = FormatIso8601Micros(ts);
    auto parsed = ParseIso8601Micros(text);
    ASSERT_TRUE(parsed.ok()) << text;
    ASSERT_EQ(*parsed, ts) << text;
  }
  EXPECT_EQ(FormatIso8601Micros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatIso8601Micros(-1), "1969-12-31T23:59:59.999999Z");
}

// The digit-by-digit formatting against the C library's calendar, over years 0000-9999
// and their edges.
TEST(TimeFormatTest, FormatAgreesWithGmtime) {
  auto reference = [](int64_t ts_us) {
    int64_t seconds = ts_us / 1'000'000, micros = ts_us % 1'000'000;
    if (micros < 0) {
      micros += 1'000'000;
      seconds -= 1;
    }
    time_t time = static_cast<time_t>(seconds);
    std::tm parts{};
    gmtime_r(&time, &parts);
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                  static_cast<long long>(parts.tm_year) + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, static_cast<long long>(micros));
    return std::string(buf);
  };
  constexpr int64_t kFirst = -62'167'219'200'000'000;  // 0000-01-01T00:00:00Z
  constexpr int64_t kEnd = 253'402'300'800'000'000;     // 10000-01-01T00:00:00Z
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int64_t> dist(kFirst, kEnd - 1);
  for (int trial_idx = 0; trial_idx < 20000; ++trial_idx) {
    int64_t ts = dist(rng);
    ASSERT_EQ(FormatIso8601Micros(ts), reference(ts)) << ts;
  }
  for (int64_t ts : {kFirst, kFirst + 1, kEnd - 1, int64_t{0}, int64_t{-1}, int64_t{951'782'400'000'000}}) {
    EXPECT_EQ(FormatIso8601Micros(ts), reference(ts)) << ts;
  }
  EXPECT_EQ(FormatIso8601Micros(kEnd - 1), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatIso8601Micros(kFirst), "0000-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatIso8601Micros(kEnd), "10000-01-01T00:00:00.000000Z");  // past the fast path
}

}  // namespace
}  // namespace aidmp
