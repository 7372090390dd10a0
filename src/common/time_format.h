// Timestamps: parsing what clients send (ISO-8601 with any offset, or epoch numbers)
// into UTC microseconds, and formatting UTC microseconds back as ISO-8601.
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace aidmp {

// Parses "2024-05-01T12:30:00.123Z", "2024-05-01T12:30:00+02:00", "2024-05-01 12:30:00",
// "2024-05-01" (midnight UTC) and fractions of up to 9 digits (truncated to microseconds).
// A missing offset means UTC. Returns InvalidArgument naming what is wrong otherwise.
absl::StatusOr<int64_t> ParseIso8601Micros(std::string_view text);

// "2024-05-01T12:30:00.123456Z"; microseconds are always written.
std::string FormatIso8601Micros(int64_t ts_us);

// The same text written into `out`, which holds at least kIso8601MicrosMaxBytes;
// returns its length (27 for the years 0000-9999). For callers that format on a hot
// path: no allocation.
inline constexpr size_t kIso8601MicrosMaxBytes = 48;
size_t FormatIso8601Micros(int64_t ts_us, char* out);

// Parses a duration as a whole number and a unit: "30d", "12h", "15m", "45s", "250ms".
// InvalidArgument naming the problem otherwise.
absl::StatusOr<int64_t> ParseDurationMicros(std::string_view text);

// Days since 1970-01-01 for a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace aidmp
