#include "serve/dashboard.h"

#include <httplib.h>

#include <string>

#include "serve/internal/dashboard_assets.h"

namespace aidmp::serve {
namespace {

void SetCommonHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy", kDashboardContentSecurityPolicy);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  // The files change with the binary; revalidate rather than run an old app.js against
  // a newer API.
  res.set_header("Cache-Control", "no-cache");
}

void Serve(const internal::DashboardAsset& asset, httplib::Response& res) {
  SetCommonHeaders(res);
  res.set_content(std::string(asset.body), std::string(asset.content_type));
}

}  // namespace

void RegisterDashboardRoutes(httplib::Server* server) {
  server->Get("/", [](const httplib::Request&, httplib::Response& res) {
    SetCommonHeaders(res);
    res.set_redirect("/dashboard");
  });
  for (const internal::DashboardAsset& asset : internal::DashboardAssets()) {
    auto handler = [&asset](const httplib::Request&, httplib::Response& res) { Serve(asset, res); };
    if (asset.name == "index.html") {
      server->Get("/dashboard", handler);
      server->Get("/dashboard/", handler);
    } else {
      // Names are plain file names (letters, digits, '.', '-', '_'), so the pattern
      // needs no escaping beyond the dots.
      std::string pattern = "/dashboard/";
      for (char c : asset.name) {
        if (c == '.') pattern += '\\';
        pattern += c;
      }
      server->Get(pattern, handler);
    }
  }
}

}  // namespace aidmp::serve
