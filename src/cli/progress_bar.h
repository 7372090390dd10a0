// A progress bar for long CLI jobs (import, rebuild). Not thread-safe: one owner.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace aidmp::cli {

// A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label) : label_(std::move(label)), tty_(isatty(STDERR_FILENO)) {}

  void Update(uint64_t done, uint64_t total, uint64_t rows) {
    double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0;
    if (fraction > 1) fraction = 1;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    double rate = seconds > 0 ? static_cast<double>(rows) / seconds : 0;
    int percent = static_cast<int>(fraction * 100);
    if (!tty_) {
      if (percent / 10 == last_decile_ && percent < 100) return;
      last_decile_ = percent / 10;
      std::fprintf(stderr, "%s: %3d%% %llu rows (%.0f rows/s)\n", label_.c_str(), percent,
                   static_cast<unsigned long long>(rows), rate);
      return;
    }
    constexpr int kWidth = 30;
    int filled = static_cast<int>(fraction * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, ' ');
    std::fprintf(stderr, "\r%s [%s] %3d%% %llu rows %.0f rows/s", label_.c_str(), bar.c_str(), percent,
                 static_cast<unsigned long long>(rows), rate);
    if (percent >= 100) std::fprintf(stderr, "\n");
  }

 private:
  std::string label_;
  bool tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace aidmp::cli
