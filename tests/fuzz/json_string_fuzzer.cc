// Fuzzes JSON string escaping (common/json_writer.h AppendJsonString, IsValidUtf8) and
// JsonWriter::Double.
//
// Invariants: AppendJsonString of any bytes is valid UTF-8 and one JSON string that
// simdjson reads back as the input with each byte that does not start a well-formed
// UTF-8 sequence replaced by U+FFFD (checked against Unicode's table of well-formed
// sequences, written out independently below); IsValidUtf8 agrees with that table; a
// finite double from the input's first eight bytes is written so that it reads back
// equal, and a non-finite one as null.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/json_writer.h"
#include "common/strings.h"
#include "fuzz_check.h"
#include "simdjson.h"

namespace {

// Length of the well-formed UTF-8 sequence at s[0], or 0: Unicode 15, table 3-7.
size_t WellFormedLength(const unsigned char* s, size_t remaining) {
  struct Row {
    unsigned char lead_lo, lead_hi, second_lo, second_hi;
    size_t length;
  };
  static constexpr Row kTable[] = {
      {0x00, 0x7f, 0x00, 0x00, 1}, {0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3},
      {0xe1, 0xec, 0x80, 0xbf, 3}, {0xed, 0xed, 0x80, 0x9f, 3}, {0xee, 0xef, 0x80, 0xbf, 3},
      {0xf0, 0xf0, 0x90, 0xbf, 4}, {0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
  };
  for (const Row& row : kTable) {
    if (s[0] < row.lead_lo || s[0] > row.lead_hi) continue;
    if (row.length == 1) return 1;
    if (remaining < row.length) return 0;
    if (s[1] < row.second_lo || s[1] > row.second_hi) return 0;
    for (size_t byte_idx = 2; byte_idx < row.length; ++byte_idx) {
      if (s[byte_idx] < 0x80 || s[byte_idx] > 0xbf) return 0;
    }
    return row.length;
  }
  return 0;
}

// What AppendJsonString promises to carry: the input, ill-formed bytes as U+FFFD.
std::string ExpectedText(std::string_view input, bool* well_formed) {
  const auto* s = reinterpret_cast<const unsigned char*>(input.data());
  std::string expected;
  *well_formed = true;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t length = WellFormedLength(s + pos, input.size() - pos);
    if (length == 0) {
      expected.append("\xef\xbf\xbd");
      *well_formed = false;
      ++pos;
      continue;
    }
    expected.append(input.substr(pos, length));
    pos += length;
  }
  return expected;
}

void CheckAppendJsonString(std::string_view input) {
  std::string json = "[";
  aidmp::AppendJsonString(&json, input);
  json.push_back(']');
  AIDMP_FUZZ_CHECK(aidmp::IsValidUtf8(json));
  thread_local simdjson::dom::parser parser;
  simdjson::dom::array array;
  simdjson::error_code error = parser.parse(json).get(array);
  AIDMP_FUZZ_CHECK_MSG(error == simdjson::SUCCESS,
                       aidmp::StrCat(simdjson::error_message(error), ": ", json));
  AIDMP_FUZZ_CHECK(array.size() == 1);
  std::string_view parsed;
  AIDMP_FUZZ_CHECK(array.at(0).get_string().get(parsed) == simdjson::SUCCESS);
  bool well_formed = false;
  std::string expected = ExpectedText(input, &well_formed);
  AIDMP_FUZZ_CHECK_MSG(parsed == expected, json);
  AIDMP_FUZZ_CHECK(aidmp::IsValidUtf8(input) == well_formed);
}

void CheckDouble(double value) {
  aidmp::JsonWriter writer;
  writer.BeginArray().Double(value).EndArray();
  const std::string& json = writer.str();
  thread_local simdjson::dom::parser parser;
  simdjson::dom::array array;
  simdjson::error_code error = parser.parse(json).get(array);
  AIDMP_FUZZ_CHECK_MSG(error == simdjson::SUCCESS,
                       aidmp::StrCat(simdjson::error_message(error), ": ", json));
  AIDMP_FUZZ_CHECK(array.size() == 1);
  simdjson::dom::element element = array.at(0).value_unsafe();
  if (!std::isfinite(value)) {
    AIDMP_FUZZ_CHECK_MSG(element.is_null(), json);
    return;
  }
  double parsed;
  AIDMP_FUZZ_CHECK_MSG(element.get_double().get(parsed) == simdjson::SUCCESS, json);
  AIDMP_FUZZ_CHECK_MSG(parsed == value, json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckAppendJsonString(std::string_view(reinterpret_cast<const char*>(data), size));
  if (size >= sizeof(double)) {
    double value;
    std::memcpy(&value, data, sizeof(value));
    CheckDouble(value);
  }
  return 0;
}
