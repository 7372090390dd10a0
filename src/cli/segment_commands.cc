// `aidmp segment count|explain`: the audience segment language from the command line.
#include <chrono>
#include <iomanip>
#include <iostream>

#include "audience/evaluate.h"
#include "audience/segments.h"
#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "common/logging.h"
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
      matching = result->slots.cardinality();
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
              << result->slots.cardinality() << " of " << result->persons << " persons match\n";
  });
}

}  // namespace aidmp::cli
