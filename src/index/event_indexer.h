// The first processor behind the log: indexes stored events by userId, by anonymousId
// and by event time (storage/keys.h), which is what reading events back and the
// identity and profile processors to come scan by.
//
// Thread-safety: driven by one ProcessorRunner.
#pragma once

#include "log/processor_runner.h"

namespace aidmp::index {

class EventIndexer final : public log::Processor {
 public:
  std::string_view Name() const override { return "event_index"; }
  absl::Status Apply(const std::vector<log::LogEntry>& entries, storage::WriteBatch* batch) override;
};

}  // namespace aidmp::index
