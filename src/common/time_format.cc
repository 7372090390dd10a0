#include "common/time_format.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "common/clock.h"
#include "common/strings.h"

namespace aidmp {
namespace {

bool ReadDigits(std::string_view text, size_t* pos, size_t count, int64_t* value) {
  if (*pos + count > text.size()) return false;
  int64_t result = 0;
  for (size_t digit_idx = 0; digit_idx < count; ++digit_idx) {
    char c = text[*pos + digit_idx];
    if (c < '0' || c > '9') return false;
    result = result * 10 + (c - '0');
  }
  *pos += count;
  *value = result;
  return true;
}

void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = y + (*month <= 2);
}

}  // namespace

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

absl::StatusOr<int64_t> ParseIso8601Micros(std::string_view text) {
  auto bad = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        StrCat("timestamp \"", text.substr(0, 64), "\" is not ISO-8601: ", what));
  };
  size_t pos = 0;
  int64_t year, month, day;
  if (!ReadDigits(text, &pos, 4, &year)) return bad("expected a 4-digit year");
  if (pos >= text.size() || text[pos++] != '-') return bad("expected '-' after the year");
  if (!ReadDigits(text, &pos, 2, &month) || month < 1 || month > 12) return bad("bad month");
  if (pos >= text.size() || text[pos++] != '-') return bad("expected '-' after the month");
  if (!ReadDigits(text, &pos, 2, &day) || day < 1 || day > 31) return bad("bad day");
  int64_t hour = 0, minute = 0, second = 0, micros = 0, offset_minutes = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return bad("expected 'T'");
    ++pos;
    if (!ReadDigits(text, &pos, 2, &hour) || hour > 23) return bad("bad hour");
    if (pos >= text.size() || text[pos++] != ':') return bad("expected ':' after the hour");
    if (!ReadDigits(text, &pos, 2, &minute) || minute > 59) return bad("bad minute");
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      // 60 is a leap second; it is folded into the next minute.
      if (!ReadDigits(text, &pos, 2, &second) || second > 60) return bad("bad second");
    }
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      size_t digits = 0;
      int64_t scale = 100000;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 6) {
          micros += (text[pos] - '0') * scale;
          scale /= 10;
        }
        ++digits;
        ++pos;
      }
      if (digits == 0 || digits > 9) return bad("bad fraction of a second");
    }
    if (pos < text.size()) {
      char zone = text[pos];
      if (zone == 'Z' || zone == 'z') {
        ++pos;
      } else if (zone == '+' || zone == '-') {
        ++pos;
        int64_t off_hour, off_minute = 0;
        if (!ReadDigits(text, &pos, 2, &off_hour) || off_hour > 23) return bad("bad offset");
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (pos < text.size() && !ReadDigits(text, &pos, 2, &off_minute)) return bad("bad offset");
        if (off_minute > 59) return bad("bad offset");
        offset_minutes = (off_hour * 60 + off_minute) * (zone == '-' ? -1 : 1);
      } else {
        return bad("unexpected character after the time");
      }
    }
  }
  if (pos != text.size()) return bad("trailing characters");
  static constexpr int kDaysInMonth[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > kDaysInMonth[month - 1]) return bad("day out of range for the month");
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return bad("February 29 in a non-leap year");
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  // What FormatIso8601Micros can write back: UTC years 0000 to 9999.
  constexpr int64_t kFirstSecond = -62167219200;  // 0000-01-01T00:00:00Z
  constexpr int64_t kEndSecond = 253402300800;    // 10000-01-01T00:00:00Z
  if (seconds < kFirstSecond || seconds >= kEndSecond) return bad("outside the years 0000-9999 in UTC");
  return seconds * kMicrosPerSecond + micros;
}

size_t FormatIso8601Micros(int64_t ts_us, char* out) {
  int64_t seconds = ts_us / kMicrosPerSecond;
  int64_t micros = ts_us % kMicrosPerSecond;
  if (micros < 0) {
    micros += kMicrosPerSecond;
    seconds -= 1;
  }
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  if (year >= 0 && year <= 9999) {
    // Digit by digit: documents format many times, and snprintf costs ~10x this.
    auto put = [out](size_t end, int64_t value, int width) {
      for (int digit_idx = 0; digit_idx < width; ++digit_idx, value /= 10) {
        out[end - digit_idx] = static_cast<char>('0' + value % 10);
      }
    };
    put(3, year, 4);
    out[4] = '-';
    put(6, month, 2);
    out[7] = '-';
    put(9, day, 2);
    out[10] = 'T';
    put(12, rem / 3600, 2);
    out[13] = ':';
    put(15, (rem % 3600) / 60, 2);
    out[16] = ':';
    put(18, rem % 60, 2);
    out[19] = '.';
    put(25, micros, 6);
    out[26] = 'Z';
    return 27;
  }
  int written = std::snprintf(out, kIso8601MicrosMaxBytes, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                              static_cast<long long>(year), month, day, static_cast<long long>(rem / 3600),
                              static_cast<long long>((rem % 3600) / 60), static_cast<long long>(rem % 60),
                              static_cast<long long>(micros));
  return std::min(static_cast<size_t>(std::max(written, 0)), kIso8601MicrosMaxBytes - 1);
}

std::string FormatIso8601Micros(int64_t ts_us) {
  char out[kIso8601MicrosMaxBytes];
  return std::string(out, FormatIso8601Micros(ts_us, out));
}

absl::StatusOr<int64_t> ParseDurationMicros(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    int64_t micros;
  };
  // "ms" before "m" and "s".
  static constexpr Unit kUnits[] = {{"ms", 1000},
                                    {"d", kMicrosPerDay},
                                    {"h", kMicrosPerHour},
                                    {"m", kMicrosPerMinute},
                                    {"s", kMicrosPerSecond}};
  for (const Unit& unit : kUnits) {
    if (text.size() <= unit.suffix.size() || text.substr(text.size() - unit.suffix.size()) != unit.suffix) continue;
    int64_t count;
    if (!ParseNumber(text.substr(0, text.size() - unit.suffix.size()), &count) || count < 0 ||
        count > std::numeric_limits<int64_t>::max() / unit.micros) {
      break;
    }
    return count * unit.micros;
  }
  return absl::InvalidArgumentError(
      StrCat("'", text.substr(0, 32), "' is not a duration; use a whole number with d, h, m, s or ms (e.g. 30d)"));
}

}  // namespace aidmp
