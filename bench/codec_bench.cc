// aidmp_bench_codec: what one event costs on its way in and out of the log, per step
// (docs/benchmarks.md, "Decoding stored events"; "Cleaning" for the last pair).
//
// Reading: every processor behind the log, every rebuild and every API read
// decodes the events it reads with event::DecodeStoredEvent; this measures it on the
// ingestion benchmark's corpus (0.5-1 KB Segment track, page and identify messages) as
// aidmp stores them, beside two baselines on the same bytes in the same run:
//   DomParse      simdjson's DOM parser building the tree of the record, nothing else:
//                 the floor of any decoder that builds a tree;
//   DomParseMinify  the same, then printing properties, traits and context back to text,
//                 which is what a tree-building decoder must do to keep them as JSON.
//
// Writing parsed JSON back as text, as the collector does for each message's size and
// sub-objects: event::Minified and event::MinifiedSize against simdjson::minify (the
// baseline, same output) on the corpus's messages, each after the parse that all three
// need (ParseMessage alone is the floor).
//
// Cleaning: `Cleaner::Clean` (validation, PII hashing, numeric strings, bot and outlier
// flags) of each corpus message, beside `ParseSegmentMessage` of the same message, the
// step before it on the same thread.
//
//   build/release/bench/aidmp_bench_codec                          # all, about 10 s
//   build/release/bench/aidmp_bench_codec --benchmark_filter=Decode
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench/event_corpus.h"
#include "clean/cleaner.h"
#include "event/event_codec.h"
#include "event/json_minify.h"
#include "event/segment_json.h"
#include "simdjson.h"

namespace aidmp::bench {
namespace {

constexpr int64_t kReceivedAtUs = 1714566600000000;

// The corpus's messages, each its JSON text.
const std::vector<std::string>& Messages() {
  static const std::vector<std::string> messages = [] {
    EventCorpus corpus = EventCorpus::Generate(/*batch_count=*/40, /*events_per_batch=*/100, /*seed=*/42);
    std::vector<std::string> out;
    for (const BatchTemplate& batch : corpus.batches()) {
      for (const auto& [begin, end] : batch.event_spans) out.push_back(batch.http_body.bytes.substr(begin, end - begin));
    }
    return out;
  }();
  return messages;
}

// Each message parsed as the collector parses a batch item (received now).
const std::vector<event::Event>& ParsedEvents() {
  static const std::vector<event::Event> events = [] {
    std::vector<event::Event> out;
    simdjson::dom::parser parser;
    for (const std::string& json : Messages()) {
      simdjson::dom::element message;
      event::Event event;
      event.received_at_us = kReceivedAtUs;
      event.source = "http:bench";
      if (parser.parse(json).get(message) != simdjson::SUCCESS ||
          !event::ParseSegmentMessage(message, std::nullopt, &event).ok()) {
        std::fprintf(stderr, "the corpus holds a message aidmp cannot parse\n");
        std::abort();
      }
      out.push_back(std::move(event));
    }
    return out;
  }();
  return events;
}

// The same events as stored records (seq set, event time filled in).
const std::vector<std::string>& StoredRecords() {
  static const std::vector<std::string> records = [] {
    std::vector<std::string> out;
    uint64_t seq = 1;
    for (event::Event event : ParsedEvents()) {
      if (event.timestamp_us == event::kNoTimestamp) event.timestamp_us = event.received_at_us;
      event.seq = seq++;
      out.push_back(event::EncodeStoredEvent(event));
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

// Parses each corpus message, then runs `write` on it.
template <typename Write>
void ParseAndWrite(benchmark::State& state, Write write) {
  const std::vector<std::string>& messages = Messages();
  simdjson::dom::parser parser;
  size_t idx = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    simdjson::dom::element message;
    if (parser.parse(messages[idx]).get(message) != simdjson::SUCCESS) state.SkipWithError("parse failed");
    write(message);
    bytes += messages[idx].size();
    if (++idx == messages.size()) idx = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_ParseMessage(benchmark::State& state) {
  ParseAndWrite(state, [](simdjson::dom::element message) { benchmark::DoNotOptimize(message); });
}
BENCHMARK(BM_ParseMessage);

void BM_ParseMessageSimdjsonMinify(benchmark::State& state) {
  ParseAndWrite(state, [](simdjson::dom::element message) {
    std::string text = simdjson::minify(message);
    benchmark::DoNotOptimize(text.data());
  });
}
BENCHMARK(BM_ParseMessageSimdjsonMinify);

void BM_ParseMessageMinified(benchmark::State& state) {
  ParseAndWrite(state, [](simdjson::dom::element message) {
    std::string text = event::Minified(message);
    benchmark::DoNotOptimize(text.data());
  });
}
BENCHMARK(BM_ParseMessageMinified);

void BM_ParseMessageMinifiedSize(benchmark::State& state) {
  ParseAndWrite(state, [](simdjson::dom::element message) {
    size_t size = event::MinifiedSize(message);
    benchmark::DoNotOptimize(size);
  });
}
BENCHMARK(BM_ParseMessageMinifiedSize);

void BM_ParseSegmentMessage(benchmark::State& state) {
  const std::vector<std::string>& messages = Messages();
  simdjson::dom::parser parser;
  event::Event event;
  size_t idx = 0;
  for (auto _ : state) {
    simdjson::dom::element message;
    event = event::Event();
    event.received_at_us = kReceivedAtUs;
    size_t size = 0;  // counted, as the collector asks for it
    if (parser.parse(messages[idx]).get(message) != simdjson::SUCCESS ||
        !event::ParseSegmentMessage(message, std::nullopt, &event, &size).ok()) {
      state.SkipWithError("parse failed");
    }
    benchmark::DoNotOptimize(event.properties_json.data());
    benchmark::DoNotOptimize(size);
    if (++idx == messages.size()) idx = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseSegmentMessage);

// The copy of the parsed event each cleaning starts from is included in the time.
void BM_CleanEvent(benchmark::State& state) {
  const std::vector<event::Event>& events = ParsedEvents();
  clean::Cleaner cleaner{clean::CleanerOptions()};
  event::Event event;
  size_t idx = 0;
  for (auto _ : state) {
    event = events[idx];
    if (!cleaner.Clean(&event, Messages()[idx].size()).accepted()) state.SkipWithError("cleaning rejected an event");
    benchmark::DoNotOptimize(event.properties_json.data());
    if (++idx == events.size()) idx = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_CleanEvent);

}  // namespace
}  // namespace aidmp::bench

BENCHMARK_MAIN();
