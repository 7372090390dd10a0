#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "common/logging.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "serve/http_server.h"
#include "spdlog/spdlog.h"

namespace aidmp::cli {

void AddServeCommand(CLI::App& app, int* exit_code) {
  struct Flags {
    EngineFlags engine;
    serve::ServerOptions server;
    std::string port_file;
    std::string retrain_every, train_algo = "auto";
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* command = app.add_subcommand(
      "serve", "Run the collector (Segment Tracking API) and the admin API on one data directory");
  flags->engine.Declare(command, /*with_write_keys=*/true);
  command->add_option("--port", flags->server.port, "TCP port; 0 picks a free one")->capture_default_str();
  command->add_option("--host", flags->server.host, "Address to listen on")->capture_default_str();
  command->add_option("--admin-key", flags->server.admin_key,
                      "Key for the admin API (Authorization: Bearer KEY); without it admin routes refuse all");
  command->add_option("--threads", flags->server.threads, "HTTP worker threads")->capture_default_str();
  command->add_option("--request-nice", flags->server.request_nice,
                      "How much lower the CPU priority of the HTTP request threads is (0-19) than that of the "
                      "group-commit writer every acknowledgement waits for; keep it below --processor-nice")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  command->add_option("--port-file", flags->port_file,
                      "Write the bound port to this file once listening (for --port 0)");
  command->add_option("--retrain-every", flags->retrain_every,
                      "Retrain the recommender on this schedule, e.g. 24h or 30m (default: only on request)");
  command->add_option("--train-algo", flags->train_algo, "The algorithm scheduled retraining uses")
      ->capture_default_str();
  command->callback([flags, exit_code] {
    InitLogging(flags->engine.log_level);
    if (!flags->retrain_every.empty()) {
      auto every = ParseDurationMicros(flags->retrain_every);
      if (!every.ok() || *every <= 0) {
        *exit_code = ReportError(absl::InvalidArgumentError(
            StrCat("--retrain-every: '", flags->retrain_every, "' is not a duration such as 24h or 30m")));
        return;
      }
      flags->server.retrain_every_us = *every;
    }
    flags->server.train.algo = flags->train_algo;
    auto options = flags->engine.ToOptions();
    if (!options.ok()) {
      *exit_code = ReportError(options.status());
      return;
    }
    if (options->write_keys.empty()) {
      *exit_code = ReportError(absl::InvalidArgumentError("serve needs at least one --write-key"));
      return;
    }
    auto engine = collect::Engine::Open(flags->engine.data_dir, *options);
    if (!engine.ok()) {
      *exit_code = ReportError(engine.status());
      return;
    }
    serve::HttpServer server(engine->get(), flags->server);
    InstallStopSignals();
    absl::Status status = server.Start();
    if (!status.ok()) {
      *exit_code = ReportError(status);
      return;
    }
    spdlog::info("aidmp serving on {}:{} with data in {}", flags->server.host, server.port(),
                 flags->engine.data_dir);
    if (!flags->port_file.empty()) {
      std::string tmp = flags->port_file + ".tmp";
      std::ofstream(tmp) << server.port() << "\n";
      std::rename(tmp.c_str(), flags->port_file.c_str());
    }
    while (!StopRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    spdlog::info("stopping");
    server.Stop();
  });
}

}  // namespace aidmp::cli
