#include "testing/server_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

namespace aidmp::testing {

ServerProcess::ServerProcess(const std::string& data_dir, const std::vector<std::string>& extra_args) {
  port_file_ = data_dir + ".port";
  std::remove(port_file_.c_str());
  std::vector<std::string> args = {AIDMP_BINARY, "serve",       "--data",     data_dir,
                                   "--port",     "0",           "--port-file", port_file_,
                                   "--log-level", "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = fork();
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) KillAndWait(SIGTERM);
}

bool ServerProcess::WaitReady(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream file(port_file_);
    if (file >> port_ && port_ > 0) return true;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

int ServerProcess::KillAndWait(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

int RunAidmp(const std::vector<std::string>& args, std::string* output) {
  std::string command = AIDMP_BINARY;
  for (const auto& arg : args) {
    command += " '";
    for (char c : arg) {
      if (c == '\'') {
        command += "'\\''";
      } else {
        command += c;
      }
    }
    command += "'";
  }
  command += " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buffer;
  output->clear();
  size_t read;
  while ((read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output->append(buffer.data(), read);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace aidmp::testing
