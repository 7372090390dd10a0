#include "bench/bench_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <latch>
#include <sstream>
#include <thread>

#include "common/strings.h"

namespace aidmp::bench {

int CleanupRegistry::Add(std::function<void()> cleanup) {
  std::lock_guard<std::mutex> lock(mu_);
  int handle = next_handle_++;
  cleanups_[handle] = std::move(cleanup);
  return handle;
}

void CleanupRegistry::Remove(int handle) {
  std::lock_guard<std::mutex> lock(mu_);
  cleanups_.erase(handle);
}

void CleanupRegistry::RunAll() {
  std::map<int, std::function<void()>> cleanups;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cleanups.swap(cleanups_);
  }
  for (auto it = cleanups.rbegin(); it != cleanups.rend(); ++it) it->second();
}

void CleanupRegistry::InstallSignalHandler() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([this, signals] {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) return;
    std::fprintf(stderr, "\ninterrupted (signal %d): cleaning up scratch data and PostgreSQL\n", signal_number);
    RunAll();
    std::_Exit(128 + signal_number);
  }).detach();
}

absl::StatusOr<std::unique_ptr<ScratchDir>> ScratchDir::Create(const std::string& parent,
                                                               const std::string& prefix,
                                                               CleanupRegistry* cleanups) {
  std::string pattern = StrCat(parent, "/", prefix, "XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    return absl::FailedPreconditionError(
        StrCat("cannot create a scratch directory under ", parent, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<ScratchDir>(new ScratchDir(buffer.data(), cleanups));
}

ScratchDir::ScratchDir(std::string path, CleanupRegistry* cleanups) : path_(std::move(path)), cleanups_(cleanups) {
  std::string path_copy = path_;
  cleanup_handle_ = cleanups_->Add([path_copy] {
    std::error_code error;
    std::filesystem::remove_all(path_copy, error);
  });
}

ScratchDir::~ScratchDir() {
  cleanups_->Remove(cleanup_handle_);
  std::error_code error;
  std::filesystem::remove_all(path_, error);
}

absl::Status RunCommand(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::string command;
  for (const auto& arg : argv) StrAppend(&command, command.empty() ? "" : " ", arg);
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(StrCat("fork for '", command, "': ", std::strerror(errno)));
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    // The child must not inherit the blocked termination signals (pg_ctl's postmaster
    // would ignore a shutdown otherwise).
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(StrCat("waitpid for '", command, "': ", std::strerror(errno)));
  }
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return absl::OkStatus();
  int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  return absl::InternalError(StrCat("'", command, "' exited with ", code, " (see ", log_path, ")"));
}

absl::StatusOr<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(StrCat("socket: ", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::string error = std::strerror(errno);
    close(fd);
    return absl::InternalError(StrCat("finding a free port on 127.0.0.1: ", error));
  }
  close(fd);
  return static_cast<int>(ntohs(address.sin_port));
}

std::string TailOfFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  sorted_ = false;
}

double LatencyHistogram::Quantile(double q) {
  if (samples_.empty()) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  double rank = std::ceil(q * static_cast<double>(samples_.size()));
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return samples_[std::min(index, samples_.size() - 1)];
}

ThroughputResult RunClosedLoop(int concurrency, double seconds,
                               const std::function<SendStep(int worker_idx)>& make_sender,
                               const std::function<double()>& external_cpu_seconds) {
  constexpr uint64_t kMaxFailuresPerWorker = 100;
  struct WorkerTally {
    uint64_t events = 0;
    uint64_t failures = 0;
    std::string first_error;
  };
  std::vector<WorkerTally> tallies(concurrency);
  // Connections are opened one at a time: cpp-httplib 0.11 listens with a backlog of 5,
  // and a burst of connects overflows it (dropped SYNs, failed first requests).
  std::mutex warm_up_mu;
  std::latch ready(concurrency);
  std::latch go(1);
  SteadyClock::time_point deadline;
  std::vector<std::thread> workers;
  for (int worker_idx = 0; worker_idx < concurrency; ++worker_idx) {
    workers.emplace_back([&, worker_idx] {
      WorkerTally& tally = tallies[worker_idx];
      SendStep send;
      {
        std::lock_guard<std::mutex> lock(warm_up_mu);
        send = make_sender(worker_idx);
        auto warm_up = send();
        if (!warm_up.ok()) {
          ++tally.failures;
          tally.first_error = StrCat("warm-up: ", warm_up.status().message());
        }
      }
      ready.count_down();
      go.wait();
      while (SteadyClock::now() < deadline && tally.failures < kMaxFailuresPerWorker) {
        auto sent = send();
        if (sent.ok()) {
          tally.events += *sent;
          continue;
        }
        if (tally.failures++ == 0) tally.first_error = std::string(sent.status().message());
      }
    });
  }
  ready.wait();
  double cpu_start = ProcessCpuSeconds();
  double external_cpu_start = external_cpu_seconds ? external_cpu_seconds() : 0;
  SteadyClock::time_point start = SteadyClock::now();
  deadline = start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
  go.count_down();
  for (auto& worker : workers) worker.join();
  ThroughputResult result;
  result.concurrency = concurrency;
  result.seconds = SecondsSince(start);
  result.process_cpu_seconds = ProcessCpuSeconds() - cpu_start;
  if (external_cpu_seconds) result.external_cpu_seconds = external_cpu_seconds() - external_cpu_start;
  for (const auto& tally : tallies) {
    result.events += tally.events;
    result.failed_requests += tally.failures;
    if (result.first_error.empty()) result.first_error = tally.first_error;
  }
  return result;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

namespace {

struct ProcStat {
  int ppid = 0;
  uint64_t own_ticks = 0;       // utime + stime
  uint64_t children_ticks = 0;  // cutime + cstime (reaped children)
};

bool ReadProcStat(const std::string& path, ProcStat* stat) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return false;
  // The command name may hold spaces and parentheses: fields restart after the last ')'.
  size_t paren = line.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(line.substr(paren + 2));
  std::string state;
  fields >> state >> stat->ppid;
  // Fields 5..13 (pgrp ... cmajflt) come before utime.
  std::string skipped;
  for (int field_idx = 5; field_idx <= 13; ++field_idx) fields >> skipped;
  uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;
  fields >> utime >> stime >> cutime >> cstime;
  stat->own_ticks = utime + stime;
  stat->children_ticks = cutime + cstime;
  return static_cast<bool>(fields);
}

}  // namespace

