#include "bench/pg_baseline.h"

#if AIDMP_BENCH_HAVE_LIBPQ

#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/strings.h"

namespace aidmp::bench {
namespace {

constexpr char kPgUser[] = "postgres";

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

absl::Status Exec(PGconn* conn, const std::string& sql) {
  PgResult result(PQexec(conn, sql.c_str()));
  ExecStatusType status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
  return absl::InternalError(StrCat("'", sql.substr(0, 80), "': ", PQerrorMessage(conn)));
}

absl::StatusOr<PgConn> Connect(const std::string& conninfo) {
  PgConn conn(PQconnectdb(conninfo.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(StrCat("connecting to PostgreSQL (", conninfo, "): ", PQerrorMessage(conn.get())));
  }
  return conn;
}

// A throwaway cluster: initdb, start, and on destruction (or interruption) an
// immediate stop and the removal of its directory.
class PgCluster {
 public:
  static absl::StatusOr<std::unique_ptr<PgCluster>> Start(const std::string& bin_dir, const std::string& parent,
                                                          CleanupRegistry* cleanups);
  ~PgCluster();

  std::string ConnInfo() const {
    return StrCat("host=127.0.0.1 port=", port_, " user=", kPgUser,
                  " dbname=postgres sslmode=disable gssencmode=disable");
  }
  const std::string& settings() const { return settings_; }
  // The postmaster's pid (from postmaster.pid); 0 if unknown.
  int PostmasterPid() const {
    std::ifstream in(DataDir() + "/postmaster.pid");
    int pid = 0;
    in >> pid;
    return in ? pid : 0;
  }

 private:
  PgCluster(std::string bin_dir, std::string dir, CleanupRegistry* cleanups)
      : bin_dir_(std::move(bin_dir)), dir_(std::move(dir)), cleanups_(cleanups) {}

  // `binary` from bin_dir with `args`, as the postgres user when we are root (initdb
  // refuses to run as root).
  std::vector<std::string> AsPostgres(const std::string& binary, std::vector<std::string> args) const {
    std::vector<std::string> argv;
    if (geteuid() == 0) argv = {"runuser", "-u", kPgUser, "--"};
    argv.push_back(StrCat(bin_dir_, "/", binary));
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  std::string DataDir() const { return dir_ + "/data"; }
  std::string CommandLog() const { return dir_ + "/commands.log"; }
  absl::Status WithLog(absl::Status status) const {
    if (status.ok()) return status;
    return absl::Status(status.code(), StrCat(status.message(), "; last output:\n", TailOfFile(CommandLog(), 1500),
                                              TailOfFile(dir_ + "/server.log", 1500)));
  }
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

absl::StatusOr<std::unique_ptr<PgCluster>> PgCluster::Start(const std::string& bin_dir, const std::string& parent,
                                                            CleanupRegistry* cleanups) {
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
  // Durable like aidmp (fsync and synchronous_commit on, the defaults, stated anyway);
  // memory and WAL sized so checkpoints do not land inside a short measurement.
  cluster->settings_ = StrCat("listen_addresses = '127.0.0.1'\n", "port = ", *port, "\n",
                              "unix_socket_directories = '", cluster->dir_, "'\n",
                              "fsync = on\n"
                              "synchronous_commit = on\n"
                              "max_connections = 100\n"
                              "shared_buffers = '1GB'\n"
                              "max_wal_size = '8GB'\n"
                              "checkpoint_timeout = '30min'\n");
  {
    std::ofstream conf(cluster->DataDir() + "/postgresql.conf", std::ios::app);
    conf << "\n# aidmp_bench_ingest\n" << cluster->settings_;
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

std::string InsertSql(const std::string& table, size_t rows) {
  std::string sql = StrCat("INSERT INTO ", table, " (message_id, body) VALUES ");
  for (size_t row_idx = 0; row_idx < rows; ++row_idx) {
    StrAppend(&sql, row_idx > 0 ? "," : "", "($", 2 * row_idx + 1, ",$", 2 * row_idx + 2, ")");
  }
  return sql;
}

SendStep InsertSender(PGconn* conn, const EventCorpus& corpus, IdSource* ids, int worker_idx, int workers) {
  auto params = std::make_shared<std::string>();
  auto next_batch = std::make_shared<size_t>(worker_idx);
  auto prepared = std::make_shared<absl::Status>(absl::OkStatus());
  {
    PgResult result(PQprepare(conn, "insert_batch", InsertSql("events_insert", corpus.events_per_batch()).c_str(),
                              0, nullptr));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      *prepared = absl::InternalError(StrCat("PREPARE: ", PQerrorMessage(conn)));
    }
  }
  return [conn, &corpus, ids, workers, params, next_batch, prepared]() -> absl::StatusOr<size_t> {
    if (!prepared->ok()) return *prepared;
    const BatchTemplate& batch = corpus.batches()[*next_batch % corpus.batches().size()];
    *next_batch += workers;
    StampIds(batch.pg_params, ids->Take(batch.event_spans.size()), params.get());
    std::vector<const char*> values;
    values.reserve(batch.pg_param_offsets.size());
    for (size_t offset : batch.pg_param_offsets) values.push_back(params->data() + offset);
    PgResult result(PQexecPrepared(conn, "insert_batch", static_cast<int>(values.size()), values.data(), nullptr,
                                   nullptr, 0));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return absl::InternalError(StrCat("INSERT: ", PQerrorMessage(conn)));
    }
    return batch.event_spans.size();
  };
}

SendStep CopySender(PGconn* conn, const EventCorpus& corpus, IdSource* ids, int worker_idx, int workers,
                    const std::string& table, int batches_per_copy) {
  auto text = std::make_shared<std::string>();
  auto stamped = std::make_shared<std::string>();
  auto next_batch = std::make_shared<size_t>(worker_idx);
  std::string sql = StrCat("COPY ", table, " (message_id, body) FROM STDIN");
  return [=, &corpus]() -> absl::StatusOr<size_t> {
    text->clear();
    size_t events = 0;
    for (int part_idx = 0; part_idx < batches_per_copy; ++part_idx) {
      const BatchTemplate& batch = corpus.batches()[*next_batch % corpus.batches().size()];
      *next_batch += workers;
      StampIds(batch.copy_text, ids->Take(batch.event_spans.size()), stamped.get());
      text->append(*stamped);
      events += batch.event_spans.size();
    }
    PgResult started(PQexec(conn, sql.c_str()));
    if (PQresultStatus(started.get()) != PGRES_COPY_IN) {
      return absl::InternalError(StrCat("COPY: ", PQerrorMessage(conn)));
    }
    if (PQputCopyData(conn, text->data(), static_cast<int>(text->size())) != 1 || PQputCopyEnd(conn, nullptr) != 1) {
      return absl::InternalError(StrCat("COPY data: ", PQerrorMessage(conn)));
    }
    absl::Status status = absl::OkStatus();
    while (PGresult* raw = PQgetResult(conn)) {
      PgResult result(raw);
      if (PQresultStatus(raw) != PGRES_COMMAND_OK && status.ok()) {
        status = absl::InternalError(StrCat("COPY end: ", PQerrorMessage(conn)));
      }
    }
    if (!status.ok()) return status;
    return events;
  };
}

// Runs one method from `options.connections` connections into a fresh table.
// The server's CPU is counted through `postmaster_pid` while the connections are open.
using SenderFactory = std::function<SendStep(PGconn* conn, int worker_idx)>;
absl::StatusOr<ThroughputResult> Measure(const std::string& conninfo, int postmaster_pid, const std::string& table,
                                         const PgBaselineOptions& options, const SenderFactory& make_sender) {
  auto admin = Connect(conninfo);
  if (!admin.ok()) return admin.status();
  absl::Status status = Exec(admin->get(), StrCat("CREATE TABLE ", table,
                                                  " (id bigserial, message_id text, body jsonb)"));
  if (!status.ok()) return status;
  std::mutex connections_mu;
  std::vector<PgConn> connections;  // guarded by connections_mu; closed after the run
  ThroughputResult result = RunClosedLoop(options.connections, options.seconds, [&](int worker_idx) -> SendStep {
    auto conn = Connect(conninfo);
    if (!conn.ok()) {
      absl::Status error = conn.status();
      return [error]() -> absl::StatusOr<size_t> { return error; };
    }
    PGconn* raw = conn->get();
    {
      std::lock_guard<std::mutex> lock(connections_mu);
      connections.push_back(std::move(*conn));
    }
    return make_sender(raw, worker_idx);
  }, [postmaster_pid] { return postmaster_pid > 0 ? ProcessTreeCpuSeconds(postmaster_pid) : 0.0; });
  return result;
}

std::string ServerVersion(const std::string& conninfo) {
  auto conn = Connect(conninfo);
  if (!conn.ok()) return "unknown";
  int version = PQserverVersion(conn->get());
  return StrCat(version / 10000, ".", version % 10000);
}

}  // namespace

absl::StatusOr<PgBaselineResult> RunPgBaseline(const EventCorpus& corpus, const PgBaselineOptions& options,
                                               const std::string& scratch_parent, CleanupRegistry* cleanups) {
  PgBaselineResult result;
  for (const char* binary : {"initdb", "pg_ctl", "postgres"}) {
    std::string path = StrCat(options.bin_dir, "/", binary);
    if (access(path.c_str(), X_OK) != 0) {
      result.skipped_because = StrCat(path, " is missing (install the Debian package postgresql)");
      return result;
    }
  }
  auto cluster = PgCluster::Start(options.bin_dir, scratch_parent, cleanups);
  if (!cluster.ok()) return cluster.status();
  std::string conninfo = (*cluster)->ConnInfo();
  int postmaster_pid = (*cluster)->PostmasterPid();
  result.settings = (*cluster)->settings();
  result.server_version = ServerVersion(conninfo);
  IdSource ids;

  auto insert = Measure(conninfo, postmaster_pid, "events_insert", options, [&](PGconn* conn, int worker_idx) {
    return InsertSender(conn, corpus, &ids, worker_idx, options.connections);
  });
  if (!insert.ok()) return insert.status();
  result.insert = *insert;
  auto copy = Measure(conninfo, postmaster_pid, "events_copy", options, [&](PGconn* conn, int worker_idx) {
    return CopySender(conn, corpus, &ids, worker_idx, options.connections, "events_copy", 1);
  });
  if (!copy.ok()) return copy.status();
  result.copy = *copy;
  auto copy_x10 = Measure(conninfo, postmaster_pid, "events_copy_x10", options, [&](PGconn* conn, int worker_idx) {
    return CopySender(conn, corpus, &ids, worker_idx, options.connections, "events_copy_x10", 10);
  });
  if (!copy_x10.ok()) return copy_x10.status();
  result.copy_x10 = *copy_x10;
  return result;
}

}  // namespace aidmp::bench

#else  // !AIDMP_BENCH_HAVE_LIBPQ

namespace aidmp::bench {

absl::StatusOr<PgBaselineResult> RunPgBaseline(const EventCorpus& corpus, const PgBaselineOptions& options,
                                               const std::string& scratch_parent, CleanupRegistry* cleanups) {
  PgBaselineResult result;
  result.skipped_because =
      "this binary was built without libpq (install libpq-dev, then re-run cmake so pkg-config finds it)";
  return result;
}

}  // namespace aidmp::bench

#endif  // AIDMP_BENCH_HAVE_LIBPQ
