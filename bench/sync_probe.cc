#include "bench/sync_probe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bench/bench_util.h"
#include "common/strings.h"

namespace aidmp::bench {

SyncProbe::SyncProbe(std::string path, std::chrono::microseconds interval, size_t record_bytes)
    : path_(std::move(path)), interval_(interval), record_bytes_(record_bytes) {}

SyncProbe::~SyncProbe() {
  if (thread_.joinable()) Stop();
}

void SyncProbe::Start() {
  stop_ = false;
  result_ = SyncProbeResult();
  thread_ = std::thread([this] { Run(); });
}

SyncProbeResult SyncProbe::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::unlink(path_.c_str());
  return result_;
}

void SyncProbe::Run() {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    result_.error = StrCat("open ", path_, ": ", std::strerror(errno));
    return;
  }
  const std::string record(record_bytes_, 'x');
  LatencyHistogram latencies_us;
  for (SteadyClock::time_point next = SteadyClock::now(); !stop_.load(); next += interval_) {
    std::this_thread::sleep_until(next);
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
      result_.error = StrCat("write ", path_, ": ", std::strerror(errno));
      break;
    }
    SteadyClock::time_point started = SteadyClock::now();
    if (::fdatasync(fd) != 0) {
      result_.error = StrCat("fdatasync ", path_, ": ", std::strerror(errno));
      break;
    }
    latencies_us.Add(std::chrono::duration<double, std::micro>(SteadyClock::now() - started).count());
    // Behind by more than an interval (a slow sync): start again from now, as a
    // writer that syncs when it can would, instead of bursting to catch up.
    if (SteadyClock::now() > next + interval_) next = SteadyClock::now();
  }
  ::close(fd);
  result_.syncs = latencies_us.count();
  result_.p50_ms = latencies_us.Quantile(0.5) / 1000;
  result_.p99_ms = latencies_us.Quantile(0.99) / 1000;
  result_.p999_ms = latencies_us.Quantile(0.999) / 1000;
  result_.max_ms = latencies_us.Quantile(1.0) / 1000;
}

}  // namespace aidmp::bench
