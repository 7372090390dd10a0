#include "bench/pg_cluster.h"

#if AIDMP_BENCH_HAVE_LIBPQ

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/strings.h"

namespace aidmp::bench {
namespace {

constexpr char kPgUser[] = "postgres";

}  // namespace

absl::Status PgExec(PGconn* conn, const std::string& sql) {
  PgResult result(PQexec(conn, sql.c_str()));
  ExecStatusType status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
  return absl::InternalError(StrCat("'", sql.substr(0, 80), "': ", PQerrorMessage(conn)));
}

absl::StatusOr<PgConn> PgConnect(const std::string& conninfo) {
  PgConn conn(PQconnectdb(conninfo.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(StrCat("connecting to PostgreSQL (", conninfo, "): ", PQerrorMessage(conn.get())));
  }
  return conn;
}

std::string PgCluster::ConnInfo() const {
  return StrCat("host=127.0.0.1 port=", port_, " user=", kPgUser, " dbname=postgres sslmode=disable gssencmode=disable");
}

int PgCluster::PostmasterPid() const {
  std::ifstream in(DataDir() + "/postmaster.pid");
  int pid = 0;
  in >> pid;
  return in ? pid : 0;
}

std::string PgCluster::ServerVersion() const {
  auto conn = PgConnect(ConnInfo());
  if (!conn.ok()) return "unknown";
  int version = PQserverVersion(conn->get());
  return StrCat(version / 10000, ".", version % 10000);
}

std::vector<std::string> PgCluster::AsPostgres(const std::string& binary, std::vector<std::string> args) const {
  std::vector<std::string> argv;
  if (geteuid() == 0) argv = {"runuser", "-u", kPgUser, "--"};
  argv.push_back(StrCat(bin_dir_, "/", binary));
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

absl::Status PgCluster::WithLog(absl::Status status) const {
  if (status.ok()) return status;
  return absl::Status(status.code(), StrCat(status.message(), "; last output:\n", TailOfFile(CommandLog(), 1500),
                                            TailOfFile(dir_ + "/server.log", 1500)));
}

absl::StatusOr<std::unique_ptr<PgCluster>> PgCluster::Start(const std::string& bin_dir, const std::string& parent,
                                                            const std::string& tuning, CleanupRegistry* cleanups) {
  std::string pattern = StrCat(parent, "/pg-XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    return absl::FailedPreconditionError(StrCat("cannot create a directory under ", parent));
  }
  std::unique_ptr<PgCluster> cluster(new PgCluster(bin_dir, buffer.data(), cleanups));
  // Runs on the signal thread, possibly while the cluster object is being destroyed:
  // it holds copies, not the object.
  cluster->cleanup_handle_ = cleanups->Add(
      [stop = cluster->StopCommand(), log = cluster->CommandLog(), dir = cluster->dir_] {
        RunCommand(stop, log).IgnoreError();  // Not started yet, or already stopped.
        std::error_code error;
        std::filesystem::remove_all(dir, error);
      });
  if (geteuid() == 0) {
    passwd* user = getpwnam(kPgUser);
    if (user == nullptr) return absl::FailedPreconditionError("there is no 'postgres' user to run initdb as");
    if (chown(cluster->dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return absl::InternalError(StrCat("chown ", cluster->dir_, " to postgres failed"));
    }
  }
  absl::Status status = RunCommand(cluster->AsPostgres("initdb", {"-D", cluster->DataDir(), "-U", kPgUser,
                                                                  "--auth=trust", "--no-sync", "-E", "UTF8",
                                                                  "--locale=C"}),
                                   cluster->CommandLog());
  if (!status.ok()) return cluster->WithLog(status);

  auto port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  cluster->port_ = *port;
  cluster->settings_ = StrCat("listen_addresses = '127.0.0.1'\n", "port = ", *port, "\n",
                              "unix_socket_directories = '", cluster->dir_, "'\n", tuning);
  {
    std::ofstream conf(cluster->DataDir() + "/postgresql.conf", std::ios::app);
    conf << "\n# aidmp benchmark\n" << cluster->settings_;
    if (!conf) return absl::InternalError("cannot append to postgresql.conf");
  }
  status = RunCommand(cluster->AsPostgres("pg_ctl", {"-D", cluster->DataDir(), "-l", cluster->dir_ + "/server.log",
                                                     "-w", "-t", "60", "start"}),
                      cluster->CommandLog());
  cluster->started_ = true;  // pg_ctl may have started it even if it reports failure
  if (!status.ok()) return cluster->WithLog(status);
  return cluster;
}

PgCluster::~PgCluster() {
  cleanups_->Remove(cleanup_handle_);
  if (started_) {
    RunCommand(StopCommand(), CommandLog()).IgnoreError();  // Already stopped if interrupted.
  }
  std::error_code error;
  std::filesystem::remove_all(dir_, error);
}

}  // namespace aidmp::bench

#endif  // AIDMP_BENCH_HAVE_LIBPQ
