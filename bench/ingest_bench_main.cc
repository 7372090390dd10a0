// aidmp_bench_ingest: the ingestion benchmarks of the issue "Collect, clean and store"
// (section Speed), with their baselines measured in the same run, printed as one table
// of figures and ratios. docs/benchmarks.md records the results and how to read them.
//
//   aidmp_bench_ingest [--quick] [--only=rocksdb,http,pg,latency,import]
//                      [--concurrency=4,8,16] [--seconds=8] [--dir=/tmp]
//                      [--data=../shared/data] [--pg-bin=/usr/lib/postgresql/15/bin]
//                      [--rate=5000] [--track-connections=16]
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "bench/bench_util.h"
#include "bench/event_corpus.h"
#include "bench/http_ingest.h"
#include "bench/import_bench.h"
#include "bench/pg_baseline.h"
#include "bench/rocksdb_baseline.h"
#include "bench/track_latency.h"
#include "common/logging.h"
#include "common/strings.h"
#include "serve/http_server.h"

namespace aidmp::bench {
namespace {

// The issue's targets.
constexpr double kTargetEventsPerSecond = 250000;
constexpr double kTargetVsRocksDb = 0.5;
constexpr double kTargetVsPgCopy = 1.5;
constexpr double kTargetTrackP99Ms = 5;

// Who gets the CPU in an aidmp run: the request threads' and processors' nice values.
void PrintPriorities(const ProcessorPolicy& policy) {
  std::cout << "  request threads at nice +" << serve::ServerOptions().request_nice << ", processors at nice +"
            << policy.nice << ", lag bound "
            << (policy.max_lag_us > 0 ? StrCat(Fixed(policy.max_lag_us / 1e6, 1), " s") : "none") << std::endl;
}

struct Flags {
  bool quick = false;
  std::set<std::string> only = {"rocksdb", "http", "pg", "latency", "import"};
  std::vector<int> concurrencies = {4, 8, 16};
  double seconds = 8;
  std::string dir;
  std::string data_dir;
  std::string pg_bin = "/usr/lib/postgresql/15/bin";
  double rate = 5000;
  int track_connections = 16;
  double track_seconds = 10;
  size_t corpus_batches = 500;
  ProcessorPolicy policy;
  bool seconds_given = false;
  bool concurrency_given = false;
};

constexpr char kUsage[] =
    "usage: aidmp_bench_ingest [--quick] [--only=rocksdb,http,pg,latency,import] [--concurrency=4,8,16]\n"
    "                          [--seconds=8] [--dir=SCRATCH_PARENT] [--data=SHARED_DATA_DIR]\n"
    "                          [--pg-bin=DIR] [--rate=5000] [--track-connections=16]\n"
    "                          [--processor-nice=19] [--max-processor-lag=30]\n"
    "  --quick     small sizes (about 30 s) to check that everything runs\n"
    "  --seconds   length of each throughput measurement\n"
    "  --dir       where scratch databases go (default $TMPDIR or /tmp)\n"
    "  --data      the shared data sets (default <source>/../shared/data)\n";

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  const char* tmpdir = std::getenv("TMPDIR");
  flags.dir = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  flags.data_dir = StrCat(AIDMP_SOURCE_DIR, "/../shared/data");
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    std::string_view arg = argv[arg_idx];
    size_t equals = arg.find('=');
    std::string_view name = arg.substr(0, equals);
    std::string_view value = equals == std::string_view::npos ? "" : arg.substr(equals + 1);
    auto bad = [&] {
      return absl::InvalidArgumentError(StrCat("bad flag '", arg, "'\n", kUsage, kProcessorPolicyUsage));
    };
    if (name == "--quick") {
      flags.quick = true;
    } else if (name == "--only") {
      flags.only.clear();
      for (auto part : Split(value, ',', /*skip_empty=*/true)) flags.only.insert(std::string(part));
    } else if (name == "--concurrency") {
      flags.concurrencies.clear();
      for (auto part : Split(value, ',', /*skip_empty=*/true)) {
        int concurrency = 0;
        if (!ParseNumber(part, &concurrency) || concurrency <= 0 || concurrency > 16) return bad();
        flags.concurrencies.push_back(concurrency);
      }
      flags.concurrency_given = true;
    } else if (name == "--seconds") {
      if (!ParseDouble(value, &flags.seconds) || flags.seconds <= 0) return bad();
      flags.seconds_given = true;
    } else if (name == "--dir" && !value.empty()) {
      flags.dir = std::string(value);
    } else if (name == "--data" && !value.empty()) {
      flags.data_dir = std::string(value);
    } else if (name == "--pg-bin" && !value.empty()) {
      flags.pg_bin = std::string(value);
    } else if (name == "--rate") {
      if (!ParseDouble(value, &flags.rate) || flags.rate <= 0) return bad();
    } else if (auto policy_ok = ParseProcessorPolicyFlag(name, value, &flags.policy)) {
      if (!*policy_ok) return bad();
    } else if (name == "--track-connections") {
      if (!ParseNumber(value, &flags.track_connections) || flags.track_connections <= 0) return bad();
    } else {
      return bad();
    }
  }
  if (flags.quick) {
    if (!flags.seconds_given) flags.seconds = 1;
    if (!flags.concurrency_given) flags.concurrencies = {4, 16};
    flags.track_seconds = 1.5;
    flags.corpus_batches = 100;
  }
  return flags;
}

