#include "fuzz_engine.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"

namespace aidmp::fuzz {
namespace {

namespace fs = std::filesystem;

struct EngineHolder {
  std::string root_dir;
  std::string scratch_dir;
  FakeClock clock{kNowUs};
  std::unique_ptr<collect::Engine> engine;
};

EngineHolder* holder = nullptr;

// Closes the engine before removing its files; runs at exit(), which is how libFuzzer
// ends a bounded run.
void CloseEngine() {
  if (holder == nullptr) return;
  holder->engine.reset();
  std::error_code error;
  fs::remove_all(holder->root_dir, error);
  delete holder;
  holder = nullptr;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "fuzz engine: %s\n", what.c_str());
  std::abort();
}

}  // namespace

collect::Engine* SharedEngine() {
  if (holder != nullptr) return holder->engine.get();
  auto owned = std::make_unique<EngineHolder>();
  std::string pattern = (fs::temp_directory_path() / "aidmp-fuzz-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Die("cannot create a directory under $TMPDIR");
  owned->root_dir = pattern;
  owned->scratch_dir = owned->root_dir + "/scratch";
  std::error_code error;
  fs::create_directories(owned->scratch_dir, error);
  if (error) Die("cannot create " + owned->scratch_dir);

  collect::EngineOptions options;
  options.write_keys = {{std::string(kWriteKey), "src"}};
  options.ingest.sync = false;
  options.background_processors = false;
  options.clock = &owned->clock;
  // Millions of tiny inputs: keep RocksDB's memory small so -rss_limit_mb means ours.
  options.store.block_cache_bytes = 8 << 20;
  options.store.write_buffer_bytes = 4 << 20;
  auto engine = collect::Engine::Open(owned->root_dir + "/data", options);
  if (!engine.ok()) Die("cannot open the engine: " + std::string(engine.status().message()));
  owned->engine = std::move(*engine);
  holder = owned.release();
  std::atexit(CloseEngine);
  return holder->engine.get();
}

const std::string& ScratchDir() {
  SharedEngine();
  return holder->scratch_dir;
}

}  // namespace aidmp::fuzz
