// aidmp_bench_profiles: the figures of issue 3 (identity and profiles), each against a
// baseline measured in the same run (docs/benchmarks.md).
//
//  1. Durable HTTP ingest with the processors behind the log on (event index, identity
//     resolution, profiles) as a ratio to ingest alone (processors off), counting the
//     time the processors need to catch up after the load; and the same with the
//     persons processor's profile cache off (every step reads and writes each profile).
//  2. Profile lookup over HTTP (GET /v1/profiles/lookup) at a fixed rate, open loop, on
//     a store filled by the simulated shop through the real pipeline and then compacted
//     (steady state); p50/p99, with GET /healthz at the same rate as the floor of the
//     HTTP stack. Before them, the document alone (FindPerson + WritePersonDocument on
//     one thread, no HTTP): what a lookup costs beyond the stack.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include <time.h>

#include "bench/aidmp_under_test.h"
#include "bench/bench_util.h"
#include "bench/event_corpus.h"
#include "bench/http_ingest.h"
#include "bench/open_loop.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "event/event_codec.h"
#include "profile/person_document.h"
#include "profile/profile_view.h"
#include "sim/shop_simulator.h"

namespace aidmp::bench {
namespace {

// The document of the person with this userId at `now_us`, as the lookup route writes
// it: FindPerson, then WritePersonDocument.
template <typename Engine, typename Rfm>
absl::Status WriteUserDocument(Engine* engine, const Rfm& rfm, const std::string& user, int64_t now_us,
                               size_t events_limit, JsonWriter* writer) {
  auto person = profile::FindPerson(engine->store(), {identity::IdType::kUserId, user});
  if (!person.ok()) return person.status();
  profile::DocumentOptions options;
  options.now_us = now_us;
  options.events_limit = events_limit;
  return profile::WritePersonDocument(engine->store(), engine->profile_model(), *person, &rfm, options, writer);
}

struct Flags {
  bool quick = false;
  int concurrency = 8;
  double seconds = 8;
  double rate = 5000;
  int connections = 16;
  double lookup_seconds = 10;
  int shoppers = 20000;
  int days = 14;
  std::string dir;
  bool lookup_only = false;  // skip the ingest figures
  bool ingest_only = false;  // skip the lookup figures
  // The lookup store's directory, kept after the run; a directory a previous run filled
  // (it holds kUsersFile) is reused as it is, so lookups can be measured again quickly.
  std::string store;
  // Writes the documents of the first 500 known users, evaluated at a fixed time, one a
  // line, and stops: two builds' files must be equal (a check on encoding changes).
  std::string dump_documents;
  ProcessorPolicy policy;  // aidmp serve's defaults unless given
};

// Written last when the lookup store is filled: the known userIds, one a line.
constexpr char kUsersFile[] = "bench-users.txt";

constexpr char kUsage[] =
    "usage: aidmp_bench_profiles [--quick] [--concurrency=8] [--seconds=8] [--rate=5000] [--connections=16]\n"
    "                            [--lookup-seconds=10] [--shoppers=20000] [--days=14] [--dir=SCRATCH_PARENT]\n"
    "                            [--lookup-only | --ingest-only] [--store=DIR] [--dump-documents=FILE]\n"
    "                            [--processor-nice=19] [--max-processor-lag=30]\n"
    "  --lookup-only  only the profile lookup figures (skip ingest)\n"
    "  --ingest-only  only the ingest figures (skip lookups)\n"
    "  --store=DIR    keep the lookup store in DIR; reuse it if a previous run filled it\n"
    "  --dump-documents=FILE  write 500 users' documents at a fixed time to FILE and stop\n";

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  const char* tmpdir = std::getenv("TMPDIR");
  flags.dir = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    std::string_view arg = argv[arg_idx];
    size_t equals = arg.find('=');
    std::string_view name = arg.substr(0, equals);
    std::string_view value = equals == std::string_view::npos ? "" : arg.substr(equals + 1);
    bool ok = true;
    if (name == "--help") {
      return absl::InvalidArgumentError(StrCat(kUsage, kProcessorPolicyUsage));
    } else if (name == "--quick") {
      flags.quick = true;
      flags.seconds = 3;
      flags.lookup_seconds = 3;
      flags.shoppers = 2000;
      flags.days = 7;
    } else if (name == "--concurrency") {
      ok = ParseNumber(value, &flags.concurrency) && flags.concurrency > 0;
    } else if (name == "--seconds") {
      ok = ParseDouble(value, &flags.seconds) && flags.seconds > 0;
    } else if (name == "--rate") {
      ok = ParseDouble(value, &flags.rate) && flags.rate > 0;
    } else if (name == "--connections") {
      ok = ParseNumber(value, &flags.connections) && flags.connections > 0;
    } else if (name == "--lookup-seconds") {
      ok = ParseDouble(value, &flags.lookup_seconds) && flags.lookup_seconds > 0;
    } else if (name == "--shoppers") {
      ok = ParseNumber(value, &flags.shoppers) && flags.shoppers > 0;
    } else if (name == "--days") {
      ok = ParseNumber(value, &flags.days) && flags.days > 0;
    } else if (name == "--dir") {
      flags.dir = std::string(value);
    } else if (name == "--lookup-only") {
      flags.lookup_only = true;
    } else if (name == "--ingest-only") {
      flags.ingest_only = true;
    } else if (auto policy_ok = ParseProcessorPolicyFlag(name, value, &flags.policy)) {
      ok = *policy_ok;
    } else if (name == "--dump-documents") {
      flags.dump_documents = std::string(value);
      ok = !flags.dump_documents.empty();
    } else if (name == "--store") {
      flags.store = std::string(value);
      ok = !flags.store.empty();
    } else {
      ok = false;
    }
    if (!ok) return absl::InvalidArgumentError(StrCat("bad flag '", arg, "'\n", kUsage, kProcessorPolicyUsage));
  }
  if (flags.lookup_only && flags.ingest_only) {
    return absl::InvalidArgumentError(
        StrCat("--lookup-only and --ingest-only exclude each other\n", kUsage, kProcessorPolicyUsage));
  }
  return flags;
}

