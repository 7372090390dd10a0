// aidmp_bench_rebuild: `aidmp rebuild profiles` (Engine::RebuildPersons) with identities
// resolved in memory, against the same rebuild resolving them event by event against the
// store (`--streaming-identity`, what the rebuild did before), on the same log (issue 3:
// "batch re-resolution of the whole graph from the event log").
//
// The simulated shop is written through the collector into the log only; then the
// persons are rebuilt five times on that one data directory: without the persons
// processor's profile cache (every step reads and writes each profile it touches: the
// baselines) streaming identity and in memory; then with the default cache streaming
// identity, in memory with no size hint (the identifier counter zeroed first), and in
// memory sized by the counter the previous rebuild left (what a real rebuild has). One
// untimed read of the whole log comes first, so that each finds it in the page cache.
// Each rebuild replays the
// whole log into identities, person events and profiles and compacts the identity
// family at the end, all timed. After each, a fingerprint of everything derived
// (each identifier's canonical person, every other key and value of the identity family,
// the counters) must equal the first: the exit code is 1 if not.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "collect/engine.h"
#include "common/clock.h"
#include "common/hash.h"
#include "common/status.h"
#include "common/strings.h"
#include "identity/identity_graph.h"
#include "sim/shop_simulator.h"
#include "storage/keys.h"

