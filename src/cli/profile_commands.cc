// `aidmp profile` (one person's document), `aidmp erase` and `aidmp rebuild profiles`.
#include <iostream>

#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "cli/person_flags.h"
#include "cli/progress_bar.h"
#include "common/hash.h"
#include "common/logging.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "privacy/erasure.h"
#include "profile/person_document.h"

namespace aidmp::cli {


void AddProfileCommands(CLI::App& app, int* exit_code) {
  struct ProfileFlags {
    EngineFlags engine;
    PersonFlags who;
    std::string at;
    size_t limit = 20;
  };
  auto flags = std::make_shared<ProfileFlags>();
  CLI::App* profile = app.add_subcommand(
      "profile", "Print one person's profile as JSON: identifiers, merges, traits, computed traits, interests, "
                 "sessions, RFM, recent events (while a server runs: as of opening; GET /v1/profiles/... is live)");
  flags->engine.Declare(profile, /*with_write_keys=*/false);
  flags->who.Declare(profile);
  profile->add_option("--at", flags->at, "Evaluate windows, decay and recency at this ISO-8601 time (default: now)");
  profile->add_option("--limit", flags->limit, "Recent events to show")->capture_default_str();
  profile->callback([flags, exit_code] {
    InitLogging(flags->engine.log_level == "info" ? "warn" : flags->engine.log_level);
    auto engine = flags->engine.OpenForReading();
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    storage::Store* store = (*engine)->store();
    auto person = flags->who.Find(store);
    if (!person.ok()) {
      *exit_code = ReportError(person.status());
      return;
    }
    profile::DocumentOptions document;
    document.events_limit = flags->limit;
    document.now_us = (*engine)->clock()->NowMicros();
    if (!flags->at.empty()) {
      auto at = ParseIso8601Micros(flags->at);
      if (!at.ok()) {
        *exit_code = ReportError(absl::InvalidArgumentError(StrCat("--at: ", at.status().message())));
        return;
      }
      document.now_us = *at;
    }
    auto rfm = profile::FitRfm(store, (*engine)->profile_model(), document.now_us);
    if (!rfm.ok()) {
      *exit_code = ReportError(rfm.status());
      return;
    }
    JsonWriter writer;
    absl::Status status = profile::WritePersonDocument(store, (*engine)->profile_model(), *person, &*rfm, document, &writer);
    if (!status.ok()) {
      *exit_code = ReportError(status);
      return;
    }
    std::cout << writer.str() << "\n";
  });

  struct EraseFlags {
    EngineFlags engine;
    PersonFlags who;
  };
  auto erase_flags = std::make_shared<EraseFlags>();
  CLI::App* erase = app.add_subcommand(
      "erase", "Erase one person (events, identities, profile, quarantined payloads naming them) from the store "
               "and suppress their identifiers (the server must be stopped; DELETE /v1/profiles/... otherwise)");
  erase_flags->engine.Declare(erase, /*with_write_keys=*/false);
  erase_flags->who.Declare(erase);
  erase->callback([erase_flags, exit_code] {
    InitLogging(erase_flags->engine.log_level == "info" ? "warn" : erase_flags->engine.log_level);
    auto options = erase_flags->engine.ToOptions();
    if (!options.ok()) {
      *exit_code = ReportError(options.status());
      return;
    }
    options->background_processors = false;
    auto engine = collect::Engine::Open(erase_flags->engine.data_dir, *options);
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    absl::Status status = (*engine)->CatchUpProcessors();
    auto person = status.ok() ? erase_flags->who.Find((*engine)->store())
                              : absl::StatusOr<identity::PersonRecord>(status);
    if (!person.ok()) {
      *exit_code = ReportError(person.status());
      return;
    }
    auto report = (*engine)->ErasePerson(person->id);
    if (!report.ok()) {
      *exit_code = ReportError(report.status());
      return;
    }
    std::cout << privacy::EncodeErasure(*report) << "\n";
  });

  struct UnmergeFlags {
    EngineFlags engine;
    uint64_t merge = 0;
  };
  auto unmerge_flags = std::make_shared<UnmergeFlags>();
  CLI::App* unmerge = app.add_subcommand(
      "unmerge", "Undo an identity merge: split the person at it, re-attribute their events, recompute the profiles, "
                 "and keep the two sides apart from now on (server stopped; POST /v1/identity/unmerge otherwise)");
  unmerge_flags->engine.Declare(unmerge, /*with_write_keys=*/false);
  unmerge->add_option("--merge", unmerge_flags->merge, "The merge id (from a profile's 'merges')")->required();
  unmerge->callback([unmerge_flags, exit_code] {
    InitLogging(unmerge_flags->engine.log_level == "info" ? "warn" : unmerge_flags->engine.log_level);
    auto options = unmerge_flags->engine.ToOptions();
    if (!options.ok()) {
      *exit_code = ReportError(options.status());
      return;
    }
    options->background_processors = false;
    auto engine = collect::Engine::Open(unmerge_flags->engine.data_dir, *options);
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    auto report = (*engine)->Unmerge(unmerge_flags->merge);
    if (!report.ok()) {
      *exit_code = ReportError(report.status());
      return;
    }
    std::cout << "merge " << report->merge << " undone (split " << report->split << "): " << report->events
              << " events re-attributed to persons";
    for (uint64_t person : report->persons) std::cout << " " << person;
    std::cout << "\n";
  });

  struct RebuildFlags {
    EngineFlags engine;
    bool quiet = false;
    bool streaming_identity = false;
  };
  auto rebuild_flags = std::make_shared<RebuildFlags>();
  CLI::App* rebuild = app.add_subcommand("rebuild", "Re-derive data from the event log");
  rebuild->require_subcommand(1);
  CLI::App* profiles = rebuild->add_subcommand(
      "profiles", "Re-resolve identities and rebuild every profile from the whole log with the current identity "
                  "rules and --profile-config (the server must be stopped)");
  rebuild_flags->engine.Declare(profiles, /*with_write_keys=*/false);
  profiles->add_flag("--quiet", rebuild_flags->quiet, "No progress bar");
  profiles->add_flag("--streaming-identity", rebuild_flags->streaming_identity,
                     "Resolve identities event by event against the store, as the server does, instead of in memory "
                     "(slower; for graphs too big for memory: about 100 bytes per identifier)");
  profiles->callback([rebuild_flags, exit_code] {
    InitLogging(rebuild_flags->engine.log_level);
    auto options = rebuild_flags->engine.ToOptions();
    if (!options.ok()) {
      *exit_code = ReportError(options.status());
      return;
    }
    options->background_processors = false;
    auto engine = collect::Engine::Open(rebuild_flags->engine.data_dir, *options);
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    ProgressBar bar("profiles");
    auto started = std::chrono::steady_clock::now();
    uint64_t events = 0;
    absl::Status status = (*engine)->RebuildPersons([&](uint64_t done, uint64_t total) {
      events = done;
      if (!rebuild_flags->quiet) bar.Update(done, total, done);
    }, rebuild_flags->streaming_identity);
    if (!status.ok()) {
      *exit_code = ReportError(status);
      return;
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    collect::EngineStats stats = (*engine)->Stats();
    std::cout << "rebuilt from " << events << " events in " << seconds << " s: " << stats.persons
              << " persons created, " << stats.merges << " merges, " << stats.merges_blocked << " refused\n";
  });
}

}  // namespace aidmp::cli
