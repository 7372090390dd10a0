#include "cli/engine_flags.h"

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "common/hash.h"
#include "identity/rules_config.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace aidmp::cli {
namespace {
volatile std::sig_atomic_t stop_requested = 0;
void OnStopSignal(int) { stop_requested = 1; }
}  // namespace

bool StopRequested() { return stop_requested != 0; }

void InstallStopSignals() {
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
}

void EngineFlags::Declare(CLI::App* command, bool with_write_keys) {
  command->add_option("--data", data_dir, "Data directory (created if missing)")->capture_default_str();
  if (with_write_keys) {
    command->add_option("--write-key", write_keys,
                        "Accepted write key, as KEY or KEY=source-name; repeat for several sources")
        ->take_all();
    command->add_option("--processor-nice", processor_nice,
                        "How much lower the CPU priority of the processors behind the log is (0-19): under "
                        "load, events are acknowledged first and indexed and profiled when CPU is left over")
        ->check(CLI::Range(0, 19))
        ->capture_default_str();
    command->add_option("--max-processor-lag", max_processor_lag,
                        "Lag bound: when the oldest event not yet indexed or profiled has waited this long, "
                        "acknowledgements wait for the processors (e.g. 30s, 2m; 0 for no bound)")
        ->capture_default_str();
  }
  command->add_option("--dedup-window", dedup_window,
                      "How long a messageId is remembered for de-duplication (e.g. 7d, 24h)")
      ->capture_default_str();
  command->add_flag("--no-pii-hashing", no_pii_hashing,
                    "Store emails and phones as sent instead of their SHA-256");
  command->add_option("--tracking-plan", tracking_plan, "Tracking plan JSON file (docs/cleaning.md)");
  command->add_option("--profile-config", profile_config,
                      "Profile config JSON file: computed traits, interests, sessions, RFM (docs/profiles.md); "
                      "remembered in the data directory");
  command->add_option("--identity-config", identity_config,
                      "Identity rules JSON file: per-type limits and priority (docs/profiles.md); "
                      "remembered in the data directory");
  command->add_option("--bot-events-per-minute", bot_events_per_minute,
                      "Flag an id's events as bot traffic above this rate (0 disables)")
      ->capture_default_str();
  command->add_flag("--no-outliers", no_outliers, "Do not flag outliers in numeric properties");
  command->add_option("--profile-cache-mb", profile_cache_mb,
                      "Memory for decoded profiles kept between the persons processor's steps, in MiB "
                      "(about; 0 reads every profile from the store each time)")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  command->add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
}

absl::StatusOr<collect::EngineOptions> EngineFlags::ToOptions() const {
  collect::EngineOptions options;
  auto window = ParseDurationMicros(dedup_window);
  if (!window.ok()) return absl::InvalidArgumentError(StrCat("--dedup-window: ", window.status().message()));
  options.dedup_window_us = *window;
  options.processor_nice = processor_nice;
  if (max_processor_lag == "0") {
    options.ingest.max_processor_lag_us = 0;
  } else {
    auto lag = ParseDurationMicros(max_processor_lag);
    if (!lag.ok()) return absl::InvalidArgumentError(StrCat("--max-processor-lag: ", lag.status().message()));
    options.ingest.max_processor_lag_us = *lag;
  }
  options.cleaner.hash_pii = !no_pii_hashing;
  options.cleaner.bots.max_events_per_minute = bot_events_per_minute;
  options.cleaner.detect_outliers = !no_outliers;
  options.profile_cache_bytes = static_cast<size_t>(profile_cache_mb) << 20;
  if (!tracking_plan.empty()) {
    auto plan = clean::TrackingPlan::LoadFile(tracking_plan);
    if (!plan.ok()) return plan.status();
    options.cleaner.plan = *plan;
  }
  auto read_file = [](const std::string& flag, const std::string& path, std::string* text) -> absl::Status {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::InvalidArgumentError(StrCat(flag, ": cannot read '", path, "'"));
    std::stringstream bytes;
    bytes << in.rdbuf();
    *text = bytes.str();
    return absl::OkStatus();
  };
  if (!profile_config.empty()) {
    absl::Status status = read_file("--profile-config", profile_config, &options.profile_config_json);
    if (!status.ok()) return status;
    auto parsed = profile::ParseProfileConfig(options.profile_config_json);
    if (!parsed.ok()) return absl::InvalidArgumentError(StrCat("--profile-config ", profile_config, ": ", parsed.status().message()));
  }
  if (!identity_config.empty()) {
    absl::Status status = read_file("--identity-config", identity_config, &options.identity_config_json);
    if (!status.ok()) return status;
    auto parsed = identity::ParseIdentityRules(options.identity_config_json);
    if (!parsed.ok()) return absl::InvalidArgumentError(StrCat("--identity-config ", identity_config, ": ", parsed.status().message()));
  }
  for (const auto& spec : write_keys) {
    size_t eq = spec.find('=');
    std::string key = spec.substr(0, eq);
    if (key.empty()) return absl::InvalidArgumentError("--write-key: the key must not be empty");
    std::string source = eq == std::string::npos ? StrCat("key-", Sha256Hex(key).substr(0, 8))
                                                 : spec.substr(eq + 1);
    options.write_keys[key] = source;
  }
  return options;
}

absl::StatusOr<std::unique_ptr<collect::Engine>> EngineFlags::OpenForReading() const {
  auto options = ToOptions();
  if (!options.ok()) return options.status();
  options->background_processors = false;
  auto engine = collect::Engine::Open(data_dir, *options);
  if (absl::IsFailedPrecondition(engine.status())) {
    options->store.read_only = true;
    return collect::Engine::Open(data_dir, *options);
  }
  if (!engine.ok()) return engine.status();
  absl::Status status = (*engine)->CatchUpProcessors();
  if (!status.ok()) return status;
  return engine;
}

int ReportError(const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return 1;
}

}  // namespace aidmp::cli
