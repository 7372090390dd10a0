#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "collect/importer.h"
#include "common/logging.h"

namespace aidmp::cli {
namespace {

// A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label) : label_(std::move(label)), tty_(isatty(STDERR_FILENO)) {}

  void Update(uint64_t done, uint64_t total, uint64_t rows) {
    double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0;
    if (fraction > 1) fraction = 1;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    double rate = seconds > 0 ? static_cast<double>(rows) / seconds : 0;
    int percent = static_cast<int>(fraction * 100);
    if (!tty_) {
      if (percent / 10 == last_decile_ && percent < 100) return;
      last_decile_ = percent / 10;
      std::fprintf(stderr, "%s: %3d%% %llu rows (%.0f rows/s)\n", label_.c_str(), percent,
                   static_cast<unsigned long long>(rows), rate);
      return;
    }
    constexpr int kWidth = 30;
    int filled = static_cast<int>(fraction * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, ' ');
    std::fprintf(stderr, "\r%s [%s] %3d%% %llu rows %.0f rows/s", label_.c_str(), bar.c_str(), percent,
                 static_cast<unsigned long long>(rows), rate);
    if (percent >= 100) std::fprintf(stderr, "\n");
  }

 private:
  std::string label_;
  bool tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace

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
