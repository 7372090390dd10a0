// The dashboard's routes (serve/dashboard.h) on a real HttpServer: every file served
// byte for byte as it is in src/serve/dashboard/, with its content type and the
// security headers, without a key; "/" redirects; the admin API stays closed.
#include "serve/dashboard.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <sstream>

#include "serve/http_server.h"
#include "serve/tests/serving_test.h"
#include "testing/temp_dir.h"

namespace aidmp::serve {
namespace {

std::string ReadSource(const std::string& name) {
  std::ifstream in(std::string(AIDMP_SOURCE_DIR) + "/src/serve/dashboard/" + name, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class DashboardTest : public ServingTest {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.threads = 2;
    ASSERT_NO_FATAL_FAILURE(StartServer(options));
    client_->set_follow_location(false);
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