std::string Describe(const OpenLoopResult& result) {
  return StrCat(result.requests, " requests, achieved ", Fixed(result.achieved_per_second, 0), " req/s; p50 ",
                Fixed(result.p50_ms, 3), " ms, p90 ", Fixed(result.p90_ms, 3), " ms, p99 ", Fixed(result.p99_ms, 3),
                " ms, max ", Fixed(result.max_ms, 2), " ms; ", Fixed(result.cpu_micros_per_request, 0),
                " CPU us/request", result.failed_requests > 0 ? StrCat("; FAILED ", result.failed_requests, ": ",
                                                                       result.first_error)
                                                              : std::string());
}

double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// 1. Ingest with and without the processors. Returns the exit code.
int RunIngest(const Flags& flags, const ScratchDir& scratch) {
  int exit_code = 0;
  EventCorpus corpus = EventCorpus::Generate(flags.quick ? 100 : 500, 100, /*seed=*/42);
  std::cout << "aidmp POST /v1/batch, " << flags.concurrency << " connections, " << flags.seconds
            << " s, processors off (load " << LoadAverages() << ")" << std::endl;
  auto alone = RunHttpBatchIngest(corpus, flags.concurrency, flags.seconds, scratch.Sub("ingest-alone"), false);
  std::filesystem::remove_all(scratch.Sub("ingest-alone"));
  std::cout << "aidmp POST /v1/batch, " << flags.concurrency << " connections, " << flags.seconds
            << " s, processors on: index, identity, profiles (load " << LoadAverages() << ")" << std::endl;
  auto with = RunHttpBatchIngest(corpus, flags.concurrency, flags.seconds, scratch.Sub("ingest-with"), true,
                                 profile::PersonProcessor::kDefaultProfileCacheBytes, flags.policy);
  std::filesystem::remove_all(scratch.Sub("ingest-with"));
  std::cout << "aidmp POST /v1/batch, " << flags.concurrency << " connections, " << flags.seconds
            << " s, processors on without the profile cache (load " << LoadAverages() << ")" << std::endl;
  auto uncached =
      RunHttpBatchIngest(corpus, flags.concurrency, flags.seconds, scratch.Sub("ingest-uncached"), true, 0, flags.policy);
  std::filesystem::remove_all(scratch.Sub("ingest-uncached"));
  for (const auto* run : {&alone, &with, &uncached}) {
    if (!run->ok()) {
      std::cout << "  !! ingest failed: " << run->status().message() << "\n";
      return 1;
    }
  }
  for (const auto* result : {&alone->throughput, &with->throughput, &uncached->throughput}) {
    if (result->failed_requests > 0) {
      std::cout << "  !! " << result->failed_requests << " failed requests: " << result->first_error << "\n";
      exit_code = 1;
    }
  }
  double alone_rate = alone->throughput.events_per_second();
  double with_rate = with->throughput.events_per_second();
  double with_effective = static_cast<double>(with->throughput.events) /
                          (with->throughput.seconds + with->catch_up_seconds);
  std::cout << "  ingest alone: " << EventsPerSecond(alone_rate) << ", "
            << Fixed(alone->throughput.cpu_micros_per_event(), 1) << " CPU us/event\n"
            << "  with processors: " << EventsPerSecond(with_rate) << " acknowledged, "
            << Fixed(with->throughput.cpu_micros_per_event(), 1) << " CPU us/event; caught up "
            << Fixed(with->catch_up_seconds, 2) << " s after the load, so " << EventsPerSecond(with_effective)
            << " fully processed\n"
            << "  ratio (fully processed / ingest alone): " << Fixed(with_effective / alone_rate, 2)
            << "  (target >= 0.5)\n";
  double uncached_effective = static_cast<double>(uncached->throughput.events) /
                              (uncached->throughput.seconds + uncached->catch_up_seconds);
  std::cout << "  without the profile cache: " << EventsPerSecond(uncached_effective) << " fully processed, "
            << Fixed(uncached->throughput.cpu_micros_per_event(), 1) << " CPU us/event; ratio "
            << Fixed(uncached_effective / alone_rate, 2) << "\n";

  return exit_code;
}

