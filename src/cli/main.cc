// aidmp: one binary, subcommands for serving, importing, reading and the demo.
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "aidmp: a self-hosted data management platform for marketing.\n"
      "Collects behaviour over the Segment Tracking API or from files, cleans and stores it."};
  app.require_subcommand(1);
  app.set_config("--config", "", "Read flags from a TOML/INI config file");
  app.set_version_flag("--version", "aidmp 0.1.0");
  int exit_code = 0;
  aidmp::cli::AddServeCommand(app, &exit_code);
  aidmp::cli::AddImportCommand(app, &exit_code);
  aidmp::cli::AddReadCommands(app, &exit_code);
  aidmp::cli::AddProfileCommands(app, &exit_code);
  aidmp::cli::AddSegmentCommands(app, &exit_code);
  aidmp::cli::AddSimulateCommands(app, &exit_code);
  aidmp::cli::AddEvalCommands(app, &exit_code);
  aidmp::cli::AddRecommendCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  return exit_code;
}