namespace aidmp::bench {
namespace {

struct Flags {
  int shoppers = 20000;
  int days = 28;
  std::string dir;
  std::string runs = "12345";  // which of the five rebuilds, by number, in this order (repeats allowed)
};

// Everything the persons processor derived, folded into one number.
absl::StatusOr<uint64_t> Fingerprint(collect::Engine* engine) {
  uint64_t sum = 0;
  auto it = engine->store()->NewIterator(storage::Family::kIdentity);
  for (it->Seek(std::string(1, '\0')); it->Valid(); it->Next()) {
    std::string_view key = it->key();
    uint64_t entry = Hash64(key, 1);
    uint8_t type = 0;
    std::string_view id_value;
    if (storage::ParseIdentifierKey(key, &type, &id_value)) {
      identity::Identifier id{static_cast<identity::IdType>(type), std::string(id_value)};
      AIDMP_ASSIGN_OR_RETURN(uint64_t owner, identity::IdentityGraph::Lookup(engine->store(), id));
      AIDMP_ASSIGN_OR_RETURN(identity::PersonRecord person, identity::IdentityGraph::ReadPerson(engine->store(), owner));
      entry = Mix(entry, person.id);
    } else {
      entry = Mix(entry, Hash64(it->value(), 2));
    }
    sum += entry;  // order-free, though the iteration is ordered anyway
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  for (const char* counter : {"identity_persons", "identity_merges", "identity_merges_blocked", "identity_identifiers"}) {
    sum = Mix(sum, engine->store()->ReadCounter(storage::CounterKey(counter)));
  }
  return sum;
}

struct Timing {
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t fingerprint = 0;
  collect::EngineStats stats;
  Memory memory;
};

absl::StatusOr<Timing> Rebuild(collect::Engine* engine, bool streaming_identity) {
  Timing timing;
  double cpu_start = ProcessCpuSeconds();
  auto start = SteadyClock::now();
  AIDMP_RETURN_IF_ERROR(engine->RebuildPersons([](uint64_t, uint64_t) {}, streaming_identity));
  timing.seconds = SecondsSince(start);
  timing.cpu_seconds = ProcessCpuSeconds() - cpu_start;
  timing.memory = ReadMemory();
  AIDMP_ASSIGN_OR_RETURN(timing.fingerprint, Fingerprint(engine));
  timing.stats = engine->Stats();
  return timing;
}

int Main(int argc, char** argv) {
  Flags flags;
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    std::string arg = argv[arg_idx];
    auto value = [&](std::string_view name) { return arg.substr(name.size() + 1); };
    if (arg == "--quick") {
      flags.shoppers = 4000;
      flags.days = 14;
    } else if (arg.rfind("--shoppers=", 0) == 0) {
      flags.shoppers = std::stoi(value("--shoppers"));
    } else if (arg.rfind("--days=", 0) == 0) {
      flags.days = std::stoi(value("--days"));
    } else if (arg.rfind("--dir=", 0) == 0) {
      flags.dir = value("--dir");
    } else if (arg.rfind("--runs=", 0) == 0) {
      flags.runs = value("--runs");
    } else {
      std::cerr << "usage: aidmp_bench_rebuild [--quick] [--shoppers=20000] [--days=28] [--dir=SCRATCH] [--runs=12345]\n";
      return 2;
    }
  }
  std::string parent = flags.dir.empty() ? std::filesystem::temp_directory_path().string() : flags.dir;
  std::string data_dir = StrCat(parent, "/aidmp-bench-rebuild-", ::getpid());
  std::cout << "machine: " << DescribeMachine(parent) << "\n";
  int exit_code = 0;
  {
    collect::EngineOptions options;
    options.write_keys = {{"key", "web"}};
    options.background_processors = false;
    auto engine = collect::Engine::Open(data_dir, std::move(options));
    if (!engine.ok()) {
      std::cerr << engine.status().message() << "\n";
      return 1;
    }
    sim::ShopOptions shop;
    shop.shoppers = flags.shoppers;
    shop.days = flags.days;
    shop.end_time_us = SystemClock::Default()->NowMicros();
    sim::ShopSimulator simulator(shop);
    std::vector<sim::SimMessage> messages;
    const std::string auth = StrCat("Basic ", Base64Encode("key:"));
    auto fill_start = SteadyClock::now();
    while (simulator.Next(500, &messages)) {
      auto result = (*engine)->collector()->Handle("batch", auth, sim::MakeBatchBody(messages, shop.end_time_us));
      if (!result.ok()) {
        std::cerr << "filling failed: " << result.status().message() << "\n";
        return 1;
      }
      messages.clear();
    }
    collect::EngineStats filled = (*engine)->Stats();
    std::cout << "log: the simulated shop, " << flags.shoppers << " shoppers over " << flags.days << " days: "
              << Thousands(static_cast<double>(filled.events_stored)) << " events (written in "
              << Fixed(SecondsSince(fill_start), 1) << " s, not timed)\n";

    {
      // Read the log once, so that every rebuild finds it in the page cache alike (the
      // first one would otherwise pay for reading it from disk).
      auto warm_start = SteadyClock::now();
      uint64_t bytes = 0;
      auto it = (*engine)->store()->NewIterator(storage::Family::kLog);
      for (it->SeekToFirst(); it->Valid(); it->Next()) bytes += it->value().size();
      std::cout << "log read once before the timings: " << Fixed(static_cast<double>(bytes) / 1e6, 0) << " MB in "
                << Fixed(SecondsSince(warm_start), 1) << " s\n";
    }
    // Each run on an engine opened with its profile cache; a cache of 0 bytes reads and
    // writes every profile a step touches, as rebuilds did before the cache.
    struct Run {
      std::string name;
      bool streaming_identity;
      size_t profile_cache_bytes;
      bool zero_hint;
    };
    const size_t kCache = profile::PersonProcessor::kDefaultProfileCacheBytes;
    const std::vector<Run> plan = {
        {"streaming identity, no profile cache (session 6)", true, 0, false},
        {"in memory, sized, no profile cache (session 7)", false, 0, false},
        {"streaming identity (--streaming-identity)", true, kCache, false},
        {"in memory, no size hint", false, kCache, true},
        {"in memory, sized by the old graph (default)", false, kCache, false},
    };
    std::vector<std::pair<std::string, absl::StatusOr<Timing>>> runs;
    for (char run_number : flags.runs) {
      size_t run_idx = static_cast<size_t>(run_number - '1');
      if (run_idx >= plan.size()) {
        std::cerr << "--runs takes the numbers 1 to " << plan.size() << "\n";
        return 2;
      }
      const Run& run = plan[run_idx];
      engine->reset();
      collect::EngineOptions reopen;
      reopen.write_keys = {{"key", "web"}};
      reopen.background_processors = false;
      reopen.profile_cache_bytes = run.profile_cache_bytes;
      engine = collect::Engine::Open(data_dir, std::move(reopen));
      if (!engine.ok()) {
        std::cerr << engine.status().message() << "\n";
        return 1;
      }
      if (run.zero_hint) {
        storage::WriteBatch zero((*engine)->store());
        zero.Put(storage::Family::kMeta, storage::CounterKey("identity_identifiers"), std::string(8, '\0'));
        absl::Status status = (*engine)->store()->Write(&zero, true);
        if (!status.ok()) runs.emplace_back("zeroing the size hint", status);
      }
      runs.emplace_back(run.name, Rebuild(engine->get(), run.streaming_identity));
    }
    double streaming_seconds = 0;
    for (const auto& [name, timing] : runs) {
      if (!timing.ok()) {
        std::cout << "  !! " << name << ": " << timing.status().message() << "\n";
        exit_code = 1;
        continue;
      }
      if (streaming_seconds == 0) streaming_seconds = timing->seconds;
      bool same = timing->fingerprint == runs.front().second->fingerprint;
      if (!same) exit_code = 1;
      double events = static_cast<double>(filled.events_stored);
      std::cout << "  " << name << ": " << Fixed(timing->seconds, 2) << " s, "
                << EventsPerSecond(events / timing->seconds) << ", " << Fixed(timing->cpu_seconds * 1e6 / events, 1)
                << " CPU us/event, " << Fixed(streaming_seconds / timing->seconds, 2) << "x the first; "
                << timing->stats.persons << " persons created, " << timing->stats.merges << " merges, "
                << timing->stats.merges_blocked << " refused; peak RSS so far "
                << Fixed(static_cast<double>(timing->memory.peak) / 1e6, 0) << " MB; " << (same ? "same result" : "DIFFERENT RESULT") << "\n";
    }
  }
  std::filesystem::remove_all(data_dir);
  return exit_code;
}

}  // namespace
}  // namespace aidmp::bench

int main(int argc, char** argv) { return aidmp::bench::Main(argc, argv); }