double ProcessTreeCpuSeconds(int pid) {
  ProcStat root;
  if (!ReadProcStat(StrCat("/proc/", pid, "/stat"), &root)) return 0;
  uint64_t ticks = root.own_ticks + root.children_ticks;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    std::string name = entry.path().filename().string();
    int child_pid = 0;
    if (!ParseNumber(name, &child_pid) || child_pid == pid) continue;
    ProcStat child;
    if (ReadProcStat(entry.path().string() + "/stat", &child) && child.ppid == pid) ticks += child.own_ticks;
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string LoadAverages() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  std::string text = StrCat(one, " ", five, " ", fifteen);
  // "some avg10=12.34 ...": the share of the last 10 s in which runnable tasks waited
  // for a CPU; unlike the load average it says how contended the machine is.
  std::ifstream pressure("/proc/pressure/cpu");
  std::string some, avg10;
  if (pressure >> some >> avg10 && avg10.rfind("avg10=", 0) == 0) {
    StrAppend(&text, ", cpu pressure ", avg10.substr(6), "%");
  }
  return text;
}

std::string DescribeMachine(const std::string& dir) {
  std::string cpu_model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu_model = std::string(StripWhitespace(line.substr(line.find(':') + 1)));
      break;
    }
  }
  double mem_gib = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE)) /
                   (1024.0 * 1024.0 * 1024.0);
  utsname uts{};
  uname(&uts);
  struct statvfs fs{};
  double free_gib = 0;
  if (statvfs(dir.c_str(), &fs) == 0) {
    free_gib = static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize) / (1024.0 * 1024.0 * 1024.0);
  }
  return StrCat(std::thread::hardware_concurrency(), " x ", cpu_model, ", ", Fixed(mem_gib, 1), " GiB RAM, Linux ",
                uts.release, ", scratch ", dir, " (", Fixed(free_gib, 0), " GiB free), load ", LoadAverages());
}

std::string EventsPerSecond(double value) { return StrCat(Thousands(value), " ev/s"); }

std::string Thousands(double value) {
  std::string digits = StrCat(static_cast<long long>(std::llround(value)));
  std::string out;
  size_t start = digits[0] == '-' ? 1 : 0;
  for (size_t char_idx = 0; char_idx < digits.size(); ++char_idx) {
    if (char_idx > start && (digits.size() - char_idx) % 3 == 0) out.push_back(',');
    out.push_back(digits[char_idx]);
  }
  return out;
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

void PrintTable(const std::vector<ResultRow>& rows) {
  std::vector<std::string> header = {"measurement", "conc", "result", "CPU us/ev", "vs baseline", "target", "met"};
  std::vector<size_t> widths;
  for (const auto& title : header) widths.push_back(title.size());
  auto cells = [](const ResultRow& row) {
    return std::vector<std::string>{row.name, row.concurrency, row.value, row.cpu, row.versus, row.target, row.met};
  };
  for (const auto& row : rows) {
    auto values = cells(row);
    for (size_t column_idx = 0; column_idx < values.size(); ++column_idx) {
      widths[column_idx] = std::max(widths[column_idx], values[column_idx].size());
    }
  }
  auto print_line = [&](const std::vector<std::string>& values) {
    std::string line = "|";
    for (size_t column_idx = 0; column_idx < values.size(); ++column_idx) {
      StrAppend(&line, " ", values[column_idx], std::string(widths[column_idx] - values[column_idx].size(), ' '), " |");
    }
    std::cout << line << "\n";
  };
  print_line(header);
  std::string rule = "|";
  for (size_t width : widths) StrAppend(&rule, std::string(width + 2, '-'), "|");
  std::cout << rule << "\n";
  for (const auto& row : rows) print_line(cells(row));
  std::cout.flush();
}

Memory ReadMemory() {
  Memory memory;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    auto read = [&](std::string_view prefix, uint64_t* out) {
      if (line.rfind(prefix, 0) != 0) return;
      std::string_view rest = StripWhitespace(std::string_view(line).substr(prefix.size()));
      uint64_t kib = 0;
      if (ParseNumber(rest.substr(0, rest.find(' ')), &kib)) *out = kib * 1024;
    };
    read("VmRSS:", &memory.rss);
    read("VmHWM:", &memory.peak);
  }
  return memory;
}

}  // namespace aidmp::bench