// Fills aidmp with the simulated shop through the collector, waits for the processors
// and compacts; returns the shoppers' userIds.
absl::StatusOr<std::vector<std::string>> FillShop(const Flags& flags, AidmpUnderTest* aidmp) {
  sim::ShopOptions shop;
  shop.shoppers = flags.shoppers;
  shop.days = flags.days;
  shop.end_time_us = SystemClock::Default()->NowMicros();
  sim::ShopSimulator simulator(shop);
  SteadyClock::time_point fill_start = SteadyClock::now();
  std::vector<sim::SimMessage> messages;
  uint64_t sent = 0;
  std::string auth = AidmpUnderTest::AuthorizationHeader();
  while (simulator.Next(500, &messages)) {
    auto result = aidmp->engine()->collector()->Handle("batch", auth, sim::MakeBatchBody(messages, shop.end_time_us));
    if (!result.ok()) return absl::InternalError(StrCat("filling failed: ", result.status().message()));
    sent += messages.size();
    messages.clear();
  }
  while (true) {
    bool behind = false;
    for (const auto& [name, lag] : aidmp->ProcessorLags()) behind = behind || lag > 0;
    if (!behind) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Settle: the fill leaves the store mid-compaction, and compaction CPU would be
  // charged to the lookups measured next.
  for (int family = 0; family < storage::kFamilyCount; ++family) {
    absl::Status status = aidmp->engine()->store()->CompactAll(static_cast<storage::Family>(family));
    if (!status.ok()) return absl::InternalError(StrCat("compaction failed: ", status.message()));
  }
  collect::EngineStats stats = aidmp->engine()->Stats();
  std::vector<std::string> users;
  for (const auto& shopper : simulator.shoppers()) {
    if (!shopper.user_id.empty()) users.push_back(shopper.user_id);
  }
  std::cout << "filled by the simulated shop: " << Thousands(static_cast<double>(sent)) << " messages, "
            << Thousands(static_cast<double>(stats.events_stored)) << " events stored, "
            << Thousands(static_cast<double>(stats.persons - stats.merges)) << " persons, " << users.size()
            << " with a userId, in " << Fixed(SecondsSince(fill_start), 1) << " s (compacted after); "
            << Fixed(static_cast<double>(aidmp->engine()->store()->ApproximateDiskBytes()) / 1e6, 0) << " MB\n";
  return users;
}

int Run(const Flags& flags) {
  int exit_code = 0;
  CleanupRegistry cleanups;
  cleanups.InstallSignalHandler();
  auto scratch = ScratchDir::Create(flags.dir, "aidmp-bench-profiles-", &cleanups);
  if (!scratch.ok()) {
    std::cerr << scratch.status().message() << "\n";
    return 2;
  }
  std::cout << "machine: " << DescribeMachine(flags.dir) << "\n";

  if (!flags.lookup_only) exit_code = RunIngest(flags, **scratch);
  if (exit_code != 0 || flags.ingest_only) return exit_code;

  // 2. Profile lookups.
  std::string admin_key = "bench-admin";
  std::string data_dir = flags.store.empty() ? (*scratch)->Sub("lookup") : flags.store;
  bool reuse = !flags.store.empty() && std::filesystem::exists(data_dir + "/" + kUsersFile);
  auto aidmp = AidmpUnderTest::Start(data_dir, true, admin_key);
  if (!aidmp.ok()) {
    std::cout << "  !! " << aidmp.status().message() << "\n";
    return 1;
  }
  std::vector<std::string> users;
  if (reuse) {
    std::ifstream in(data_dir + "/" + kUsersFile);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) users.push_back(line);
    }
    collect::EngineStats stats = (*aidmp)->engine()->Stats();
    std::cout << "reusing the store in " << data_dir << ": " << Thousands(static_cast<double>(stats.events_stored))
              << " events stored, " << Thousands(static_cast<double>(stats.persons - stats.merges)) << " persons, "
              << users.size() << " with a userId; "
              << Fixed(static_cast<double>((*aidmp)->engine()->store()->ApproximateDiskBytes()) / 1e6, 0) << " MB\n";
  } else {
    auto filled = FillShop(flags, aidmp->get());
    if (!filled.ok()) {
      std::cout << "  !! " << filled.status().message() << "\n";
      return 1;
    }
    users = std::move(*filled);
    if (!flags.store.empty()) {
      std::ofstream out(data_dir + "/" + kUsersFile);
      for (const auto& user : users) out << user << "\n";
    }
  }
  if (users.empty()) {
    std::cout << "  !! no known userIds to look up\n";
    return 1;
  }

  if (!flags.dump_documents.empty()) {
    // The arrival of the last event: fixed for a store, and windows reach its events.
    int64_t fixed_now_us = 0;
    {
      auto it = (*aidmp)->engine()->store()->NewIterator(storage::Family::kLog);
      it->SeekToLast();
      event::Event last;
      if (!it->Valid() || !event::DecodeStoredEvent(it->value(), &last).ok()) {
        std::cout << "  !! the log's last event cannot be read\n";
        return 1;
      }
      fixed_now_us = last.received_at_us;
    }
    auto rfm = profile::FitRfm((*aidmp)->engine()->store(), (*aidmp)->engine()->profile_model(), fixed_now_us);
    if (!rfm.ok()) {
      std::cout << "  !! " << rfm.status().message() << "\n";
      return 1;
    }
    std::ofstream out(flags.dump_documents);
    for (size_t user_idx = 0; user_idx < users.size() && user_idx < 500; ++user_idx) {
      JsonWriter writer;
      absl::Status status = WriteUserDocument((*aidmp)->engine(), *rfm, users[user_idx], fixed_now_us,
                                              user_idx % 2 == 0 ? 5 : 20, &writer);
      if (!status.ok()) {
        std::cout << "  !! " << status.message() << "\n";
        return 1;
      }
      out << writer.str() << "\n";
    }
    std::cout << "wrote " << std::min<size_t>(users.size(), 500) << " documents to " << flags.dump_documents << "\n";
    return out ? 0 : 1;
  }

  // The document alone, without HTTP: what a lookup costs the server beyond the stack.
  {
    auto rfm = profile::FitRfm((*aidmp)->engine()->store(), (*aidmp)->engine()->profile_model(),
                               SystemClock::Default()->NowMicros());
    if (!rfm.ok()) {
      std::cout << "  !! " << rfm.status().message() << "\n";
      return 1;
    }
    std::mt19937_64 rng(7);
    size_t bytes = 0;
    int documents = 0;
    double cpu_start = 0;
    // A warm-up first: a reused store starts with an empty block cache.
    double warm_up_seconds = flags.quick ? 0.5 : 2, measured_seconds = flags.quick ? 0.5 : 2;
    SteadyClock::time_point start = SteadyClock::now();
    for (bool warm = false; SecondsSince(start) < warm_up_seconds + measured_seconds;) {
      if (!warm && SecondsSince(start) >= warm_up_seconds) {
        warm = true;
        bytes = 0;
        documents = 0;
        cpu_start = ThreadCpuSeconds();
      }
      JsonWriter writer;
      writer.Reserve(16 << 10);  // as the server does
      absl::Status status = WriteUserDocument((*aidmp)->engine(), *rfm, users[rng() % users.size()],
                                              SystemClock::Default()->NowMicros(), 5, &writer);
      if (!status.ok()) {
        std::cout << "  !! " << status.message() << "\n";
        return 1;
      }
      bytes += writer.str().size();
      ++documents;
    }
    std::cout << "document alone (FindPerson + WritePersonDocument, no HTTP, one thread): " << documents
              << " documents, " << Fixed((ThreadCpuSeconds() - cpu_start) * 1e6 / documents, 1)
              << " CPU us/document, " << bytes / documents << " bytes on average\n";
  }

  OpenLoopOptions options;
  options.requests_per_second = flags.rate;
  options.connections = flags.connections;
  options.seconds = flags.lookup_seconds;
  options.warm_up_seconds = flags.quick ? 0.5 : 1;
  httplib::Headers admin = {{"Authorization", StrCat("Bearer ", admin_key)}};
  std::cout << "GET /healthz at " << Thousands(flags.rate) << " req/s, " << flags.connections << " connections, "
            << flags.lookup_seconds << " s (the HTTP floor; load " << LoadAverages() << ")" << std::endl;
  OpenLoopResult floor = RunOpenLoop((*aidmp)->port(), options, [&](httplib::Client& client, int, uint64_t) {
    auto response = client.Get("/healthz");
    return response && response->status == 200 ? std::string()
                                                : std::string(response ? "HTTP error" : "connection error");
  });
  std::cout << "  " << Describe(floor) << "\n";
  std::cout << "GET /v1/profiles/lookup?type=userId at " << Thousands(flags.rate) << " req/s, " << flags.connections
            << " connections, " << flags.lookup_seconds << " s, random known users (load " << LoadAverages() << ")"
            << std::endl;
  std::vector<std::mt19937_64> rngs;
  for (int worker = 0; worker < flags.connections; ++worker) rngs.emplace_back(worker + 1);
  OpenLoopResult lookup = RunOpenLoop((*aidmp)->port(), options, [&](httplib::Client& client, int worker, uint64_t) {
    const std::string& user = users[rngs[worker]() % users.size()];
    auto response = client.Get(StrCat("/v1/profiles/lookup?type=userId&limit=5&value=", user), admin);
    if (!response) return httplib::to_string(response.error());
    if (response->status != 200 || response->body.find("\"interests\"") == std::string::npos) {
      return StrCat("HTTP ", response->status, " ", response->body.substr(0, 200));
    }
    return std::string();
  });
  std::cout << "  " << Describe(lookup) << "\n"
            << "  p99 " << Fixed(lookup.p99_ms, 3) << " ms (target < 2 ms); over the /healthz floor: "
            << Fixed(lookup.p99_ms / std::max(floor.p99_ms, 1e-9), 2) << "x at p99\n";
  if (lookup.failed_requests > 0 || floor.failed_requests > 0) exit_code = 1;
  return exit_code;
}

}  // namespace
}  // namespace aidmp::bench

int main(int argc, char** argv) {
  auto flags = aidmp::bench::ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::cerr << flags.status().message() << "\n";
    return 2;
  }
  // The figures are the output; the engine's routine messages would interleave with them.
  aidmp::InitLogging("warn");
  return aidmp::bench::Run(*flags);
}
