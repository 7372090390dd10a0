// aidmp_bench_codec: what reading one stored event costs (docs/benchmarks.md, "Decoding
// stored events"). Every processor behind the log, every rebuild and every API read
// decodes the events it reads with event::DecodeStoredEvent; this measures it on the
// ingestion benchmark's corpus (0.5-1 KB Segment track, page and identify messages) as
// aidmp stores them, beside two baselines on the same bytes in the same run:
//   DomParse      simdjson's DOM parser building the tree of the record, nothing else:
//                 the floor of any decoder that builds a tree;
//   DomParseMinify  the same, then printing properties, traits and context back to text,
//                 which is what a tree-building decoder must do to keep them as JSON.
//
//   build/release/bench/aidmp_bench_codec                          # all, about 10 s
//   build/release/bench/aidmp_bench_codec --benchmark_filter=Decode
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench/event_corpus.h"
#include "event/event_codec.h"
#include "event/segment_json.h"
#include "simdjson.h"

namespace aidmp::bench {
namespace {

// The corpus's messages as stored records (seq set, source as the HTTP collector sets it).
const std::vector<std::string>& StoredRecords() {
  static const std::vector<std::string> records = [] {
    EventCorpus corpus = EventCorpus::Generate(/*batch_count=*/40, /*events_per_batch=*/100, /*seed=*/42);
    std::vector<std::string> out;
    simdjson::dom::parser parser;
    uint64_t seq = 1;
    for (const BatchTemplate& batch : corpus.batches()) {
      for (const auto& [begin, end] : batch.event_spans) {
        simdjson::dom::element message;
        if (parser.parse(batch.http_body.bytes.substr(begin, end - begin)).get(message) != simdjson::SUCCESS) {
          std::fprintf(stderr, "the corpus holds a message simdjson cannot parse\n");
          std::abort();
        }
        event::Event event;
        event.received_at_us = 1714566600000000;
        if (!event::ParseSegmentMessage(message, std::nullopt, &event).ok()) continue;
        if (event.timestamp_us == event::kNoTimestamp) event.timestamp_us = event.received_at_us;
        event.source = "http:bench";
        event.seq = seq++;
        out.push_back(event::EncodeStoredEvent(event));
      }
    }
    return out;
  }();
  return records;
}

void SetCounters(benchmark::State& state, size_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

size_t MeanBytes() {
  size_t total = 0;
  for (const std::string& record : StoredRecords()) total += record.size();
  return total / StoredRecords().size();
}

void BM_DecodeStoredEvent(benchmark::State& state) {
  const std::vector<std::string>& records = StoredRecords();
  event::Event event;  // reused, as the readers reuse theirs
  size_t idx = 0;
  for (auto _ : state) {
    if (!event::DecodeStoredEvent(records[idx], &event).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(event.context_json.data());
    if (++idx == records.size()) idx = 0;
  }
  SetCounters(state, MeanBytes());
}
BENCHMARK(BM_DecodeStoredEvent);

void BM_DomParse(benchmark::State& state) {
  const std::vector<std::string>& records = StoredRecords();
  simdjson::dom::parser parser;
  size_t idx = 0;
  for (auto _ : state) {
    simdjson::dom::element root;
    if (parser.parse(records[idx]).get(root) != simdjson::SUCCESS) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(root);
    if (++idx == records.size()) idx = 0;
  }
  SetCounters(state, MeanBytes());
}
BENCHMARK(BM_DomParse);

void BM_DomParseMinify(benchmark::State& state) {
  const std::vector<std::string>& records = StoredRecords();
  simdjson::dom::parser parser;
  std::string properties, traits, context;
  size_t idx = 0;
  for (auto _ : state) {
    simdjson::dom::element root;
    if (parser.parse(records[idx]).get(root) != simdjson::SUCCESS) state.SkipWithError("parse failed");
    simdjson::dom::element value;
    if (root["properties"].get(value) == simdjson::SUCCESS) properties = simdjson::minify(value);
    if (root["traits"].get(value) == simdjson::SUCCESS) traits = simdjson::minify(value);
    if (root["context"].get(value) == simdjson::SUCCESS) context = simdjson::minify(value);
    benchmark::DoNotOptimize(context.data());
    if (++idx == records.size()) idx = 0;
  }
  SetCounters(state, MeanBytes());
}
BENCHMARK(BM_DomParseMinify);

void BM_EncodeStoredEvent(benchmark::State& state) {
  const std::vector<std::string>& records = StoredRecords();
  std::vector<event::Event> events(records.size());
  for (size_t idx = 0; idx < records.size(); ++idx) {
    if (!event::DecodeStoredEvent(records[idx], &events[idx]).ok()) std::abort();
  }
  size_t idx = 0;
  for (auto _ : state) {
    std::string record = event::EncodeStoredEvent(events[idx]);
    benchmark::DoNotOptimize(record.data());
    if (++idx == events.size()) idx = 0;
  }
  SetCounters(state, MeanBytes());
}
BENCHMARK(BM_EncodeStoredEvent);

}  // namespace
}  // namespace aidmp::bench

BENCHMARK_MAIN();
