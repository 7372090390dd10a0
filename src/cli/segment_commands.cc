// `aidmp segment count|explain`: the audience segment language from the command line.
#include <chrono>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits>
#include <iostream>

#include "audience/evaluate.h"
#include "audience/export.h"
#include "audience/lookalike.h"
#include "audience/segments.h"
#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "common/logging.h"
#include "common/status.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace aidmp::cli {

void AddSegmentCommands(CLI::App& app, int* exit_code) {
  CLI::App* segment = app.add_subcommand("segment", "Audience segments (docs/segments.md)");
  segment->require_subcommand(1);

  struct CountFlags {
    EngineFlags engine;
    std::string expression, at;
    bool reference = false;
  };
  auto count_flags = std::make_shared<CountFlags>();
  CLI::App* count = segment->add_subcommand(
      "count", "Count the persons matching an expression, e.g. 'traits.country = \"CN\" and interest(\"books\") >= 0.5' "
               "(while a server runs: as of opening; POST /v1/segments/count is live)");
  count_flags->engine.Declare(count, /*with_write_keys=*/false);
  count->add_option("expression", count_flags->expression, "The segment expression")->required();
  count->add_option("--at", count_flags->at, "Evaluate at this ISO-8601 time (default: now)");
  count->add_flag("--reference", count_flags->reference,
                  "Evaluate person by person with the reference evaluator instead of the bitmap index (slow; for checking)");
  count->callback([count_flags, exit_code] {
    InitLogging(count_flags->engine.log_level == "info" ? "warn" : count_flags->engine.log_level);
    auto expression = audience::ParseExpression(count_flags->expression);
    if (!expression.ok()) {
      *exit_code = ReportError(expression.status());
      return;
    }
    auto engine = count_flags->engine.OpenForReading();
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    int64_t now_us = (*engine)->clock()->NowMicros();
    if (!count_flags->at.empty()) {
      auto at = ParseIso8601Micros(count_flags->at);
      if (!at.ok()) {
        *exit_code = ReportError(absl::InvalidArgumentError(StrCat("--at: ", at.status().message())));
        return;
      }
      now_us = *at;
    }
    auto started = std::chrono::steady_clock::now();
    auto definitions = audience::SegmentCatalog((*engine)->store()).Definitions();
    if (!definitions.ok()) {
      *exit_code = ReportError(definitions.status());
      return;
    }
    uint64_t matching = 0, persons = 0;
    if (count_flags->reference) {
      auto result = audience::CountMatching((*engine)->store(), *expression, (*engine)->profile_model(), now_us,
                                            &*definitions);
      if (!result.ok()) {
        *exit_code = ReportError(result.status());
        return;
      }
      matching = result->matching;
      persons = result->persons;
    } else {
      auto result = (*engine)->audience()->Evaluate(*expression, &*definitions, now_us, /*explain=*/false);
      if (!result.ok()) {
        *exit_code = ReportError(result.status());
        return;
      }
      matching = result->count;
      persons = result->persons;
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    std::cout << matching << " of " << persons << " persons match " << expression->ToString() << " ("
              << static_cast<int64_t>(ms) << (count_flags->reference ? " ms, person by person)\n" : " ms, including building the index)\n");
  });

  auto explain_flags = std::make_shared<CountFlags>();
  CLI::App* explain = segment->add_subcommand(
      "explain",
      "Print an expression's canonical form (or where it is wrong); with --data, also its plan on the bitmap index: "
      "each step, how it was answered, the people it kept, and its time");
  explain_flags->engine.Declare(explain, /*with_write_keys=*/false);
  explain->add_option("expression", explain_flags->expression, "The segment expression")->required();
  explain->add_option("--at", explain_flags->at, "Evaluate at this ISO-8601 time (default: now)");
  explain->callback([explain, explain_flags, exit_code] {
    auto expression = audience::ParseExpression(explain_flags->expression);
    if (!expression.ok()) {
      *exit_code = ReportError(expression.status());
      return;
    }
    std::cout << expression->ToString() << "\n";
    if (explain->count("--data") == 0) return;
    InitLogging(explain_flags->engine.log_level == "info" ? "warn" : explain_flags->engine.log_level);
    auto engine = explain_flags->engine.OpenForReading();
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    int64_t now_us = (*engine)->clock()->NowMicros();
    if (!explain_flags->at.empty()) {
      auto at = ParseIso8601Micros(explain_flags->at);
      if (!at.ok()) {
        *exit_code = ReportError(absl::InvalidArgumentError(StrCat("--at: ", at.status().message())));
        return;
      }
      now_us = *at;
    }
    auto definitions = audience::SegmentCatalog((*engine)->store()).Definitions();
    if (!definitions.ok()) {
      *exit_code = ReportError(definitions.status());
      return;
    }
    // Once to build the index, then the plan of a warm run.
    auto result = (*engine)->audience()->Evaluate(*expression, &*definitions, now_us, /*explain=*/false);
    if (result.ok()) result = (*engine)->audience()->Evaluate(*expression, &*definitions, now_us, /*explain=*/true);
    if (!result.ok()) {
      *exit_code = ReportError(result.status());
      return;
    }
    std::cout << "\n" << std::left << std::setw(58) << "step" << " candidates -> kept         time  answered by\n"
              << audience::FormatPlan(result->plan) << "\n"
              << result->count << " of " << result->persons << " persons match\n";
  });

  // Living segments: save, list, delete, refresh, members, overlap.
  struct LivingFlags {
    EngineFlags engine;
    std::string name, expression, other;
    std::string format = "csv", identifiers = "userId", purpose = "advertising", output;
    bool require_consent = false;
  };
  // Opens the engine and runs `body` with it; errors become the exit code.
  auto with_engine = [exit_code](const LivingFlags& flags,
                                 const std::function<absl::Status(collect::Engine*)>& body) {
    InitLogging(flags.engine.log_level == "info" ? "warn" : flags.engine.log_level);
    auto engine = flags.engine.OpenForReading();
    absl::Status status = engine.ok() ? body(engine->get()) : engine.status();
    if (!status.ok()) *exit_code = ReportError(status);
  };
  auto declare = [&](const char* name, const char* help) {
    auto flags = std::make_shared<LivingFlags>();
    CLI::App* command = segment->add_subcommand(name, help);
    flags->engine.Declare(command, /*with_write_keys=*/false);
    return std::make_pair(command, flags);
  };

  {
    auto [save, flags] = declare("save", "Create or replace a saved segment, then print its size (needs the data "
                                         "directory to itself: stop the server, or use POST /v1/segments)");
    save->add_option("name", flags->name, "Segment name: 1-64 of A-Z a-z 0-9 _ -")->required();
    save->add_option("expression", flags->expression, "The segment expression")->required();
    save->callback([flags = flags, with_engine] {
      with_engine(*flags, [&](collect::Engine* engine) -> absl::Status {
        int64_t now_us = engine->clock()->NowMicros();
        AIDMP_ASSIGN_OR_RETURN(auto saved, audience::SegmentCatalog(engine->store())
                                               .Save(flags->name, flags->expression, engine->profile_model(), now_us));
        AIDMP_ASSIGN_OR_RETURN(auto reports, engine->memberships()->Refresh(saved.name, now_us));
        std::cout << saved.name << ": " << reports.front().size << " members  " << saved.expression << "\n";
        return absl::OkStatus();
      });
    });
  }
  {
    auto [list, flags] = declare("list", "List the saved segments with their sizes");
    list->callback([flags = flags, with_engine] {
      with_engine(*flags, [&](collect::Engine* engine) -> absl::Status {
        AIDMP_ASSIGN_OR_RETURN(auto segments, audience::SegmentCatalog(engine->store()).List());
        for (const auto& saved : segments) {
          AIDMP_ASSIGN_OR_RETURN(uint64_t size, engine->memberships()->Size(saved.name));
          std::cout << std::left << std::setw(24) << saved.name << std::right << std::setw(10) << size << "  "
                    << saved.expression << "\n";
        }
        return absl::OkStatus();
      });
    });
  }
  {
    auto [drop, flags] = declare("delete", "Delete a saved segment with its members and history");
    drop->add_option("name", flags->name, "Segment name")->required();
    drop->callback([flags = flags, with_engine] {
      with_engine(*flags, [&](collect::Engine* engine) -> absl::Status {
        AIDMP_RETURN_IF_ERROR(audience::SegmentCatalog(engine->store()).Delete(flags->name));
        return engine->memberships()->Drop(flags->name);
      });
    });
  }
  {
    auto [refresh, flags] = declare("refresh", "Re-evaluate saved segments over everyone and record who entered and "
                                               "left (the result streaming keeps)");
    refresh->add_option("name", flags->name, "Segment name (default: every segment)");
    refresh->callback([flags = flags, with_engine] {
      with_engine(*flags, [&](collect::Engine* engine) -> absl::Status {
        AIDMP_ASSIGN_OR_RETURN(auto reports, engine->memberships()->Refresh(flags->name, engine->clock()->NowMicros()));
        for (const auto& report : reports) {
          std::cout << std::left << std::setw(24) << report.segment << std::right << std::setw(10) << report.size
                    << " members  +" << report.entered << " -" << report.exited << "\n";
        }
        return absl::OkStatus();
      });
    });
  }
  {
    auto [members, flags] = declare("members", "Export a segment's members with chosen identifiers, as CSV or JSON "
                                               "lines, leaving out people who refused consent for the purpose");
    members->add_option("name", flags->name, "Segment name")->required();
    members->add_option("--format", flags->format, "csv or jsonl")->check(CLI::IsMember({"csv", "jsonl"}))
        ->capture_default_str();
    members->add_option("--identifiers", flags->identifiers,
                        "Identifier types, comma-separated: userId, anonymousId, deviceId, advertisingId, emailHash, "
                        "phoneHash")
        ->capture_default_str();
    members->add_option("--purpose", flags->purpose, "Consent purpose the export serves ('none': no filter)")
        ->capture_default_str();
    members->add_flag("--require-consent", flags->require_consent,
                      "Leave out people with no recorded decision for the purpose too");
    members->add_option("--output", flags->output, "Write to this file instead of standard output");
    members->callback([flags = flags, with_engine] {
      with_engine(*flags, [&](collect::Engine* engine) -> absl::Status {
        audience::ExportOptions options;
        AIDMP_ASSIGN_OR_RETURN(options.identifiers, audience::ParseIdentifierList(flags->identifiers));
        options.purpose = flags->purpose == "none" ? "" : flags->purpose;
        options.require_grant = flags->require_consent;
        options.limit = 10000;
        std::ofstream file;
        if (!flags->output.empty()) {
          file.open(flags->output, std::ios::binary | std::ios::trunc);
          if (!file) return absl::InvalidArgumentError(StrCat("--output: cannot write ", flags->output));
        }
        std::ostream& out = flags->output.empty() ? std::cout : file;
        uint64_t rows = 0, excluded = 0;
        bool first = true;
        do {
          AIDMP_ASSIGN_OR_RETURN(auto page, audience::ExportMembers(engine->store(), engine->memberships(), flags->name,
                                                                    options));
          out << (flags->format == "csv" ? audience::ExportCsv(page, options, first)
                                         : audience::ExportJsonLines(page, options));
          rows += page.rows.size();
          excluded += page.excluded_by_consent;
          options.after = page.next_cursor;
          first = false;
        } while (options.after != 0);
        out.flush();
        if (!out) return absl::InternalError("writing the export failed");
        std::cerr << rows << " members exported, " << excluded << " left out for " << flags->purpose << " consent\n";
        return absl::OkStatus();
      });
    });
  }
  {
    auto [overlap, flags] = declare("overlap", "Sizes of two saved segments, their overlap and differences");
    overlap->add_option("a", flags->name, "First segment")->required();
    overlap->add_option("b", flags->other, "Second segment")->required();
    overlap->callback([flags = flags, with_engine] {
      with_engine(*flags, [&](collect::Engine* engine) -> absl::Status {
        AIDMP_ASSIGN_OR_RETURN(auto counts, engine->memberships()->Overlap(flags->name, flags->other));
        std::cout << flags->name << ": " << counts.a << "\n" << flags->other << ": " << counts.b << "\nboth: " << counts.both
                  << "\n" << flags->name << " only: " << counts.a - counts.both << "\n" << flags->other
                  << " only: " << counts.b - counts.both << "\n";
        return absl::OkStatus();
      });
    });
  }
  {
    auto [lookalike, flags] = declare("lookalike", "The people most like a segment's members who are not in it "
                                                   "(cosine similarity of interest and behaviour vectors, HNSW search)");
    lookalike->add_option("name", flags->name, "Seed segment")->required();
    auto size = std::make_shared<size_t>(20);
    auto exact = std::make_shared<bool>(false);
    lookalike->add_option("--size", *size, "How many people")->check(CLI::Range(1, 100000))->capture_default_str();
    lookalike->add_flag("--exact", *exact, "Scan everyone instead of searching the HNSW graph");
    lookalike->callback([flags = flags, with_engine, size, exact] {
      with_engine(*flags, [&](collect::Engine* engine) -> absl::Status {
        AIDMP_ASSIGN_OR_RETURN(auto seed, engine->memberships()->Members(flags->name, 0, std::numeric_limits<size_t>::max()));
        int64_t now_us = engine->clock()->NowMicros();
        AIDMP_ASSIGN_OR_RETURN(auto model, audience::LookalikeModel::Build(engine->store(), engine->profile_model(), now_us));
        AIDMP_ASSIGN_OR_RETURN(auto found, model->Expand(seed, *size, *exact));
        AIDMP_ASSIGN_OR_RETURN(auto truth, model->Expand(seed, *size, /*exact=*/true));
        std::cout << "seed " << seed.size() << " people; " << model->persons() << " people with vectors of "
                  << model->dimensions() << " features; recall of the search against exact: "
                  << audience::Recall(found, truth) << "\nperson      similarity\n";
        for (const auto& match : found) {
          std::cout << std::left << std::setw(12) << match.person << match.similarity << "\n";
        }
        return absl::OkStatus();
      });
    });
  }
}

}  // namespace aidmp::cli
