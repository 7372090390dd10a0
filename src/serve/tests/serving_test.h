// A fixture for tests over HTTP: an engine in a temporary directory (write key "wk" for
// source "web") served by an HttpServer on a free loopback port with admin key "admin",
// and a client connected to it. Subclasses call StartServer from SetUp (or a test).
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <memory>
#include <thread>

#include "collect/engine.h"
#include "serve/http_server.h"
#include "testing/temp_dir.h"

namespace aidmp::serve {

class ServingTest : public ::testing::Test {
 protected:
  // `options` with host, port and admin key set for the test.
  void StartServer(ServerOptions options = {}) {
    collect::EngineOptions engine_options;
    engine_options.write_keys = {{"wk", "web"}};
    auto engine = collect::Engine::Open(dir_.path(), engine_options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    options.host = "127.0.0.1";
    options.port = 0;
    options.admin_key = "admin";
    server_ = std::make_unique<HttpServer>(engine_.get(), options);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  // Waits (bounded) until the processors behind the log have applied everything.
  void WaitIndexed() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (const auto& runner : engine_->processors()) {
      while (runner->Lag() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }

  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    engine_.reset();
  }

  aidmp::testing::TempDir dir_;
  std::unique_ptr<collect::Engine> engine_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace aidmp::serve