// What the run found.
struct Figures {
  std::map<int, ThroughputResult> rocksdb;  // by concurrency
  std::map<int, HttpIngestResult> http;     // by concurrency
  std::optional<PgBaselineResult> pg;
  bool pg_wanted = false;
  std::optional<TrackLatencyResult> latency;
  std::vector<ImportResult> imports;
};

std::string Ratio(double numerator, double denominator) {
  return denominator > 0 ? StrCat(Fixed(numerator / denominator, 2), "x") : "n/a";
}
std::string Cpu(double micros) { return micros > 0 ? Fixed(micros, 1) : ""; }

// One row per figure, with its ratios to the baselines and the issue's targets.
std::vector<ResultRow> BuildTable(const Figures& figures) {
  std::vector<ResultRow> rows;
  if (figures.latency) {
    const TrackLatencyResult& latency = *figures.latency;
    std::string connections = StrCat(latency.options.connections);
    std::string offered = StrCat("@", Thousands(latency.options.requests_per_second), "/s");
    rows.push_back({StrCat("aidmp POST /v1/track p50 ", offered), connections, StrCat(Fixed(latency.p50_ms, 2), " ms"),
                    Cpu(latency.cpu_micros_per_request),
                    StrCat("achieved ", Thousands(latency.achieved_per_second), "/s"), "", ""});
    rows.push_back({StrCat("aidmp POST /v1/track p99 ", offered), connections, StrCat(Fixed(latency.p99_ms, 2), " ms"),
                    "", "", "< 5 ms", latency.p99_ms < kTargetTrackP99Ms ? "yes" : "NO"});
    rows.push_back({StrCat("aidmp POST /v1/track p99.9 ", offered), connections,
                    StrCat(Fixed(latency.p999_ms, 2), " ms"), "", StrCat("max ", Fixed(latency.max_ms, 1), " ms"), "",
                    ""});
    rows.push_back({"  disk fdatasync p99 under that load", "", StrCat(Fixed(latency.sync_under_load.p99_ms, 2), " ms"),
                    "",
                    StrCat("max ", Fixed(latency.sync_under_load.max_ms, 1), " ms; before the load p99 ",
                           Fixed(latency.sync_idle.p99_ms, 2), " ms, max ", Fixed(latency.sync_idle.max_ms, 1), " ms"),
                    "", ""});
  }
  for (const auto& [concurrency, rocksdb] : figures.rocksdb) {
    rows.push_back({"RocksDB WriteBatch(100), sync", StrCat(concurrency), EventsPerSecond(rocksdb.events_per_second()),
                    Cpu(rocksdb.cpu_micros_per_event()), "baseline A", "", ""});
    // What the absolute target asks of the storage alone on this machine: anything that
    // stores these bytes through RocksDB pays at least this much CPU per event.
    const double cores_at_target = rocksdb.cpu_micros_per_event() * kTargetEventsPerSecond / 1e6;
    rows.push_back({"  RocksDB alone at 250,000 ev/s", StrCat(concurrency),
                    StrCat(Fixed(cores_at_target, 1), " cores of ", std::thread::hardware_concurrency()), "",
                    "its CPU per event x 250,000/s", "", ""});
  }
  double pg_copy = figures.pg ? figures.pg->copy.events_per_second() : 0;
  double best_http = 0;
  int best_concurrency = 0;
  for (const auto& [concurrency, http] : figures.http) {
    double rate = http.throughput.events_per_second();
    if (rate > best_http) {
      best_http = rate;
      best_concurrency = concurrency;
    }
    std::string versus;
    bool met = rate >= kTargetEventsPerSecond;
    auto rocksdb = figures.rocksdb.find(concurrency);
    if (rocksdb != figures.rocksdb.end()) {
      double rocks_rate = rocksdb->second.events_per_second();
      versus = StrCat(Ratio(rate, rocks_rate), " RocksDB");
      met = met && rate >= kTargetVsRocksDb * rocks_rate;
    }
    if (pg_copy > 0) StrAppend(&versus, versus.empty() ? "" : ", ", Ratio(rate, pg_copy), " PG COPY");
    rows.push_back({"aidmp POST /v1/batch (100 ev), durable", StrCat(concurrency), EventsPerSecond(rate),
                    Cpu(http.throughput.cpu_micros_per_event()), versus, ">=250,000 ev/s, >=0.5x RocksDB",
                    met ? "yes" : "NO"});
    for (const auto& [name, lag] : http.max_processor_lag) {
      rows.push_back({StrCat("  ", name, " lag under that load"), StrCat(concurrency),
                      StrCat("max ", Thousands(static_cast<double>(lag)), " ev"), "",
                      StrCat("all caught up ", Fixed(http.catch_up_seconds, 2), " s after (",
                             EventsPerSecond(http.fully_processed_per_second()), " fully processed)"),
                      "", ""});
    }
  }
  if (figures.pg) {
    const PgBaselineResult& pg = *figures.pg;
    std::string connections = StrCat(pg.insert.concurrency);
    rows.push_back({"PostgreSQL multi-row INSERT (100/stmt)", connections,
                    EventsPerSecond(pg.insert.events_per_second()), Cpu(pg.insert.cpu_micros_per_event()),
                    "baseline B", "", ""});
    rows.push_back({"PostgreSQL COPY (100 rows/COPY)", connections, EventsPerSecond(pg.copy.events_per_second()),
                    Cpu(pg.copy.cpu_micros_per_event()), "baseline B", "", ""});
    rows.push_back({"PostgreSQL COPY (1,000 rows/COPY)", connections,
                    EventsPerSecond(pg.copy_x10.events_per_second()), Cpu(pg.copy_x10.cpu_micros_per_event()),
                    "bulk-load ceiling", "", ""});
    if (best_http > 0) {
      rows.push_back({"aidmp best / PostgreSQL COPY", StrCat(best_concurrency, " vs ", connections),
                      Ratio(best_http, pg_copy), "",
                      StrCat(Ratio(best_http, pg.insert.events_per_second()), " vs INSERT"), ">=1.5x",
                      best_http >= kTargetVsPgCopy * pg_copy ? "yes" : "NO"});
    }
  } else if (figures.pg_wanted) {
    rows.push_back({"PostgreSQL", "", "skipped or failed (see above)", "", "", "", ""});
  }
  for (const auto& import : figures.imports) {
    if (!import.skipped_because.empty()) {
      rows.push_back({StrCat("import ", import.name), "", "skipped: data absent", "", "", "", ""});
      continue;
    }
    double rows_read = static_cast<double>(import.rows_read);
    rows.push_back({StrCat("import ", import.name), "1", StrCat(Fixed(import.total_seconds(), 2), " s end-to-end"), "",
                    StrCat(Fixed(import.import_seconds, 2), " s import + ", Fixed(import.processors_seconds, 2),
                           " s processors"),
                    "", ""});
    rows.push_back({StrCat("  ", Thousands(rows_read), " rows"), "1",
                    EventsPerSecond(import.import_seconds > 0 ? rows_read / import.import_seconds : 0), "",
                    StrCat(EventsPerSecond(import.total_seconds() > 0 ? rows_read / import.total_seconds() : 0),
                           " incl. processors"),
                    "", ""});
  }
  return rows;
}

