#include "serve/metrics.h"
#include "common/strings.h"


namespace aidmp::serve {
namespace {
constexpr const char* kRouteNames[kRouteCount] = {"collect", "admin", "other"};
}

void RequestMetrics::Observe(Route route, int http_status, int64_t duration_us) {
  Histogram& histogram = routes_[static_cast<int>(route)];
  double seconds = static_cast<double>(duration_us) / 1e6;
  size_t bucket = 0;
  while (bucket < kBucketsSeconds.size() && seconds > kBucketsSeconds[bucket]) ++bucket;
  histogram.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  histogram.count.fetch_add(1, std::memory_order_relaxed);
  histogram.sum_us.fetch_add(static_cast<uint64_t>(duration_us), std::memory_order_relaxed);
  if (http_status >= 400) histogram.errors.fetch_add(1, std::memory_order_relaxed);
}

void RequestMetrics::AppendPrometheus(std::string* out) const {
  StrAppend(out,
                  "# HELP aidmp_http_request_duration_seconds HTTP request latency by route.\n"
                  "# TYPE aidmp_http_request_duration_seconds histogram\n");
  for (int route_idx = 0; route_idx < kRouteCount; ++route_idx) {
    const Histogram& histogram = routes_[route_idx];
    uint64_t cumulative = 0;
    for (size_t bucket_idx = 0; bucket_idx <= kBucketsSeconds.size(); ++bucket_idx) {
      cumulative += histogram.buckets[bucket_idx].load(std::memory_order_relaxed);
      std::string le = bucket_idx < kBucketsSeconds.size() ? StrCat(kBucketsSeconds[bucket_idx]) : "+Inf";
      StrAppend(out, "aidmp_http_request_duration_seconds_bucket{route=\"", kRouteNames[route_idx],
                      "\",le=\"", le, "\"} ", cumulative, "\n");
    }
    StrAppend(out, "aidmp_http_request_duration_seconds_sum{route=\"", kRouteNames[route_idx], "\"} ",
                    static_cast<double>(histogram.sum_us.load()) / 1e6, "\n");
    StrAppend(out, "aidmp_http_request_duration_seconds_count{route=\"", kRouteNames[route_idx], "\"} ",
                    histogram.count.load(), "\n");
  }
  StrAppend(out,
                  "# HELP aidmp_http_request_errors_total HTTP responses with status >= 400.\n"
                  "# TYPE aidmp_http_request_errors_total counter\n");
  for (int route_idx = 0; route_idx < kRouteCount; ++route_idx) {
    StrAppend(out, "aidmp_http_request_errors_total{route=\"", kRouteNames[route_idx], "\"} ",
                    routes_[route_idx].errors.load(), "\n");
  }
}

}  // namespace aidmp::serve
