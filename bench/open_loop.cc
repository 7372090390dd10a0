#include "bench/open_loop.h"

#include <sys/prctl.h>

#include <algorithm>
#include <latch>
#include <mutex>
#include <thread>

#include "bench/bench_util.h"
#include "common/strings.h"

namespace aidmp::bench {

OpenLoopResult RunOpenLoop(int port, const OpenLoopOptions& options, const OpenLoopSend& send) {
  struct Worker {
    LatencyHistogram latencies_us;
    std::vector<double> max_us_by_second;
    uint64_t sent = 0;  // warm-up included
    uint64_t failures = 0;
    std::string first_error;
  };
  std::vector<Worker> workers(options.connections);
  auto gap = std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(1.0 / options.requests_per_second));
  auto period = gap * options.connections;
  auto as_duration = [](double seconds) {
    return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
  };
  // Set once every connection is open (see below), before `go` opens.
  SteadyClock::time_point start, measure_from, end;
  std::mutex connect_mu;
  std::latch connected(options.connections);
  std::latch go(1);

  std::vector<std::thread> threads;
  for (int worker_idx = 0; worker_idx < options.connections; ++worker_idx) {
    threads.emplace_back([&, worker_idx] {
      // Wake at the scheduled time, not up to 50 us later.
      prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
      Worker& worker = workers[worker_idx];
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(60, 0);
      {
        // One connect at a time: cpp-httplib 0.11 listens with a backlog of 5.
        std::lock_guard<std::mutex> lock(connect_mu);
        auto health = client.Get("/healthz");
        if (!health || health->status != 200) {
          ++worker.failures;
          worker.first_error = health ? StrCat("GET /healthz: HTTP ", health->status)
                                      : StrCat("GET /healthz: ", httplib::to_string(health.error()));
        }
      }
      connected.count_down();
      go.wait();
      for (SteadyClock::time_point scheduled = start + gap * worker_idx; scheduled < end; scheduled += period) {
        std::this_thread::sleep_until(scheduled);
        std::string error = send(client, worker_idx, worker.sent);
        SteadyClock::time_point done = SteadyClock::now();
        ++worker.sent;
        if (!error.empty()) {
          if (worker.failures++ == 0) worker.first_error = std::move(error);
          continue;
        }
        if (scheduled < measure_from) continue;
        double latency_us = std::chrono::duration<double, std::micro>(done - scheduled).count();
        worker.latencies_us.Add(latency_us);
        auto second = static_cast<size_t>(std::chrono::duration<double>(scheduled - measure_from).count());
        if (worker.max_us_by_second.size() <= second) worker.max_us_by_second.resize(second + 1, 0);
        worker.max_us_by_second[second] = std::max(worker.max_us_by_second[second], latency_us);
      }
    });
  }
  connected.wait();
  double cpu_start = ProcessCpuSeconds();
  start = SteadyClock::now() + std::chrono::milliseconds(20);
  measure_from = start + as_duration(options.warm_up_seconds);
  end = measure_from + as_duration(options.seconds);
  go.count_down();
  for (auto& thread : threads) thread.join();
  double elapsed = SecondsSince(measure_from);
  double cpu_seconds = ProcessCpuSeconds() - cpu_start;

  OpenLoopResult result;
  result.options = options;
  LatencyHistogram all;
  for (const auto& worker : workers) {
    all.Merge(worker.latencies_us);
    if (result.max_ms_by_second.size() < worker.max_us_by_second.size()) {
      result.max_ms_by_second.resize(worker.max_us_by_second.size(), 0);
    }
    for (size_t second = 0; second < worker.max_us_by_second.size(); ++second) {
      result.max_ms_by_second[second] = std::max(result.max_ms_by_second[second], worker.max_us_by_second[second] / 1000);
    }
    result.failed_requests += worker.failures;
    if (result.first_error.empty()) result.first_error = worker.first_error;
  }
  result.requests = all.count();
  uint64_t sent = 0;
  for (const auto& worker : workers) sent += worker.sent;
  result.cpu_micros_per_request = sent > 0 ? cpu_seconds * 1e6 / static_cast<double>(sent) : 0;
  result.achieved_per_second = elapsed > 0 ? static_cast<double>(all.count()) / elapsed : 0;
  result.p50_ms = all.Quantile(0.5) / 1000;
  result.p90_ms = all.Quantile(0.9) / 1000;
  result.p99_ms = all.Quantile(0.99) / 1000;
  result.p999_ms = all.Quantile(0.999) / 1000;
  result.max_ms = all.Quantile(1.0) / 1000;
  return result;
}

}  // namespace aidmp::bench
