// The Segment HTTP Tracking API's semantics, without HTTP: authentication by write key,
// request and batch limits, batch-level defaults, per-event parse and clean, and one
// durable submission per request.
//
// Request-level problems (bad key, oversize body, malformed JSON, a batch that is not a
// list or holds too many events) fail the whole request; event-level problems quarantine
// that event only, never its neighbours, and the request still succeeds, as Segment
// answers 200 for all but payload-size and JSON errors.
//
// Thread-safe: Handle may be called from many threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "clean/cleaner.h"
#include "collect/ingest_pipeline.h"
#include "simdjson.h"

namespace aidmp::collect {

struct CollectorLimits {
  size_t max_request_bytes = 32 * 1024;   // single-event endpoints
  size_t max_batch_bytes = 500 * 1024;    // /v1/batch and /v1/import
  size_t max_batch_events = 2500;
};

// What a request did.
struct IngestSummary {
  size_t stored = 0;
  size_t duplicates = 0;
  size_t quarantined = 0;
  size_t suppressed = 0;  // events of erased persons, dropped
};

class Collector {
 public:
  // `write_keys` maps each accepted write key to its source name (dedup scope and
  // provenance). Pointers must outlive the collector.
  // `suppression` may be null.
  Collector(std::map<std::string, std::string> write_keys, CollectorLimits limits,
            clean::Cleaner* cleaner, IngestPipeline* pipeline, const privacy::SuppressionList* suppression,
            const Clock* clock);

  // Handles one request to /v1/<endpoint> ("track", ..., "batch", "import") whose body
  // is already decompressed. `authorization` is the Authorization header ("" if none).
  // Errors: Unauthenticated (no or unknown write key), InvalidArgument (size, JSON,
  // batch shape; the message names the problem), NotFound (unknown endpoint), or the
  // storage error that prevented a durable write.
  absl::StatusOr<IngestSummary> Handle(std::string_view endpoint, std::string_view authorization,
                                       std::string_view body);

  // Parses and cleans one message (as Handle does for each batch item) into
  // `submission`: accepted into events, rejected into quarantined. `type_hint` empty
  // means the message names its own type. Used by import and quarantine replay.
  void AddMessage(simdjson::dom::element message, std::string_view type_hint, std::string_view source,
                  int64_t received_at_us, int64_t batch_sent_at_us,
                  std::string_view batch_context_json, Submission* submission);

  // The write key named by an Authorization header: "Basic base64(key:)" or
  // "Bearer key". Empty if none.
  static std::string WriteKeyFromAuthorization(std::string_view authorization);

 private:
  std::map<std::string, std::string> write_keys_;
  CollectorLimits limits_;
  clean::Cleaner* cleaner_;
  IngestPipeline* pipeline_;
  const privacy::SuppressionList* suppression_;
  const Clock* clock_;
};

}  // namespace aidmp::collect
