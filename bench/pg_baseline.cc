#include "bench/pg_baseline.h"

#if AIDMP_BENCH_HAVE_LIBPQ

#include <libpq-fe.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench/pg_cluster.h"
#include "common/strings.h"

namespace aidmp::bench {
namespace {

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
  auto admin = PgConnect(conninfo);
  if (!admin.ok()) return admin.status();
  absl::Status status = PgExec(admin->get(), StrCat("CREATE TABLE ", table,
                                                  " (id bigserial, message_id text, body jsonb)"));
  if (!status.ok()) return status;
  std::mutex connections_mu;
  std::vector<PgConn> connections;  // guarded by connections_mu; closed after the run
  ThroughputResult result = RunClosedLoop(options.connections, options.seconds, [&](int worker_idx) -> SendStep {
    auto conn = PgConnect(conninfo);
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
  // Durable like aidmp (fsync and synchronous_commit on, the defaults, stated anyway);
  // memory and WAL sized so checkpoints do not land inside a short measurement.
  auto cluster = PgCluster::Start(options.bin_dir, scratch_parent,
                                  "fsync = on\n"
                                  "synchronous_commit = on\n"
                                  "max_connections = 100\n"
                                  "shared_buffers = '1GB'\n"
                                  "max_wal_size = '8GB'\n"
                                  "checkpoint_timeout = '30min'\n",
                                  cleanups);
  if (!cluster.ok()) return cluster.status();
  std::string conninfo = (*cluster)->ConnInfo();
  int postmaster_pid = (*cluster)->PostmasterPid();
  result.settings = (*cluster)->settings();
  result.server_version = (*cluster)->ServerVersion();
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