// Prints failures right away: a figure with failed requests is not a figure.
void ReportFailures(std::string_view what, const ThroughputResult& result, int* exit_code) {
  if (result.failed_requests == 0) return;
  std::cout << "  !! " << what << ": " << result.failed_requests << " failed requests, first: " << result.first_error
            << "\n";
  *exit_code = 1;
}

int Run(const Flags& flags) {
  int exit_code = 0;
  CleanupRegistry cleanups;
  cleanups.InstallSignalHandler();
  auto scratch = ScratchDir::Create(flags.dir, "aidmp-bench-", &cleanups);
  if (!scratch.ok()) {
    std::cerr << scratch.status().message() << "\n";
    return 2;
  }
  // The postgres user must reach its cluster directory inside.
  chmod((*scratch)->path().c_str(), 0711);
  auto fresh = [&](const std::string& name) {
    std::string path = (*scratch)->Sub(name);
    std::error_code error;
    std::filesystem::remove_all(path, error);
    return path;
  };
  auto wants = [&](const char* part) { return flags.only.count(part) > 0; };

  std::cout << "machine: " << DescribeMachine(flags.dir) << "\n";
  SteadyClock::time_point corpus_start = SteadyClock::now();
  EventCorpus corpus = EventCorpus::Generate(flags.corpus_batches, 100, /*seed=*/42);
  const CorpusStats& stats = corpus.stats();
  std::cout << "corpus: " << stats.events << " distinct events (" << stats.track << " track, " << stats.page
            << " page, " << stats.identify << " identify), " << stats.min_event_bytes << "-" << stats.max_event_bytes
            << " bytes, mean " << Fixed(stats.mean_event_bytes, 0) << "; batch body mean "
            << Fixed(stats.mean_batch_body_bytes / 1024, 1) << " KiB; messageIds fresh on every send ("
            << Fixed(SecondsSince(corpus_start), 1) << " s to generate)\n";

  // Latency first: it is the figure most sensitive to disk noise, and the throughput
  // runs after it write and delete gigabytes.
  std::optional<TrackLatencyResult> latency;
  if (wants("latency")) {
    TrackLatencyOptions options;
    options.requests_per_second = flags.rate;
    options.connections = flags.track_connections;
    options.seconds = flags.track_seconds;
    options.warm_up_seconds = flags.quick ? 0.5 : 1;
    std::cout << "aidmp POST /v1/track at " << Thousands(flags.rate) << " req/s, " << options.connections
              << " connections, " << options.seconds << " s (load " << LoadAverages() << ")" << std::endl;
    PrintPriorities(flags.policy);
    auto result = RunTrackLatency(corpus, options, fresh("track"), flags.policy);
    fresh("track");
    if (!result.ok()) {
      std::cout << "  !! track latency failed: " << result.status().message() << "\n";
      exit_code = 1;
    } else {
      if (result->failed_requests > 0) {
        std::cout << "  !! " << result->failed_requests << " failed requests, first: " << result->first_error << "\n";
        exit_code = 1;
      }
      std::cout << "  " << result->requests << " requests, achieved " << Fixed(result->achieved_per_second, 0)
                << " req/s; p50 " << Fixed(result->p50_ms, 2) << " ms, p90 " << Fixed(result->p90_ms, 2)
                << " ms, p99 " << Fixed(result->p99_ms, 2) << " ms, p99.9 " << Fixed(result->p999_ms, 2)
                << " ms, max " << Fixed(result->max_ms, 2) << " ms; " << Fixed(result->cpu_micros_per_request, 0)
                << " CPU us/request\n  slowest request by second (ms):";
      for (double max_ms : result->max_ms_by_second) std::cout << " " << Fixed(max_ms, 1);
      std::cout << "\n";
      auto print_probe = [](std::string_view when, const SyncProbeResult& probe) {
        std::cout << "  disk baseline, 1 KB append+fdatasync every 1 ms " << when << ": " << probe.syncs
                  << " syncs, p50 " << Fixed(probe.p50_ms, 2) << " ms, p99 " << Fixed(probe.p99_ms, 2)
                  << " ms, p99.9 " << Fixed(probe.p999_ms, 2) << " ms, max " << Fixed(probe.max_ms, 2) << " ms";
        if (!probe.error.empty()) std::cout << " (stopped early: " << probe.error << ")";
        std::cout << "\n";
      };
      print_probe("before the load", result->sync_idle);
      print_probe("under it", result->sync_under_load);
      latency = *result;
    }
  }

  Figures figures;
  for (int concurrency : flags.concurrencies) {
    if (wants("rocksdb")) {
      std::cout << "RocksDB WriteBatch+sync, " << concurrency << " threads, " << flags.seconds << " s (load "
                << LoadAverages() << ")" << std::endl;
      auto result = RunRocksDbBaseline(corpus, concurrency, flags.seconds, fresh(StrCat("rocksdb-c", concurrency)));
      fresh(StrCat("rocksdb-c", concurrency));
      if (!result.ok()) {
        std::cout << "  !! RocksDB baseline failed: " << result.status().message() << "\n";
        exit_code = 1;
      } else {
        ReportFailures("RocksDB", *result, &exit_code);
        std::cout << "  " << EventsPerSecond(result->events_per_second()) << ", "
                  << Fixed(result->cpu_micros_per_event(), 1) << " CPU us/event\n";
        figures.rocksdb[concurrency] = *result;
      }
    }
    if (wants("http")) {
      std::cout << "aidmp POST /v1/batch, " << concurrency << " connections, " << flags.seconds << " s (load "
                << LoadAverages() << ")" << std::endl;
      PrintPriorities(flags.policy);
      auto result = RunHttpBatchIngest(corpus, concurrency, flags.seconds, fresh(StrCat("http-c", concurrency)), true,
                                       profile::PersonProcessor::kDefaultProfileCacheBytes, flags.policy);
      fresh(StrCat("http-c", concurrency));
      if (!result.ok()) {
        std::cout << "  !! aidmp HTTP ingest failed: " << result.status().message() << "\n";
        exit_code = 1;
      } else {
        ReportFailures("aidmp HTTP", result->throughput, &exit_code);
        std::cout << "  " << EventsPerSecond(result->throughput.events_per_second()) << ", "
                  << Fixed(result->throughput.cpu_micros_per_event(), 1)
                  << " CPU us/event (server, client and processors); max lag";
        for (const auto& [name, lag] : result->max_processor_lag) {
          std::cout << " " << name << " " << Thousands(static_cast<double>(lag));
        }
        std::cout << " events, caught up " << Fixed(result->catch_up_seconds, 2) << " s after the load; "
                  << EventsPerSecond(result->fully_processed_per_second()) << " fully processed; held back "
                  << Fixed(result->backpressure_seconds, 2) << " s by the lag bound\n";
        figures.http[concurrency] = *result;
      }
    }
  }

  figures.pg_wanted = wants("pg");
  if (figures.pg_wanted) {
    PgBaselineOptions options;
    options.bin_dir = flags.pg_bin;
    options.seconds = flags.seconds;
    std::cout << "PostgreSQL INSERT / COPY, " << options.connections << " connections, " << flags.seconds
              << " s each (load " << LoadAverages() << ")" << std::endl;
    auto result = RunPgBaseline(corpus, options, (*scratch)->path(), &cleanups);
    if (!result.ok()) {
      std::cout << "  !! PostgreSQL baseline failed: " << result.status().message() << "\n";
      exit_code = 1;
    } else if (!result->skipped_because.empty()) {
      std::cout << "  PostgreSQL skipped: " << result->skipped_because << "\n";
    } else {
      ReportFailures("PostgreSQL INSERT", result->insert, &exit_code);
      ReportFailures("PostgreSQL COPY", result->copy, &exit_code);
      ReportFailures("PostgreSQL COPY x10", result->copy_x10, &exit_code);
      std::cout << "  PostgreSQL " << result->server_version << ": INSERT "
                << EventsPerSecond(result->insert.events_per_second()) << ", COPY "
                << EventsPerSecond(result->copy.events_per_second()) << ", COPY x10 "
                << EventsPerSecond(result->copy_x10.events_per_second()) << "; CPU us/event (server and clients) "
                << Fixed(result->insert.cpu_micros_per_event(), 1) << ", "
                << Fixed(result->copy.cpu_micros_per_event(), 1) << ", "
                << Fixed(result->copy_x10.cpu_micros_per_event(), 1) << "\n";
      figures.pg = *result;
    }
  }

  std::vector<ImportResult> imports;
  if (wants("import")) {
    struct Dataset {
      const char* name;
      std::string path;
      collect::ImportFormat format;
    };
    std::vector<Dataset> datasets = {
        {"MovieLens 100k", StrCat(flags.data_dir, "/movielens-100k"), collect::ImportFormat::kMovieLens100k},
        {"Taobao UserBehavior head", StrCat(flags.data_dir, "/taobao-userbehavior-head/UserBehavior_head.csv"),
         collect::ImportFormat::kTaobao},
    };
    for (const auto& dataset : datasets) {
      std::cout << "import " << dataset.name << " (load " << LoadAverages() << ")" << std::endl;
      auto result = RunImport(dataset.name, dataset.path, dataset.format, fresh("import"));
      fresh("import");
      if (!result.ok()) {
        std::cout << "  !! import failed: " << result.status().message() << "\n";
        exit_code = 1;
        continue;
      }
      if (!result->skipped_because.empty()) {
        std::cout << "  skipped: " << result->skipped_because << "\n";
      } else {
        std::cout << "  " << result->rows_read << " rows, " << result->stored << " stored, " << result->quarantined
                  << " quarantined; import " << Fixed(result->import_seconds, 2) << " s, processors "
                  << Fixed(result->processors_seconds, 2) << " s\n";
      }
      imports.push_back(*result);
    }
  }

  figures.latency = latency;
  figures.imports = imports;
  std::cout << "\nload after the run: " << LoadAverages() << "\n\n";
  PrintTable(BuildTable(figures));
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
  // The table is the output; the engine's routine messages would interleave with it.
  aidmp::InitLogging("warn");
  return aidmp::bench::Run(*flags);
}
