// aidmp_bench_live_segments: what keeping saved segments current costs ingest (issue 4:
// "ingest throughput with 100 live segments, as a ratio to none").
//
// The simulated shop streams through the engine (collector -> log -> person processor ->
// audience index -> memberships) in the same order twice, on fresh data directories: once
// with no saved segments, once with N (default 100) saved before the stream starts. Each
// run's figure is events per second fully processed (accepted and caught up), so the
// ratio is the cost of the bitmap index updates and the per-batch re-evaluation of every
// segment for the people who changed.
#include <chrono>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "audience/segments.h"
#include "bench/bench_util.h"
#include "collect/engine.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/strings.h"
#include "sim/shop_simulator.h"

namespace aidmp::bench {
namespace {

struct Flags {
  int shoppers = 4000;
  int days = 14;
  int segments = 100;
  std::string dir;
};

// N segment expressions, from one clause to five, over what the shop produces.
std::vector<std::string> SegmentExpressions(int n) {
  static const char* kCountries[] = {"US", "DE", "GB", "FR", "CN", "JP", "BR", "IN"};
  static const char* kTags[] = {"books", "electronics", "sci-fi", "garden", "music", "fashion", "video games", "beauty"};
  static const char* kEvents[] = {"Order Completed", "Product Viewed", "Product Added", "page"};
  std::vector<std::string> out;
  for (int i = 0; static_cast<int>(out.size()) < n; ++i) {
    const char* country = kCountries[i % 8];
    const char* tag = kTags[(i / 8) % 8];
    const char* event = kEvents[i % 4];
    switch (i % 5) {
      case 0: out.push_back(StrCat("traits.country = \"", country, "\"")); break;
      case 1: out.push_back(StrCat("interest(\"", tag, "\") >= 0.", 3 + i % 5)); break;
      case 2: out.push_back(StrCat("did(\"", event, "\", count >= ", 1 + i % 4, ") and traits.country != \"", country, "\""));
        break;
      case 3:
        out.push_back(StrCat("interest(\"", tag, "\") > 0.2 and computed.orders_total >= 1 and not traits.country in [\"",
                             country, "\", \"US\"]"));
        break;
      default:
        out.push_back(StrCat("(traits.country = \"", country, "\" or interest(\"", tag, "\") >= 0.6) and did(\"", event,
                             "\", within: 7d) and computed.product_views_30d >= ", i % 6));
    }
  }
  return out;
}

struct RunResult {
  uint64_t events = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t members = 0;
};

absl::StatusOr<RunResult> Run(const Flags& flags, int segments, const std::string& dir) {
  collect::EngineOptions options;
  options.write_keys = {{"key", "web"}};
  options.background_processors = false;
  AIDMP_ASSIGN_OR_RETURN(auto engine, collect::Engine::Open(dir, std::move(options)));
  const int64_t now_us = SystemClock::Default()->NowMicros();
  audience::SegmentCatalog catalog(engine->store());
  auto expressions = SegmentExpressions(segments);
  for (size_t i = 0; i < expressions.size(); ++i) {
    AIDMP_RETURN_IF_ERROR(catalog.Save(StrCat("s", i), expressions[i], engine->profile_model(), now_us).status());
  }
  sim::ShopOptions shop;
  shop.shoppers = flags.shoppers;
  shop.days = flags.days;
  shop.end_time_us = now_us;
  sim::ShopSimulator simulator(shop);
  std::vector<sim::SimMessage> messages;
  const std::string auth = StrCat("Basic ", Base64Encode("key:"));
  RunResult result;
  double cpu_start = ProcessCpuSeconds();
  auto start = std::chrono::steady_clock::now();
  while (simulator.Next(400, &messages)) {
    AIDMP_RETURN_IF_ERROR(engine->collector()->Handle("batch", auth, sim::MakeBatchBody(messages, now_us)).status());
    result.events += messages.size();
    messages.clear();
    // Process as it arrives, as the background processors would.
    AIDMP_RETURN_IF_ERROR(engine->CatchUpProcessors());
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.cpu_seconds = ProcessCpuSeconds() - cpu_start;
  for (size_t i = 0; i < expressions.size(); ++i) {
    AIDMP_ASSIGN_OR_RETURN(uint64_t size, engine->memberships()->Size(StrCat("s", i)));
    result.members += size;
  }
  return result;
}

int Main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string_view name) { return arg.substr(name.size() + 1); };
    if (arg == "--quick") {
      flags.shoppers = 800;
      flags.days = 7;
    } else if (arg.rfind("--shoppers=", 0) == 0) {
      flags.shoppers = std::stoi(value("--shoppers"));
    } else if (arg.rfind("--segments=", 0) == 0) {
      flags.segments = std::stoi(value("--segments"));
    } else if (arg.rfind("--dir=", 0) == 0) {
      flags.dir = value("--dir");
    } else {
      std::cerr << "usage: aidmp_bench_live_segments [--quick] [--shoppers=4000] [--segments=100] [--dir=SCRATCH]\n";
      return 2;
    }
  }
  std::string parent = flags.dir.empty() ? std::filesystem::temp_directory_path().string() : flags.dir;
  std::string base = StrCat(parent, "/aidmp-bench-live-segments-", ::getpid());
  std::cout << "machine: " << DescribeMachine(parent) << "\n"
            << "simulated shop, " << flags.shoppers << " shoppers, " << flags.days
            << " days, through the engine in batches of 400, processed as they arrive\n";
  auto none = Run(flags, 0, base + "-none");
  std::filesystem::remove_all(base + "-none");
  auto live = Run(flags, flags.segments, base + "-live");
  std::filesystem::remove_all(base + "-live");
  if (!none.ok() || !live.ok()) {
    std::cerr << "failed: " << (none.ok() ? live.status() : none.status()).message() << "\n";
    return 1;
  }
  double none_rate = static_cast<double>(none->events) / none->seconds;
  double live_rate = static_cast<double>(live->events) / live->seconds;
  std::cout << "  no saved segments:  " << Thousands(none_rate) << " events/s fully processed, "
            << Fixed(none->cpu_seconds * 1e6 / static_cast<double>(none->events), 1) << " CPU us/event\n"
            << "  " << flags.segments << " live segments: " << Thousands(live_rate) << " events/s fully processed, "
            << Fixed(live->cpu_seconds * 1e6 / static_cast<double>(live->events), 1) << " CPU us/event ("
            << Thousands(static_cast<double>(live->members)) << " memberships at the end)\n"
            << "  ratio (live segments / none): " << Fixed(live_rate / none_rate, 2) << "\n";
  return 0;
}

}  // namespace
}  // namespace aidmp::bench

int main(int argc, char** argv) { return aidmp::bench::Main(argc, argv); }
