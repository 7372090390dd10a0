#include "collect/replay.h"

#include "simdjson.h"

namespace aidmp::collect {

absl::StatusOr<ReplayReport> ReplayQuarantine(Engine* engine, std::optional<clean::Reason> reason,
                                              size_t limit) {
  ReplayReport report;
  simdjson::dom::parser parser;
  uint64_t after_id = 0;
  while (report.examined < limit) {
    std::vector<clean::QuarantineRecord> records;
    size_t page = std::min<size_t>(1000, limit - report.examined);
    absl::Status status = engine->quarantine()->List(after_id, page, reason, &records);
    if (!status.ok()) return status;
    if (records.empty()) break;
    for (const auto& record : records) {
      after_id = record.id;
      ++report.examined;
      simdjson::dom::element message;
      if (parser.parse(record.raw).get(message) != simdjson::SUCCESS) {
        ++report.still_failing;
        continue;
      }
      // The source without an import line suffix keeps dedup scopes as they were.
      std::string source = record.source;
      if (source.rfind("import:", 0) == 0) {
        size_t colon = source.rfind(':');
        if (colon > 6) source.resize(colon);
      }
      Submission submission;
      engine->collector()->AddMessage(message, record.type_hint, source, record.received_at_us,
                                      event::kNoTimestamp, "", &submission);
      if (submission.events.empty()) {
        ++report.still_failing;
        continue;
      }
      submission.remove_quarantine_ids.push_back(record.id);
      SubmitResult result = engine->pipeline()->Submit(std::move(submission));
      if (!result.status.ok()) return result.status;
      report.stored += result.stored;
      report.duplicates += result.duplicates;
    }
  }
  return report;
}

}  // namespace aidmp::collect
