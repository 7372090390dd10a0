// The identity processor behind the event log: resolves every stored event's
// identifiers through the IdentityGraph and indexes the event under its person
// (kIdentity 'E' keys), so a person's events are one range scan per absorbed person.
//
// Thread-safety: driven by one ProcessorRunner.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "identity/identity_graph.h"
#include "log/processor_runner.h"

namespace aidmp::identity {

class IdentityProcessor final : public log::Processor {
 public:
  IdentityProcessor(storage::Store* store, IdentityRules rules) : graph_(store, std::move(rules)) {}
  std::string_view Name() const override { return "identity"; }
  absl::Status Apply(const std::vector<log::LogEntry>& entries, storage::WriteBatch* batch) override;

 private:
  IdentityGraph graph_;
};

// Log positions of a person's events (their own and those of persons merged into
// them), by event time, newest first, at most `limit`, only events before `before_us`.
absl::StatusOr<std::vector<uint64_t>> PersonEventSeqs(storage::Store* store, const PersonRecord& person,
                                                      int64_t before_us, size_t limit);

}  // namespace aidmp::identity
