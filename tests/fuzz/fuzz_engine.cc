#include "fuzz_engine.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/strings.h"
#include "event/event_codec.h"
#include "fuzz_check.h"
#include "log/event_log.h"

namespace aidmp::fuzz {
namespace {

namespace fs = std::filesystem;

struct EngineHolder {
  std::string root_dir;
  std::string scratch_dir;
  FakeClock clock{kNowUs};
  std::unique_ptr<collect::Engine> engine;
  uint64_t checked_seq = 0;  // log entries up to here have been decoded
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

size_t CheckNewLogEntries() {
  collect::Engine* engine = SharedEngine();
  size_t appended = 0;
  std::vector<log::LogEntry> entries;
  while (true) {
    entries.clear();
    absl::Status status = engine->event_log()->Read(holder->checked_seq, 1024, &entries);
    AIDMP_FUZZ_CHECK_MSG(status.ok(), std::string(status.message()));
    if (entries.empty()) break;
    for (const log::LogEntry& entry : entries) {
      event::Event event;
      absl::Status decoded = event::DecodeStoredEvent(entry.record, &event);
      AIDMP_FUZZ_CHECK_MSG(decoded.ok(), StrCat("log entry ", entry.seq, " does not decode (",
                                                std::string(decoded.message()), "): ", entry.record));
      holder->checked_seq = entry.seq;
      ++appended;
    }
  }
  absl::Status caught_up = engine->CatchUpProcessors();
  AIDMP_FUZZ_CHECK_MSG(caught_up.ok(), StrCat("processors stopped: ", std::string(caught_up.message())));
  return appended;
}

const std::string& ScratchDir() {
  SharedEngine();
  return holder->scratch_dir;
}

}  // namespace aidmp::fuzz
