// Batch import through collect::ImportFile: MovieLens 100k (end-to-end time) and the
// Taobao UserBehavior log (events/s), each into a fresh engine opened as `aidmp import`
// opens it (past timestamps accepted, processors run by the caller), with the
// processors' catch-up (event index, identity resolution) timed separately.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "collect/importer.h"

namespace aidmp::bench {

struct ImportResult {
  std::string name;
  std::string path;
  // Set when the data set is not on this machine; nothing else is then.
  std::string skipped_because;
  uint64_t rows_read = 0;
  uint64_t stored = 0;
  uint64_t quarantined = 0;
  double import_seconds = 0;      // ImportFile: parse, clean, durable writes
  double processors_seconds = 0;  // Engine::CatchUpProcessors afterwards
  double total_seconds() const { return import_seconds + processors_seconds; }
};

// Imports `path` in `format` into a fresh engine at `data_dir` (which must not exist).
absl::StatusOr<ImportResult> RunImport(const std::string& name, const std::string& path,
                                       collect::ImportFormat format, const std::string& data_dir);

}  // namespace aidmp::bench
