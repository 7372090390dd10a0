#include <iostream>

#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "collect/replay.h"
#include "common/json_writer.h"
#include "common/logging.h"
#include "common/time_format.h"
#include "index/event_query.h"
#include "common/strings.h"

namespace aidmp::cli {
namespace {

// Something to read from: a full engine when no server holds the directory (so the
// indexes are brought up to date first), else a read-only view of it.
struct ReadHandle {
  std::unique_ptr<collect::Engine> engine;
  std::unique_ptr<storage::Store> read_only;
  storage::Store* store() { return engine ? engine->store() : read_only.get(); }
};

absl::StatusOr<ReadHandle> OpenForReading(const std::string& data_dir) {
  ReadHandle handle;
  collect::EngineOptions options;
  options.background_processors = false;
  auto engine = collect::Engine::Open(data_dir, options);
  if (engine.ok()) {
    absl::Status status = (*engine)->CatchUpProcessors();
    if (!status.ok()) return status;
    handle.engine = std::move(*engine);
    return handle;
  }
  if (!absl::IsFailedPrecondition(engine.status())) return engine.status();
  storage::StoreOptions store_options;
  store_options.read_only = true;
  auto store = storage::Store::Open(data_dir, store_options);
  if (!store.ok()) return store.status();
  handle.read_only = std::move(*store);
  return handle;
}

absl::StatusOr<int64_t> ParseTimeFlag(const std::string& name, const std::string& value) {
  auto parsed = ParseIso8601Micros(value);
  if (!parsed.ok()) return absl::InvalidArgumentError(StrCat(name, ": ", parsed.status().message()));
  return *parsed;
}

}  // namespace

void AddReadCommands(CLI::App& app, int* exit_code) {
  struct EventsFlags {
    std::string data_dir = "aidmp-data";
    index::EventFilter filter;
    std::string from, to;
  };
  auto events_flags = std::make_shared<EventsFlags>();
  CLI::App* events = app.add_subcommand("events", "Print stored events as JSON lines, oldest first");
  events->add_option("--data", events_flags->data_dir, "Data directory")->capture_default_str();
  events->add_option("--user-id", events_flags->filter.user_id, "Only this userId");
  events->add_option("--anonymous-id", events_flags->filter.anonymous_id, "Only this anonymousId");
  events->add_option("--event", events_flags->filter.event, "Only track events with this name");
  events->add_option("--type", events_flags->filter.type, "Only this type (track, identify, ...)");
  events->add_option("--from", events_flags->from, "Event time from (ISO-8601, inclusive)");
  events->add_option("--to", events_flags->to, "Event time to (ISO-8601, exclusive)");
  events->add_option("--limit", events_flags->filter.limit, "At most this many events")->capture_default_str();
  events->add_option("--cursor", events_flags->filter.cursor, "Continue after a previous page");
  events->callback([events_flags, exit_code] {
    InitLogging("warn");
    auto handle = OpenForReading(events_flags->data_dir);
    if (!handle.ok()) {
      *exit_code = ReportError(handle.status());
      return;
    }
    index::EventFilter filter = events_flags->filter;
    for (auto [flag, value, target] : {std::tuple{"--from", &events_flags->from, &filter.from_us},
                                       std::tuple{"--to", &events_flags->to, &filter.to_us}}) {
      if (value->empty()) continue;
      auto ts = ParseTimeFlag(flag, *value);
      if (!ts.ok()) {
        *exit_code = ReportError(ts.status());
        return;
      }
      *target = *ts;
    }
    size_t remaining = filter.limit;
    while (remaining > 0) {
      filter.limit = std::min(remaining, index::kMaxEventPage);
      auto page = index::QueryEvents(handle->store(), filter, handle->engine ? handle->engine->pending_index() : nullptr);
      if (!page.ok()) {
        *exit_code = ReportError(page.status());
        return;
      }
      for (const auto& record : page->records) std::cout << record << "\n";
      remaining -= page->records.size();
      if (page->next_cursor.empty()) break;
      filter.cursor = page->next_cursor;
    }
  });

  auto stats_dir = std::make_shared<std::string>("aidmp-data");
  CLI::App* stats = app.add_subcommand("stats", "Print event counts: stored, duplicates, quarantined");
  stats->add_option("--data", *stats_dir, "Data directory")->capture_default_str();
  stats->callback([stats_dir, exit_code] {
    InitLogging("warn");
    auto handle = OpenForReading(*stats_dir);
    if (!handle.ok()) {
      *exit_code = ReportError(handle.status());
      return;
    }
    JsonWriter writer;
    writer.BeginObject();
    collect::WriteStatsMembers(collect::ReadStats(handle->store()), &writer);
    writer.EndObject();
    std::cout << writer.str() << "\n";
  });

  CLI::App* quarantine = app.add_subcommand("quarantine", "List or replay quarantined events");
  quarantine->require_subcommand(1);
  struct ListFlags {
    std::string data_dir = "aidmp-data";
    std::string reason;
    size_t limit = 100;
  };
  auto list_flags = std::make_shared<ListFlags>();
  CLI::App* list = quarantine->add_subcommand("list", "Print quarantined events as JSON lines");
  list->add_option("--data", list_flags->data_dir, "Data directory")->capture_default_str();
  list->add_option("--reason", list_flags->reason, "Only this reason code (e.g. missing_identity)");
  list->add_option("--limit", list_flags->limit, "At most this many")->capture_default_str();
  list->callback([list_flags, exit_code] {
    InitLogging("warn");
    std::optional<clean::Reason> reason;
    if (!list_flags->reason.empty()) {
      clean::Reason parsed;
      if (!clean::ParseReasonCode(list_flags->reason, &parsed)) {
        *exit_code = ReportError(absl::InvalidArgumentError(StrCat("unknown reason '", list_flags->reason, "'")));
        return;
      }
      reason = parsed;
    }
    auto handle = OpenForReading(list_flags->data_dir);
    if (!handle.ok()) {
      *exit_code = ReportError(handle.status());
      return;
    }
    clean::Quarantine reader(handle->store());
    std::vector<clean::QuarantineRecord> records;
    absl::Status status = reader.List(0, list_flags->limit, reason, &records);
    if (!status.ok()) {
      *exit_code = ReportError(status);
      return;
    }
    for (const auto& record : records) std::cout << clean::Quarantine::EncodeRecord(record) << "\n";
  });

  struct ReplayFlags {
    EngineFlags engine;
    std::string reason;
  };
  auto replay_flags = std::make_shared<ReplayFlags>();
  CLI::App* replay = quarantine->add_subcommand(
      "replay", "Re-run quarantined events through cleaning with the current flags (server stopped; "
                "a running server does the same on POST /v1/quarantine/replay)");
  replay_flags->engine.Declare(replay, /*with_write_keys=*/false);
  replay->add_option("--reason", replay_flags->reason, "Only this reason code");
  replay->callback([replay_flags, exit_code] {
    InitLogging(replay_flags->engine.log_level);
    auto options = replay_flags->engine.ToOptions();
    if (!options.ok()) {
      *exit_code = ReportError(options.status());
      return;
    }
    std::optional<clean::Reason> reason;
    if (!replay_flags->reason.empty()) {
      clean::Reason parsed;
      if (!clean::ParseReasonCode(replay_flags->reason, &parsed)) {
        *exit_code = ReportError(absl::InvalidArgumentError(StrCat("unknown reason '", replay_flags->reason, "'")));
        return;
      }
      reason = parsed;
    }
    options->background_processors = false;
    auto engine = collect::Engine::Open(replay_flags->engine.data_dir, *options);
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    auto report = collect::ReplayQuarantine(engine->get(), reason, SIZE_MAX);
    if (!report.ok()) {
      *exit_code = ReportError(report.status());
      return;
    }
    absl::Status status = (*engine)->CatchUpProcessors();
    if (!status.ok()) {
      *exit_code = ReportError(status);
      return;
    }
    std::cout << "replayed " << report->examined << ": " << report->stored << " stored, "
              << report->duplicates << " duplicates, " << report->still_failing << " still failing\n";
  });
}

}  // namespace aidmp::cli
