#include "testing/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace aidmp::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/aidmp-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code error;
  std::filesystem::remove_all(path_, error);
}

std::string SharedDataDir(const std::string& name) {
  const char* env = std::getenv("AIDMP_SHARED_DATA");
  std::filesystem::path root = env != nullptr ? std::filesystem::path(env)
                                              : std::filesystem::path(AIDMP_SOURCE_DIR) / ".." / "shared" / "data";
  std::filesystem::path dir = root / name;
  return std::filesystem::exists(dir) ? dir.lexically_normal().string() : std::string();
}

}  // namespace aidmp::testing
