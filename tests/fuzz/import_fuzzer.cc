// Fuzzes file import end to end (collect/importer.h ImportFile) on a shared Engine.
//
// Input: one selector byte, then the file. With s = byte - '0' (mod 256), the format is
// s % 4 of jsonl, csv with the mapping "user_id=u,event=e,timestamp=t", csv whose first
// line is the mapping spec (the file is the rest), and taobao; the chunk size is
// 1 + (s / 4) % 8 events, so flushing mid-file is exercised. Seeds start with '0'..'3'.
//
// Invariants: nothing crashes; an import that succeeds accounts for every row it read:
// rows_read = stored + duplicates + quarantined ("a row that cannot be mapped is
// quarantined, never skipped").
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "collect/importer.h"
#include "common/strings.h"
#include "fuzz_check.h"
#include "fuzz_engine.h"

namespace {

enum class Mode { kJsonl, kCsvFixedMapping, kCsvInlineMapping, kTaobao };
constexpr Mode kModes[] = {Mode::kJsonl, Mode::kCsvFixedMapping, Mode::kCsvInlineMapping,
                           Mode::kTaobao};

// Writes `contents` to a file in the scratch directory and returns its path.
std::string WriteInput(std::string_view contents) {
  std::string path = aidmp::fuzz::ScratchDir() + "/input";
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  file.close();
  AIDMP_FUZZ_CHECK_MSG(file.good(), "cannot write " + path);
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  aidmp::fuzz::SharedEngine();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto selector = static_cast<uint8_t>(data[0] - '0');
  Mode mode = kModes[selector % std::size(kModes)];
  std::string_view contents(reinterpret_cast<const char*>(data) + 1, size - 1);

  aidmp::collect::ImportOptions options;
  options.chunk_events = 1 + (selector / std::size(kModes)) % 8;
  switch (mode) {
    case Mode::kJsonl:
      options.format = aidmp::collect::ImportFormat::kJsonl;
      break;
    case Mode::kCsvFixedMapping:
      options.format = aidmp::collect::ImportFormat::kCsv;
      options.csv = *aidmp::collect::ParseCsvMapping("user_id=u,event=e,timestamp=t");
      break;
    case Mode::kCsvInlineMapping: {
      options.format = aidmp::collect::ImportFormat::kCsv;
      size_t newline = contents.find('\n');
      if (newline == std::string_view::npos) return 0;
      auto mapping = aidmp::collect::ParseCsvMapping(contents.substr(0, newline));
      if (!mapping.ok()) return 0;
      options.csv = *std::move(mapping);
      contents.remove_prefix(newline + 1);
      break;
    }
    case Mode::kTaobao:
      options.format = aidmp::collect::ImportFormat::kTaobao;
      break;
  }

  std::string path = WriteInput(contents);
  absl::StatusOr<aidmp::collect::ImportReport> report =
      aidmp::collect::ImportFile(aidmp::fuzz::SharedEngine(), path, options);
  if (!report.ok()) return 0;
  uint64_t accounted = report->stored + report->duplicates + report->quarantined;
  AIDMP_FUZZ_CHECK_MSG(report->rows_read == accounted,
                       aidmp::StrCat("read ", report->rows_read, " rows; stored ", report->stored,
                                     ", duplicates ", report->duplicates, ", quarantined ",
                                     report->quarantined));
  return 0;
}
