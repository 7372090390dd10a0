// aidmp_bench_processors: what each processor behind the log costs per event, measured
// alone on one thread (docs/benchmarks.md, "Session 12").
//
// Under HTTP load the processors share two cores with the collector, so their cost shows
// only as lag and as noise in the end-to-end figures. Here a log of 300,000 events of the
// ingest benchmark's corpus (bench/event_corpus.h: 60 % track, 30 % page, 10 % identify,
// over 200,000 users, cycled with fresh messageIds) is written once through the collector with the processors off;
// each benchmark then copies that data directory and times one processor catching up
// over all of it (ProcessorRunner::CatchUp, its final flush included), counting the
// process's CPU, RocksDB's flush and compaction threads included:
//   BM_ReadLog           a processor that only reads the log: the floor every processor
//                        pays, the baseline of the ratios;
//   BM_IndexInMemtable   the event indexer as it was until session 12: each step's keys
//                        sorted into the WriteBatch, into RocksDB's skip list;
//   BM_EventIndexer      the event indexer now: sorted runs in memory, written as one
//                        table file per million keys (index/event_indexer.h);
//   BM_Persons           identity resolution and profiles (profile/person_processor.h).
//
//   build/release/bench/aidmp_bench_processors      # about 2 minutes
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "bench/event_corpus.h"
#include "collect/engine.h"
#include "common/strings.h"
#include "event/event_codec.h"
#include "index/event_indexer.h"

namespace aidmp::bench {
namespace {

constexpr size_t kEvents = 300'000;
constexpr size_t kBatchEvents = 100;
constexpr std::string_view kWriteKey = "bench-key";

std::filesystem::path ScratchRoot() { return std::filesystem::temp_directory_path() / "aidmp-processors-bench"; }

collect::EngineOptions Options() {
  collect::EngineOptions options;
  options.write_keys = {{std::string(kWriteKey), "bench"}};
  options.background_processors = false;
  return options;
}

// The data directory with the log written and no processor run, made once per process.
absl::StatusOr<std::string> LogTemplate() {
  static absl::StatusOr<std::string> made = []() -> absl::StatusOr<std::string> {
    std::string dir = (ScratchRoot() / "template").string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(ScratchRoot());
    auto engine = collect::Engine::Open(dir, Options());
    if (!engine.ok()) return engine.status();
    EventCorpus corpus = EventCorpus::Generate(500, kBatchEvents, 42);
    const std::string auth = StrCat("Basic ", Base64Encode(StrCat(kWriteKey, ":")));
    std::string body;
    for (size_t sent = 0; sent < kEvents; sent += kBatchEvents) {
      const auto& batch = corpus.batches()[(sent / kBatchEvents) % corpus.batches().size()];
      StampIds(batch.http_body, sent + 1, &body);
      auto summary = (*engine)->collector()->Handle("batch", auth, body);
      if (!summary.ok()) return summary.status();
    }
    return dir;
  }();
  return made;
}

// Removes the scratch directories (the template too) when the process ends.
struct RemoveScratchAtExit {
  ~RemoveScratchAtExit() {
    std::error_code ignored;
    std::filesystem::remove_all(ScratchRoot(), ignored);
  }
} remove_scratch_at_exit;

// A copy of the template for one benchmark, removed when this goes.
class LogCopy {
 public:
  LogCopy() {
    auto source = LogTemplate();
    if (!source.ok()) {
      status_ = source.status();
      return;
    }
    dir_ = (ScratchRoot() / "run").string();
    std::filesystem::remove_all(dir_);
    std::filesystem::copy(*source, dir_, std::filesystem::copy_options::recursive);
    auto engine = collect::Engine::Open(dir_, Options());
    if (!engine.ok()) {
      status_ = engine.status();
      return;
    }
    engine_ = std::move(*engine);
  }
  ~LogCopy() {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  bool Opened(benchmark::State& state) const {
    if (!status_.ok()) state.SkipWithError(status_.ToString().c_str());
    return status_.ok();
  }
  collect::Engine* engine() { return engine_.get(); }

 private:
  std::string dir_;
  absl::Status status_;
  std::unique_ptr<collect::Engine> engine_;
};

class ReadOnly final : public log::Processor {
 public:
  std::string_view Name() const override { return "bench_read_only"; }
  absl::Status Apply(const std::vector<log::LogEntry>& entries, storage::WriteBatch*) override {
    benchmark::DoNotOptimize(entries.data());
    return absl::OkStatus();
  }
};

// The event indexer before session 12 (its Apply then), for the comparison.
class IndexInMemtable final : public log::Processor {
 public:
  std::string_view Name() const override { return "bench_index_in_memtable"; }
  absl::Status Apply(const std::vector<log::LogEntry>& entries, storage::WriteBatch* batch) override {
    batch->SortByKey();
    event::Event event;
    std::vector<std::string> keys;
    for (const auto& entry : entries) {
      absl::Status status = event::DecodeStoredEvent(entry.record, &event);
      if (!status.ok()) return status;
      keys.clear();
      index::AppendIndexKeys(event, entry.seq, &keys);
      for (const auto& key : keys) batch->Put(storage::Family::kIndex, key, "");
    }
    return absl::OkStatus();
  }
};

// One catch-up over the whole log per benchmark: by `runner_of(engine)`.
template <typename RunnerOf>
void TimeCatchUp(benchmark::State& state, RunnerOf runner_of) {
  for (auto _ : state) {
    state.PauseTiming();
    auto copy = std::make_unique<LogCopy>();
    if (!copy->Opened(state)) return;
    log::ProcessorRunner* runner = runner_of(copy->engine());
    state.ResumeTiming();
    absl::Status status = runner->CatchUp();
    if (!status.ok()) state.SkipWithError(status.ToString().c_str());
    state.PauseTiming();
    if (runner->AppliedSeq() != copy->engine()->event_log()->LastSeq()) state.SkipWithError("did not catch up");
    copy.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  // Seconds of CPU per event (printed with a unit prefix: "12.3u" is 12.3 us).
  state.counters["cpu_per_event"] = benchmark::Counter(static_cast<double>(state.iterations() * kEvents),
                                                       benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// A runner of `processor` over the engine's log; the engine outlives it.
template <typename P>
void TimeOwnProcessor(benchmark::State& state) {
  std::unique_ptr<log::ProcessorRunner> runner;
  TimeCatchUp(state, [&runner](collect::Engine* engine) {
    runner = std::make_unique<log::ProcessorRunner>(engine->store(), engine->event_log(), std::make_unique<P>());
    return runner.get();
  });
  runner.reset();
}

void BM_ReadLog(benchmark::State& state) { TimeOwnProcessor<ReadOnly>(state); }
void BM_IndexInMemtable(benchmark::State& state) { TimeOwnProcessor<IndexInMemtable>(state); }

// The engine's own runners: the indexer first, the persons processor second.
void BM_EventIndexer(benchmark::State& state) {
  TimeCatchUp(state, [](collect::Engine* engine) { return engine->processors()[0].get(); });
}
void BM_Persons(benchmark::State& state) {
  TimeCatchUp(state, [](collect::Engine* engine) { return engine->processors()[1].get(); });
}

BENCHMARK(BM_ReadLog)->Iterations(3)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IndexInMemtable)->Iterations(3)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EventIndexer)->Iterations(3)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Persons)->Iterations(3)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace aidmp::bench

BENCHMARK_MAIN();
