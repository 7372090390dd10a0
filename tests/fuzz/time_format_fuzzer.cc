// Fuzzes ISO-8601 parsing and formatting (common/time_format.h).
//
// Invariants: nothing crashes; whatever ParseIso8601Micros accepts, FormatIso8601Micros
// writes in a form that parses back to the same instant; and every instant from
// 0000-01-01 to 9999-12-31 (the years four digits can write), taken from the input's
// first eight bytes, survives format -> parse.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/strings.h"
#include "common/time_format.h"
#include "fuzz_check.h"

namespace {

// Formats `ts_us` and parses the text again; it must be the same instant.
void CheckFormatParses(int64_t ts_us, std::string_view origin) {
  std::string text = aidmp::FormatIso8601Micros(ts_us);
  absl::StatusOr<int64_t> again = aidmp::ParseIso8601Micros(text);
  AIDMP_FUZZ_CHECK_MSG(again.ok() && *again == ts_us,
                       aidmp::StrCat(origin, " -> ", ts_us, " us -> \"", text, "\" -> ",
                                     again.ok() ? aidmp::StrCat(*again, " us")
                                                : std::string(again.status().message())));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<int64_t> parsed = aidmp::ParseIso8601Micros(text);
  if (parsed.ok()) {
    CheckFormatParses(*parsed, aidmp::StrCat("\"", text, "\""));
  } else {
    AIDMP_FUZZ_CHECK(absl::IsInvalidArgument(parsed.status()));
  }

  if (size < sizeof(uint64_t)) return 0;
  // -62167219200 s is 0000-01-01T00:00:00Z; 253402300800 s is 10000-01-01T00:00:00Z.
  constexpr int64_t kFirstUs = -62167219200LL * 1'000'000LL;
  constexpr int64_t kEndUs = 253402300800LL * 1'000'000LL;
  uint64_t raw;
  std::memcpy(&raw, data, sizeof(raw));
  int64_t ts_us = kFirstUs + static_cast<int64_t>(raw % static_cast<uint64_t>(kEndUs - kFirstUs));
  CheckFormatParses(ts_us, "an instant from the input's bytes");
  return 0;
}
