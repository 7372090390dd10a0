// Fuzzes the whole request path of the Segment collector (collect/collector.h): write key,
// limits, JSON, batches, parse, clean, dedup and the durable write into a real Engine.
//
// Input: one selector byte, then the request body. With s = byte - '0' (mod 256), the
// endpoint is s % 9 of track, identify, page, screen, group, alias, batch, import, bogus
// and the Authorization is (s / 9) % 3 of "Basic base64(k:)", "Bearer k" and none (the
// key then has to come as "writeKey" in the body). So seeds start with '0'..'8' for
// Basic auth.
//
// Invariants: nothing crashes; any Status is fine, but an accepted request accounts for
// every event it carried: stored + duplicates + quarantined = 1 for a single-event
// endpoint and the batch's length for batch and import; exactly the stored events reach
// the log (none for a failed request), and every one of them decodes and indexes.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "collect/collector.h"
#include "common/strings.h"
#include "fuzz_check.h"
#include "fuzz_engine.h"
#include "simdjson.h"

namespace {

constexpr std::string_view kEndpoints[] = {"track", "identify", "page",   "screen", "group",
                                           "alias", "batch",    "import", "bogus"};

// How many events a request the collector accepted carried.
size_t EventsInRequest(std::string_view endpoint, std::string_view body) {
  if (endpoint != "batch" && endpoint != "import") return 1;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::array items;
  if (parser.parse(body.data(), body.size())["batch"].get_array().get(items) != simdjson::SUCCESS) {
    return 0;
  }
  return items.size();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  aidmp::fuzz::SharedEngine();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::string kAuthorizations[] = {
      "Basic " + aidmp::Base64Encode(aidmp::StrCat(aidmp::fuzz::kWriteKey, ":")),
      aidmp::StrCat("Bearer ", aidmp::fuzz::kWriteKey), ""};
  auto selector = static_cast<uint8_t>(data[0] - '0');
  std::string_view endpoint = kEndpoints[selector % std::size(kEndpoints)];
  const std::string& authorization =
      kAuthorizations[(selector / std::size(kEndpoints)) % std::size(kAuthorizations)];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  aidmp::collect::Collector* collector = aidmp::fuzz::SharedEngine()->collector();
  absl::StatusOr<aidmp::collect::IngestSummary> summary =
      collector->Handle(endpoint, authorization, body);
  size_t appended = aidmp::fuzz::CheckNewLogEntries();
  if (!summary.ok()) {
    AIDMP_FUZZ_CHECK_MSG(appended == 0, aidmp::StrCat("a failed request appended ", appended,
                                                      " events: ", summary.status().ToString()));
    return 0;
  }
  AIDMP_FUZZ_CHECK_MSG(appended == summary->stored,
                       aidmp::StrCat("stored ", summary->stored, " but appended ", appended));
  size_t accounted = summary->stored + summary->duplicates + summary->quarantined;
  size_t carried = EventsInRequest(endpoint, body);
  AIDMP_FUZZ_CHECK_MSG(accounted == carried,
                       aidmp::StrCat("/v1/", endpoint, " carried ", carried, " events; stored ",
                                     summary->stored, ", duplicates ", summary->duplicates,
                                     ", quarantined ", summary->quarantined));
  return 0;
}
