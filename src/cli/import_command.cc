#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "cli/progress_bar.h"
#include "collect/importer.h"
#include "common/logging.h"

namespace aidmp::cli {
void AddImportCommand(CLI::App& app, int* exit_code) {
  struct Flags {
    EngineFlags engine;
    std::string format = "jsonl";
    std::string mapping;
    std::vector<std::string> files;
    bool quiet = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* command = app.add_subcommand(
      "import", "Import files through the same cleaning path as the collector (the server must be stopped)");
  flags->engine.Declare(command, /*with_write_keys=*/false);
  command->add_option("--format", flags->format, "jsonl, csv, movielens-100k or taobao")->capture_default_str();
  command->add_option("--map", flags->mapping,
                      "CSV column mapping: user_id=COL,anonymous_id=COL,event=COL or event_name=NAME,"
                      "timestamp=COL,message_id=COL,delimiter=tab, and PROPERTY=COL for properties");
  command->add_flag("--quiet", flags->quiet, "No progress bar");
  command->add_option("files", flags->files, "Files to import (a directory for movielens-100k)")->required();
  command->callback([flags, exit_code] {
    InitLogging(flags->engine.log_level);
    auto options = flags->engine.ToOptions();
    if (!options.ok()) {
      *exit_code = ReportError(options.status());
      return;
    }
    // Imports are history: old event times are expected, not suspicious.
    options->cleaner.past_tolerance_us = 0;
    options->background_processors = false;
    collect::ImportOptions import_options;
    auto format = collect::ParseImportFormat(flags->format);
    if (!format.ok()) {
      *exit_code = ReportError(format.status());
      return;
    }
    import_options.format = *format;
    if (*format == collect::ImportFormat::kCsv) {
      auto mapping = collect::ParseCsvMapping(flags->mapping);
      if (!mapping.ok()) {
        *exit_code = ReportError(mapping.status());
        return;
      }
      import_options.csv = *mapping;
    }
    auto engine = collect::Engine::Open(flags->engine.data_dir, *options);
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    for (const auto& file : flags->files) {
      ProgressBar bar(file);
      if (!flags->quiet) {
        import_options.progress = [&bar](uint64_t done, uint64_t total, uint64_t rows) {
          bar.Update(done, total, rows);
        };
      }
      auto report = collect::ImportFile(engine->get(), file, import_options);
      if (!report.ok()) {
        *exit_code = ReportError(report.status());
        return;
      }
      std::cout << absl::StrFormat(
          "%s: %d rows read, %d stored, %d duplicates, %d quarantined in %.2f s (%.0f rows/s)\n", file,
          report->rows_read, report->stored, report->duplicates, report->quarantined, report->seconds,
          report->seconds > 0 ? static_cast<double>(report->rows_read) / report->seconds : 0.0);
      for (const auto& [reason, count] : report->quarantined_by_reason) {
        std::cout << "  quarantined " << reason << ": " << count << "\n";
      }
    }
    absl::Status status = (*engine)->CatchUpProcessors();
    if (!status.ok()) *exit_code = ReportError(status);
  });
}

}  // namespace aidmp::cli
