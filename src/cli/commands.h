// Subcommands of the aidmp binary. Each Add* registers one or more subcommands on the
// app; their callbacks set *exit_code. Flags are declared next to the code that reads
// them. Not thread-safe: CLI parsing happens once on the main thread.
#pragma once

#include <CLI/CLI.hpp>

namespace aidmp::cli {

void AddServeCommand(CLI::App& app, int* exit_code);
void AddImportCommand(CLI::App& app, int* exit_code);
void AddReadCommands(CLI::App& app, int* exit_code);  // events, stats, quarantine
void AddProfileCommands(CLI::App& app, int* exit_code);  // profile, rebuild profiles
void AddSegmentCommands(CLI::App& app, int* exit_code);  // segment count, segment explain
void AddSimulateCommands(CLI::App& app, int* exit_code);  // simulate, demo
void AddEvalCommands(CLI::App& app, int* exit_code);  // eval recommend
void AddRecommendCommands(CLI::App& app, int* exit_code);  // train recommender, recommend, items, recommender

// True once SIGINT or SIGTERM arrived (after InstallStopSignals).
bool StopRequested();
void InstallStopSignals();

}  // namespace aidmp::cli
