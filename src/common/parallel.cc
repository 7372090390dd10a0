#include "common/parallel.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

namespace aidmp {

absl::Status LowerThreadPriority(int nice) {
  if (nice <= 0) return absl::OkStatus();
  const auto tid = static_cast<id_t>(gettid());
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (errno != 0 || setpriority(PRIO_PROCESS, tid, std::min(19, current + nice)) != 0) {
    return absl::PermissionDeniedError(std::strerror(errno));
  }
  return absl::OkStatus();
}

void NameThisThread(std::string_view name) {
  char truncated[16] = {};  // the kernel's TASK_COMM_LEN, the terminating NUL included
  name.copy(truncated, sizeof(truncated) - 1);
  pthread_setname_np(pthread_self(), truncated);
}

WorkerPool::WorkerPool(int threads) {
  try {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  } catch (const std::system_error&) {
    // Fewer workers than asked (the callers still run every job themselves).
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

WorkerPool& WorkerPool::Shared() {
  // Never destroyed: counts may still run while static destructors do.
  static WorkerPool* pool = new WorkerPool(static_cast<int>(std::max(std::thread::hardware_concurrency(), 1u)) - 1);
  return *pool;
}

void WorkerPool::Work() {
  NameThisThread("aidmp-pool");
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void WorkerPool::Run(int n, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  // Indices are claimed one at a time by the caller and by as many workers as help;
  // the caller waits for the claimed ones to finish.
  struct Job {
    std::atomic<int> next{0};
    std::mutex mu;
    std::condition_variable done;
    int finished = 0;  // guarded by mu
  };
  auto job = std::make_shared<Job>();
  auto drain = [job, n, &fn] {
    for (int index; (index = job->next.fetch_add(1)) < n;) {
      fn(index);
      std::lock_guard<std::mutex> lock(job->mu);
      if (++job->finished == n) job->done.notify_all();
    }
  };
  const int helpers = std::min(n - 1, threads());
  if (helpers > 0) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int i = 0; i < helpers; ++i) tasks_.emplace_back(drain);
    }
    if (helpers == 1) {
      wake_.notify_one();
    } else {
      wake_.notify_all();
    }
  }
  drain();
  std::unique_lock<std::mutex> lock(job->mu);
  job->done.wait(lock, [&] { return job->finished == n; });
}

}  // namespace aidmp
