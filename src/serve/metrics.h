// Request metrics for /metrics: a latency histogram per route, in Prometheus form.
//
// Thread-safe: Observe uses atomics only, so it costs nothing measurable per request.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace aidmp::serve {

// Routes tracked separately. Do not reorder without updating kRouteNames.
enum class Route { kCollect = 0, kAdmin = 1, kOther = 2 };
constexpr int kRouteCount = 3;

class RequestMetrics {
 public:
  void Observe(Route route, int http_status, int64_t duration_us);
  // Appends the histogram and request counters in Prometheus text format.
  void AppendPrometheus(std::string* out) const;

  // Upper bounds of the histogram buckets, seconds.
  static constexpr std::array<double, 12> kBucketsSeconds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5};

 private:
  struct Histogram {
    std::array<std::atomic<uint64_t>, kBucketsSeconds.size() + 1> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_us{0};
    std::atomic<uint64_t> errors{0};  // status >= 400
  };
  std::array<Histogram, kRouteCount> routes_;
};

}  // namespace aidmp::serve
