// The quarantine: every rejected event, kept with its raw payload, the reason and where
// it came from, so nothing is lost and it can be replayed after a fix.
//
// Thread-safety: NextId/Stage by the single ingest writer; List and Get from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "clean/reason.h"
#include "storage/store.h"

namespace aidmp::clean {

struct QuarantineRecord {
  uint64_t id = 0;
  Reason reason = Reason::kNone;
  std::string message;      // what was wrong, naming the field
  std::string source;       // "http:<source>" or "import:<file>:<line>"
  std::string type_hint;    // the endpoint's type ("track", ...); empty: from the payload
  int64_t received_at_us = 0;
  std::string raw;          // the payload as received (one event, or the whole body)
};

class Quarantine {
 public:
  explicit Quarantine(storage::Store* store);

  uint64_t NextId() { return next_id_.fetch_add(1) + 1; }
  // Stages the record (its id from NextId) and its counters.
  void Stage(const QuarantineRecord& record, storage::WriteBatch* batch) const;
  // Stages removal of a record that was replayed successfully.
  void StageRemove(uint64_t id, storage::WriteBatch* batch) const;

  // Appends up to `limit` records with id > after_id, optionally only of `reason`.
  absl::Status List(uint64_t after_id, size_t limit, std::optional<Reason> reason,
                    std::vector<QuarantineRecord>* out) const;

  static std::string EncodeRecord(const QuarantineRecord& record);
  static absl::Status DecodeRecord(std::string_view data, QuarantineRecord* out);

  // Counter names: "quarantined" and "quarantined/<reason code>".
  static std::string CounterName(std::optional<Reason> reason);

 private:
  storage::Store* store_;
  std::atomic<uint64_t> next_id_{0};
};

}  // namespace aidmp::clean
