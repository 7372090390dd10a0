// Baseline B: PostgreSQL 15 storing the same event bodies durably.
//
// Starts a throwaway cluster (initdb into a scratch directory owned by the postgres
// user, a free port on 127.0.0.1, the unix socket in the scratch directory,
// synchronous_commit=on), creates tables (id bigserial, message_id text, body jsonb)
// and writes from `connections` libpq connections over loopback TCP:
//   - INSERT: one prepared multi-row INSERT of a batch's events per statement;
//   - COPY: one COPY ... FROM STDIN (text format) of a batch's events per COPY;
//   - COPY x10: ten batches per COPY, the bulk-load ceiling (informational).
// Each statement commits on its own (autocommit), so every acknowledged statement is
// durable, as an acknowledged aidmp request is. The cluster is stopped and deleted at
// the end, on failure, and on SIGINT/SIGTERM (through the CleanupRegistry).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "bench/bench_util.h"
#include "bench/event_corpus.h"

namespace aidmp::bench {

struct PgBaselineOptions {
  std::string bin_dir = "/usr/lib/postgresql/15/bin";
  int connections = 16;
  double seconds = 8;  // per method
};

struct PgBaselineResult {
  // Set when PostgreSQL could not be measured here (no binaries, built without libpq).
  std::string skipped_because;
  ThroughputResult insert;
  ThroughputResult copy;
  ThroughputResult copy_x10;
  std::string server_version;
  std::string settings;  // the non-default settings, as written to postgresql.conf
};

// Runs the cluster in a new directory under `scratch_parent` (which the postgres user
// must be able to traverse). Errors are failures of a present PostgreSQL; absence is
// reported in `skipped_because`.
absl::StatusOr<PgBaselineResult> RunPgBaseline(const EventCorpus& corpus, const PgBaselineOptions& options,
                                               const std::string& scratch_parent, CleanupRegistry* cleanups);

}  // namespace aidmp::bench
