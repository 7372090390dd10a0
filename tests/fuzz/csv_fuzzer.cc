// Fuzzes the importer's small parsers (collect/importer.h): SplitCsvLine, ParseCsvMapping
// and Latin1ToUtf8.
//
// Input: one byte choosing the delimiter, byte % 4 of ',', ';', tab and '|' (so seeds
// start with ',', '1', '2' or '3'), then text used as a CSV line, as a column-mapping
// spec and as Latin-1.
//
// Invariants: nothing crashes; a line that splits comes back as the same fields after
// writing them out with RFC 4180 quoting; an accepted mapping maps no property to an
// empty column name (the importer indexes columns by it); Latin1ToUtf8 writes valid
// UTF-8, two bytes per byte >= 0x80, that decodes back to the input.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "collect/importer.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "fuzz_check.h"

namespace {

// RFC 4180: quote a field that holds the delimiter or a quote, doubling its quotes.
std::string JoinCsvLine(const std::vector<std::string>& fields, char delimiter) {
  std::string line;
  for (size_t field_idx = 0; field_idx < fields.size(); ++field_idx) {
    if (field_idx > 0) line.push_back(delimiter);
    const std::string& field = fields[field_idx];
    if (field.find(delimiter) == std::string::npos && field.find('"') == std::string::npos) {
      line.append(field);
      continue;
    }
    line.push_back('"');
    for (char c : field) {
      if (c == '"') line.push_back('"');
      line.push_back(c);
    }
    line.push_back('"');
  }
  return line;
}

void CheckSplitCsvLine(std::string_view line, char delimiter) {
  std::vector<std::string> fields;
  if (!aidmp::collect::SplitCsvLine(line, delimiter, &fields)) return;
  AIDMP_FUZZ_CHECK(!fields.empty());
  std::string rejoined = JoinCsvLine(fields, delimiter);
  std::vector<std::string> again;
  AIDMP_FUZZ_CHECK_MSG(aidmp::collect::SplitCsvLine(rejoined, delimiter, &again), rejoined);
  AIDMP_FUZZ_CHECK_MSG(again == fields, aidmp::StrCat("line: ", line, "\nrejoined: ", rejoined));
}

void CheckParseCsvMapping(std::string_view spec) {
  absl::StatusOr<aidmp::collect::CsvMapping> mapping = aidmp::collect::ParseCsvMapping(spec);
  if (!mapping.ok()) {
    AIDMP_FUZZ_CHECK(absl::IsInvalidArgument(mapping.status()));
    return;
  }
  for (const auto& [property, column] : mapping->properties) {
    AIDMP_FUZZ_CHECK_MSG(!column.empty(),
                         aidmp::StrCat("spec \"", spec, "\" maps property \"", property,
                                       "\" to an empty column name"));
  }
}

void CheckLatin1ToUtf8(std::string_view latin1) {
  std::string utf8 = aidmp::Latin1ToUtf8(latin1);
  AIDMP_FUZZ_CHECK(aidmp::IsValidUtf8(utf8));
  std::string decoded;
  for (size_t pos = 0; pos < utf8.size(); ++pos) {
    auto lead = static_cast<unsigned char>(utf8[pos]);
    if (lead < 0x80) {
      decoded.push_back(static_cast<char>(lead));
      continue;
    }
    AIDMP_FUZZ_CHECK(lead == 0xc2 || lead == 0xc3);
    AIDMP_FUZZ_CHECK(pos + 1 < utf8.size());
    auto trail = static_cast<unsigned char>(utf8[pos + 1]);
    decoded.push_back(static_cast<char>(((lead & 0x03) << 6) | (trail & 0x3f)));
    ++pos;
  }
  AIDMP_FUZZ_CHECK(decoded == latin1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr char kDelimiters[] = {',', ';', '\t', '|'};
  char delimiter = kDelimiters[data[0] % std::size(kDelimiters)];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  CheckSplitCsvLine(text, delimiter);
  CheckParseCsvMapping(text);
  CheckLatin1ToUtf8(text);
  return 0;
}
