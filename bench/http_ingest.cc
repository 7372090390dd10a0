#include "bench/http_ingest.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "bench/aidmp_under_test.h"
#include "common/strings.h"

namespace aidmp::bench {

absl::StatusOr<HttpIngestResult> RunHttpBatchIngest(const EventCorpus& corpus, int concurrency, double seconds,
                                                    const std::string& data_dir, bool processors,
                                                    size_t profile_cache_bytes, ProcessorPolicy policy) {
  auto aidmp = AidmpUnderTest::Start(data_dir, processors, "", profile_cache_bytes, policy);
  if (!aidmp.ok()) return aidmp.status();
  int port = (*aidmp)->port();
  const httplib::Headers headers = {{"Authorization", AidmpUnderTest::AuthorizationHeader()}};
  IdSource ids;

  HttpIngestResult result;
  std::atomic<bool> load_done{false};
  std::thread lag_sampler([&] {
    while (!load_done.load()) {
      for (const auto& [name, lag] : (*aidmp)->ProcessorLags()) {
        if (!processors) break;
        uint64_t& max_lag = result.max_processor_lag[name];
        max_lag = std::max(max_lag, lag);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  const auto& batches = corpus.batches();
  result.throughput = RunClosedLoop(concurrency, seconds, [&](int worker_idx) -> SendStep {
    auto client = std::make_shared<httplib::Client>("127.0.0.1", port);
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    client->set_read_timeout(60, 0);
    client->set_write_timeout(60, 0);
    auto body = std::make_shared<std::string>();
    auto next_batch = std::make_shared<size_t>(worker_idx);
    auto sent = std::make_shared<uint64_t>(0);
    return [&, client, body, next_batch, sent]() -> absl::StatusOr<size_t> {
      const BatchTemplate& batch = batches[*next_batch % batches.size()];
      *next_batch += concurrency;
      size_t events = batch.event_spans.size();
      StampIds(batch.http_body, ids.Take(events), body.get());
      auto response = client->Post("/v1/batch", headers, *body, "application/json");
      ++*sent;
      if (!response) {
        return absl::UnavailableError(StrCat("POST /v1/batch: ", httplib::to_string(response.error()), " (request ",
                                             *sent, " on this connection)"));
      }
      if (response->status != 200) {
        return absl::InternalError(StrCat("POST /v1/batch: HTTP ", response->status, " ", response->body));
      }
      std::string expected = StrCat("\"stored\":", events, ",\"duplicates\":0,\"quarantined\":0");
      if (response->body.find(expected) == std::string::npos) {
        return absl::InternalError(StrCat("POST /v1/batch: not every event was stored: ", response->body));
      }
      return events;
    };
  });

  SteadyClock::time_point load_end = SteadyClock::now();
  result.backpressure_seconds = static_cast<double>((*aidmp)->engine()->pipeline()->backpressure_micros()) / 1e6;
  constexpr double kCatchUpTimeoutSeconds = 300;
  auto behind = [&] {
    for (const auto& [name, lag] : (*aidmp)->ProcessorLags()) {
      if (lag > 0) return true;
    }
    return false;
  };
  while (processors && behind() && SecondsSince(load_end) < kCatchUpTimeoutSeconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.catch_up_seconds = SecondsSince(load_end);
  load_done = true;
  lag_sampler.join();
  return result;
}

}  // namespace aidmp::bench
