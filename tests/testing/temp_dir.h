// A fresh directory under $TMPDIR (or /tmp) for one test, removed when destroyed.
#pragma once

#include <string>

namespace aidmp::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path()/name
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ../shared/data/<name> beside the project, or "" if it is absent (tests then skip and
// say so).
std::string SharedDataDir(const std::string& name);

}  // namespace aidmp::testing
