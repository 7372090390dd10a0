// Fuzzes file import end to end (collect/importer.h ImportFile) on a shared Engine.
//
// Input: one selector byte, then the file. With s = byte - '0' (mod 256), the format is
// s % 5 of jsonl, csv with the mapping "user_id=u,event=e,timestamp=t", csv whose first
// line is the mapping spec (the file is the rest), taobao, and movielens-100k (the rest
// split at NUL bytes into u.genre, u.item, u.user and u.data); the chunk size is
// 1 + (s / 5) % 8 events, so flushing mid-file is exercised. Seeds start with '0'..'4'.
//
// Invariants: nothing crashes; an import that succeeds accounts for every row it read:
// rows_read = stored + duplicates + quarantined ("a row that cannot be mapped is
// quarantined, never skipped"); exactly the stored rows reach the log, and every one of
// them decodes and indexes.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "collect/importer.h"
#include "common/strings.h"
#include "fuzz_check.h"
#include "fuzz_engine.h"

namespace {

enum class Mode { kJsonl, kCsvFixedMapping, kCsvInlineMapping, kTaobao, kMovieLens };
constexpr Mode kModes[] = {Mode::kJsonl, Mode::kCsvFixedMapping, Mode::kCsvInlineMapping,
                           Mode::kTaobao, Mode::kMovieLens};

// Writes `contents` to `name` in the scratch directory and returns its path.
std::string WriteInput(std::string_view contents, std::string_view name = "input") {
  std::string path = aidmp::StrCat(aidmp::fuzz::ScratchDir(), "/", name);
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
    case Mode::kMovieLens:
      options.format = aidmp::collect::ImportFormat::kMovieLens100k;
      break;
  }

  std::string path;
  if (mode == Mode::kMovieLens) {
    // Missing parts are empty files: the importer then has nothing to say about them.
    static constexpr std::string_view kFiles[] = {"u.genre", "u.item", "u.user", "u.data"};
    std::vector<std::string_view> parts = aidmp::Split(contents, '\0');
    for (size_t file_idx = 0; file_idx < std::size(kFiles); ++file_idx) {
      WriteInput(file_idx < parts.size() ? parts[file_idx] : std::string_view(), kFiles[file_idx]);
    }
    path = aidmp::fuzz::ScratchDir();
  } else {
    path = WriteInput(contents);
  }
  absl::StatusOr<aidmp::collect::ImportReport> report =
      aidmp::collect::ImportFile(aidmp::fuzz::SharedEngine(), path, options);
  size_t appended = aidmp::fuzz::CheckNewLogEntries();
  if (!report.ok()) return 0;
  AIDMP_FUZZ_CHECK_MSG(appended == report->stored,
                       aidmp::StrCat("stored ", report->stored, " but appended ", appended));
  uint64_t accounted = report->stored + report->duplicates + report->quarantined;
  AIDMP_FUZZ_CHECK_MSG(report->rows_read == accounted,
                       aidmp::StrCat("read ", report->rows_read, " rows; stored ", report->stored,
                                     ", duplicates ", report->duplicates, ", quarantined ",
                                     report->quarantined));
  return 0;
}
