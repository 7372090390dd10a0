// A throwaway PostgreSQL cluster for the benchmarks' baselines: initdb into a scratch
// directory owned by the postgres user, a free port on 127.0.0.1, the unix socket in
// the scratch directory. The cluster is stopped (immediate) and deleted when the object
// is destroyed, on failure, and on SIGINT/SIGTERM (through the CleanupRegistry).
// Used by pg_baseline.cc (ingest) and segments_bench.cc (segment counts).
//
// Built only with libpq (AIDMP_BENCH_HAVE_LIBPQ). Not thread-safe; connections are.
#pragma once

#if AIDMP_BENCH_HAVE_LIBPQ

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/bench_util.h"

namespace aidmp::bench {

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// Runs `sql` (a command or a query whose rows are dropped).
absl::Status PgExec(PGconn* conn, const std::string& sql);
absl::StatusOr<PgConn> PgConnect(const std::string& conninfo);

class PgCluster {
 public:
  // Starts a cluster in a new directory under `parent` (which the postgres user must be
  // able to traverse). `tuning` is appended to postgresql.conf after the address, port
  // and socket settings, e.g. "shared_buffers = '1GB'\n".
  static absl::StatusOr<std::unique_ptr<PgCluster>> Start(const std::string& bin_dir, const std::string& parent,
                                                          const std::string& tuning, CleanupRegistry* cleanups);
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  std::string ConnInfo() const;
  // The settings written to postgresql.conf.
  const std::string& settings() const { return settings_; }
  // The postmaster's pid (from postmaster.pid); 0 if unknown.
  int PostmasterPid() const;
  // "15.14", or "unknown".
  std::string ServerVersion() const;

 private:
  PgCluster(std::string bin_dir, std::string dir, CleanupRegistry* cleanups)
      : bin_dir_(std::move(bin_dir)), dir_(std::move(dir)), cleanups_(cleanups) {}

  // `binary` from bin_dir with `args`, as the postgres user when we are root (initdb
  // refuses to run as root).
  std::vector<std::string> AsPostgres(const std::string& binary, std::vector<std::string> args) const;
  std::string DataDir() const { return dir_ + "/data"; }
  std::string CommandLog() const { return dir_ + "/commands.log"; }
  absl::Status WithLog(absl::Status status) const;
  // Nothing in the cluster is worth a clean shutdown.
  std::vector<std::string> StopCommand() const {
    return AsPostgres("pg_ctl", {"-D", DataDir(), "-m", "immediate", "-w", "stop"});
  }

  std::string bin_dir_;
  std::string dir_;
  CleanupRegistry* cleanups_;
  int cleanup_handle_ = 0;
  bool started_ = false;
  int port_ = 0;
  std::string settings_;
};

}  // namespace aidmp::bench

#endif  // AIDMP_BENCH_HAVE_LIBPQ
