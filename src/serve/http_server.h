// The HTTP front: the Segment Tracking API (/v1/track ... /v1/batch, /v1/import), the
// admin read API (/v1/events, /v1/stats, /v1/quarantine, quarantine replay), profiles,
// segments, recommendations (recommendation_routes.h), /healthz and /metrics, over one
// Engine.
//
// Bodies may be gzip-compressed (Content-Encoding: gzip); limits apply to the
// decompressed bytes, so a small bomb cannot inflate past them. Admin routes take the
// admin key as "Authorization: Bearer KEY".
// Thread-safety: Start once, Stop from any thread (signal handlers included, via a flag
// the caller polls).
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "collect/engine.h"
#include "recserve/trainer.h"

namespace aidmp::serve {

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;  // 0: pick a free port (see port())
  std::string admin_key;  // empty: admin routes answer 401 to everyone
  // Request worker threads. cpp-httplib holds one per open keep-alive connection, so
  // this is also the most clients served at once; threads mostly block, so be generous.
  int threads = 64;
  // How much lower the request threads' CPU priority is than the process's (0-19).
  // The group-commit writer, which every acknowledgement waits for, keeps the process's:
  // among sixteen busy request threads a fair share of the CPU left it waiting, and
  // /v1/batch acknowledged about 10 % fewer events (docs/benchmarks.md, session 19).
  // The processors (collect::EngineOptions::processor_nice, 19) stay below them.
  int request_nice = 5;
  // Retrain the recommender (recserve/) this often, with `train`; 0: only on request.
  int64_t retrain_every_us = 0;
  recserve::TrainOptions train;
};

class HttpServer {
 public:
  HttpServer(collect::Engine* engine, ServerOptions options);
  ~HttpServer();

  // Pending connections the kernel queues for the accept loop (capped by
  // net.core.somaxconn); cpp-httplib's own 5 lost the SYNs of a burst of clients.
  static constexpr int kListenBacklog = 1024;

  // Binds and starts serving on background threads. FailedPrecondition if the address
  // cannot be bound.
  absl::Status Start();
  // The bound port (after Start).
  int port() const;
  // Stops accepting, finishes requests in flight, joins. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aidmp::serve
