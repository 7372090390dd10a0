#include "bench/import_bench.h"

#include <filesystem>

#include "bench/bench_util.h"
#include "collect/engine.h"
#include "common/strings.h"

namespace aidmp::bench {

absl::StatusOr<ImportResult> RunImport(const std::string& name, const std::string& path,
                                       collect::ImportFormat format, const std::string& data_dir) {
  ImportResult result;
  result.name = name;
  result.path = path;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    result.skipped_because = StrCat(path, " is not on this machine");
    return result;
  }
  collect::EngineOptions engine_options;
  // As `aidmp import` does: history is old by nature, and the caller runs the processors.
  engine_options.cleaner.past_tolerance_us = 0;
  engine_options.background_processors = false;
  auto engine = collect::Engine::Open(data_dir, engine_options);
  if (!engine.ok()) return engine.status();

  collect::ImportOptions import_options;
  import_options.format = format;
  SteadyClock::time_point start = SteadyClock::now();
  auto report = collect::ImportFile(engine->get(), path, import_options);
  if (!report.ok()) return report.status();
  result.import_seconds = SecondsSince(start);
  result.rows_read = report->rows_read;
  result.stored = report->stored;
  result.quarantined = report->quarantined;

  start = SteadyClock::now();
  absl::Status status = (*engine)->CatchUpProcessors();
  if (!status.ok()) return status;
  result.processors_seconds = SecondsSince(start);
  return result;
}

}  // namespace aidmp::bench
