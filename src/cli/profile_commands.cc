// `aidmp profile` (one person's document) and `aidmp rebuild profiles`.
#include <iostream>

#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "cli/progress_bar.h"
#include "common/hash.h"
#include "common/logging.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "profile/person_document.h"

namespace aidmp::cli {

void AddProfileCommands(CLI::App& app, int* exit_code) {
  struct ProfileFlags {
    EngineFlags engine;
    uint64_t person = 0;
    std::string user_id, anonymous_id, email, id_type, id_value, at;
    size_t limit = 20;
  };
  auto flags = std::make_shared<ProfileFlags>();
  CLI::App* profile = app.add_subcommand(
      "profile", "Print one person's profile as JSON: identifiers, merges, traits, computed traits, interests, "
                 "sessions, RFM, recent events (while a server runs: as of opening; GET /v1/profiles/... is live)");
  flags->engine.Declare(profile, /*with_write_keys=*/false);
  profile->add_option("--person", flags->person, "Canonical person id");
  profile->add_option("--user-id", flags->user_id, "Find the person by userId");
  profile->add_option("--anonymous-id", flags->anonymous_id, "Find the person by anonymousId");
  profile->add_option("--email", flags->email, "Find the person by email (hashed as ingest hashes it)");
  profile->add_option("--id-type", flags->id_type, "Find by another identifier type (deviceId, advertisingId, ...)");
  profile->add_option("--id-value", flags->id_value, "... and its value");
  profile->add_option("--at", flags->at, "Evaluate windows, decay and recency at this ISO-8601 time (default: now)");
  profile->add_option("--limit", flags->limit, "Recent events to show")->capture_default_str();
  profile->callback([flags, exit_code] {
    InitLogging(flags->engine.log_level == "info" ? "warn" : flags->engine.log_level);
    auto options = flags->engine.ToOptions();
    if (!options.ok()) {
      *exit_code = ReportError(options.status());
      return;
    }
    options->background_processors = false;
    auto engine = collect::Engine::Open(flags->engine.data_dir, *options);
    bool read_only = false;
    if (absl::IsFailedPrecondition(engine.status())) {
      // A server holds the directory: read what it has written so far.
      options->store.read_only = read_only = true;
      engine = collect::Engine::Open(flags->engine.data_dir, *options);
    }
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    absl::Status status = read_only ? absl::OkStatus() : (*engine)->CatchUpProcessors();
    if (!status.ok()) {
      *exit_code = ReportError(status);
      return;
    }
    storage::Store* store = (*engine)->store();
    absl::StatusOr<identity::PersonRecord> person = absl::InvalidArgumentError(
        "name the person: --person, --user-id, --anonymous-id, --email, or --id-type with --id-value");
    if (flags->person != 0) {
      person = identity::IdentityGraph::ReadPerson(store, flags->person);
    } else if (!flags->user_id.empty()) {
      person = profile::FindPerson(store, {identity::IdType::kUserId, flags->user_id});
    } else if (!flags->anonymous_id.empty()) {
      person = profile::FindPerson(store, {identity::IdType::kAnonymousId, flags->anonymous_id});
    } else if (!flags->email.empty()) {
      person = profile::FindPerson(store, {identity::IdType::kEmailHash, HashEmail(flags->email)});
    } else if (!flags->id_type.empty()) {
      identity::Identifier id;
      id.value = flags->id_value;
      if (!identity::ParseIdType(flags->id_type, &id.type)) {
        person = absl::InvalidArgumentError(StrCat("--id-type: unknown identifier type '", flags->id_type, "'"));
      } else {
        person = profile::FindPerson(store, id);
      }
    }
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
    status = profile::WritePersonDocument(store, (*engine)->profile_model(), *person, &*rfm, document, &writer);
    if (!status.ok()) {
      *exit_code = ReportError(status);
      return;
    }
    std::cout << writer.str() << "\n";
  });

  struct RebuildFlags {
    EngineFlags engine;
    bool quiet = false;
  };
  auto rebuild_flags = std::make_shared<RebuildFlags>();
  CLI::App* rebuild = app.add_subcommand("rebuild", "Re-derive data from the event log");
  rebuild->require_subcommand(1);
  CLI::App* profiles = rebuild->add_subcommand(
      "profiles", "Re-resolve identities and rebuild every profile from the whole log with the current identity "
                  "rules and --profile-config (the server must be stopped)");
  rebuild_flags->engine.Declare(profiles, /*with_write_keys=*/false);
  profiles->add_flag("--quiet", rebuild_flags->quiet, "No progress bar");
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
    });
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
