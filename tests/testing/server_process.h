// Runs the real aidmp binary as a child process for end-to-end tests: `aidmp serve` on
// port 0, waiting (with a deadline, never a sleep) until it has written its port.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace aidmp::testing {

class ServerProcess {
 public:
  // Starts `aidmp serve --data data_dir --port 0 --port-file ... <extra_args>`.
  ServerProcess(const std::string& data_dir, const std::vector<std::string>& extra_args);
  // Sends SIGTERM and waits if still running.
  ~ServerProcess();

  // True once the server listens (within `timeout_ms`).
  bool WaitReady(int timeout_ms = 20000);
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits for exit; returns the wait status.
  int KillAndWait(int signal);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string port_file_;
};

// Runs the aidmp binary with `args` to completion; returns its exit code and stdout.
int RunAidmp(const std::vector<std::string>& args, std::string* output);

}  // namespace aidmp::testing
