#include "bench/track_latency.h"

#include <chrono>
#include <thread>

#include "bench/aidmp_under_test.h"
#include "bench/bench_util.h"
#include "common/strings.h"

namespace aidmp::bench {

absl::StatusOr<TrackLatencyResult> RunTrackLatency(const EventCorpus& corpus, const TrackLatencyOptions& options,
                                                   const std::string& data_dir, ProcessorPolicy policy) {
  if (corpus.track_events().empty()) return absl::FailedPreconditionError("the corpus holds no track events");
  TrackLatencyResult result;
  const std::string probe_path = data_dir + "-sync-probe";
  SyncProbe probe(probe_path, std::chrono::milliseconds(1));
  probe.Start();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  result.sync_idle = probe.Stop();
  auto aidmp = AidmpUnderTest::Start(data_dir, /*processors=*/true, /*admin_key=*/"",
                                     profile::PersonProcessor::kDefaultProfileCacheBytes, policy);
  if (!aidmp.ok()) return aidmp.status();
  const httplib::Headers headers = {{"Authorization", AidmpUnderTest::AuthorizationHeader()}};
  const auto& events = corpus.track_events();
  IdSource ids;
  std::vector<std::string> bodies(options.connections);
  auto send = [&](httplib::Client& client, int worker, uint64_t n) -> std::string {
    const EventTemplate& event = events[(worker + n * options.connections) % events.size()];
    StampedBody stamped{event.json, {IdSlot{event.id_offset, 0}}};
    StampIds(stamped, ids.Take(1), &bodies[worker]);
    auto response = client.Post("/v1/track", headers, bodies[worker], "application/json");
    if (!response) return httplib::to_string(response.error());
    if (response->status != 200 || response->body.find("\"stored\":1,") == std::string::npos) {
      return StrCat("HTTP ", response->status, " ", response->body);
    }
    return "";
  };
  probe.Start();
  static_cast<OpenLoopResult&>(result) = RunOpenLoop((*aidmp)->port(), options, send);
  result.sync_under_load = probe.Stop();
  return result;
}

}  // namespace aidmp::bench
