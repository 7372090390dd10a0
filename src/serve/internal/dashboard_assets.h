// The dashboard's files (src/serve/dashboard/), compiled into the binary by
// embed_assets.cmake. Private to serve/: dashboard.cc serves them.
#pragma once

#include <span>
#include <string_view>

namespace aidmp::serve::internal {

struct DashboardAsset {
  std::string_view name;          // file name in src/serve/dashboard/, e.g. "app.js"
  std::string_view content_type;  // from the extension, with charset for text
  std::string_view body;          // the file's bytes, exactly
};

// Every embedded file, in the order CMake listed them. Static storage; thread-safe.
std::span<const DashboardAsset> DashboardAssets();

}  // namespace aidmp::serve::internal
