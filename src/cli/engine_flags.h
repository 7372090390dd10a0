// Flags shared by every command that opens an engine (serve, import, replay, demo), and
// their translation into EngineOptions.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "collect/engine.h"

namespace aidmp::cli {

struct EngineFlags {
  std::string data_dir = "aidmp-data";
  std::vector<std::string> write_keys;  // "KEY" or "KEY=source"
  std::string dedup_window = "7d";
  bool no_pii_hashing = false;
  std::string tracking_plan;
  std::string profile_config;
  std::string identity_config;
  std::string log_level = "info";
  int bot_events_per_minute = 300;
  bool no_outliers = false;
  int processor_nice = collect::EngineOptions{}.processor_nice;
  std::string max_processor_lag =
      std::to_string(collect::IngestOptions{}.max_processor_lag_us / kMicrosPerSecond) + "s";
  int profile_cache_mb = static_cast<int>(profile::PersonProcessor::kDefaultProfileCacheBytes >> 20);

  // Declares the flags on `command`; `with_write_keys` for commands that take HTTP.
  void Declare(CLI::App* command, bool with_write_keys);
  // Builds engine options. InvalidArgument naming the flag on bad values.
  absl::StatusOr<collect::EngineOptions> ToOptions() const;
  // An engine for reading, processors caught up; if a server holds the directory, a
  // read-only one that sees what was written when it opened.
  absl::StatusOr<std::unique_ptr<collect::Engine>> OpenForReading() const;
};

// Prints "error: <message>" to stderr and returns the exit code for `status`.
int ReportError(const absl::Status& status);

}  // namespace aidmp::cli
