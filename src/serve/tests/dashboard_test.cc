// The dashboard's routes (serve/dashboard.h) on a real HttpServer: every file served
// byte for byte as it is in src/serve/dashboard/, with its content type and the
// security headers, without a key; "/" redirects; the admin API stays closed.
#include "serve/dashboard.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <sstream>

#include "serve/http_server.h"
#include "testing/temp_dir.h"

namespace aidmp::serve {
namespace {

std::string ReadSource(const std::string& name) {
  std::ifstream in(std::string(AIDMP_SOURCE_DIR) + "/src/serve/dashboard/" + name, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    collect::EngineOptions options;
    options.write_keys = {{"wk", "web"}};
    auto engine = collect::Engine::Open(dir_.path(), options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    ServerOptions server_options;
    server_options.host = "127.0.0.1";
    server_options.port = 0;
    server_options.admin_key = "admin";
    server_options.threads = 2;
    server_ = std::make_unique<HttpServer>(engine_.get(), server_options);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_follow_location(false);
  }

  void TearDown() override {
    server_->Stop();
    server_.reset();
    engine_.reset();
  }

  // Checks one file's answer: status, type, headers, and the bytes on disk.
  void ExpectServed(const std::string& path, const std::string& file, const std::string& content_type) {
    SCOPED_TRACE(path);
    auto result = client_->Get(path.c_str());
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->get_header_value("Content-Type"), content_type);
    EXPECT_EQ(result->get_header_value("Content-Security-Policy"), kDashboardContentSecurityPolicy);
    EXPECT_EQ(result->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(result->get_header_value("Cache-Control"), "no-cache");
    std::string on_disk = ReadSource(file);
    ASSERT_FALSE(on_disk.empty()) << "cannot read src/serve/dashboard/" << file;
    EXPECT_EQ(result->body, on_disk);
  }

  aidmp::testing::TempDir dir_;
  std::unique_ptr<collect::Engine> engine_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(DashboardTest, ServesEveryFileWithItsTypeAndPolicyWithoutAKey) {
  ExpectServed("/dashboard", "index.html", "text/html; charset=utf-8");
  ExpectServed("/dashboard/", "index.html", "text/html; charset=utf-8");
  ExpectServed("/dashboard/app.js", "app.js", "text/javascript; charset=utf-8");
  ExpectServed("/dashboard/chart.js", "chart.js", "text/javascript; charset=utf-8");
  ExpectServed("/dashboard/format.js", "format.js", "text/javascript; charset=utf-8");
  ExpectServed("/dashboard/style.css", "style.css", "text/css; charset=utf-8");
}

TEST_F(DashboardTest, PolicyAllowsOnlyThisOrigin) {
  std::string policy = kDashboardContentSecurityPolicy;
  EXPECT_EQ(policy.rfind("default-src 'self'", 0), 0u) << policy;
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(policy.find("http"), std::string::npos);
}

TEST_F(DashboardTest, RootRedirectsToTheDashboard) {
  auto result = client_->Get("/");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 302);
  EXPECT_EQ(result->get_header_value("Location"), "/dashboard");
}

TEST_F(DashboardTest, UnknownFilesAreNotFoundAndTheApiStaysClosed) {
  for (const char* path : {"/dashboard/nope.js", "/dashboard/tests/chart.test.mjs", "/dashboard/package.json",
                           "/dashboard/app.jsx", "/dashboard/appXjs"}) {
    auto result = client_->Get(path);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 404) << path;
  }
  auto stats = client_->Get("/v1/stats");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->status, 401);
}

}  // namespace
}  // namespace aidmp::serve
