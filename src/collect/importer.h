// Batch import of files through the same parse-and-clean path as the HTTP collector.
//
// Formats:
//   jsonl           one Segment message per line ("type" optional: "track" when the
//                   line has an "event", else required)
//   csv             a header row and a column mapping (CsvMapping) to Segment fields
//   movielens-100k  a MovieLens 100k directory (u.data, u.item, u.user): users become
//                   identify calls with demographic traits, ratings become "Movie Rated"
//                   tracks with the movie's title and genres
//   taobao          the Taobao UserBehavior CSV (user,item,category,behavior,unix time):
//                   pv/cart/fav/buy become Product Viewed / Product Added / Product Added
//                   to Wishlist / Order Completed
// Rows get deterministic messageIds, so importing a file twice stores it once.
// A row that cannot be mapped is quarantined with its line, never skipped.
//
// Thread-safety: one import per engine at a time is the expected use; concurrent
// imports are safe but interleave.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collect/engine.h"

namespace aidmp::collect {

// Which CSV column feeds which field. Column names refer to the header row.
struct CsvMapping {
  std::string user_id;
  std::string anonymous_id;
  std::string event;            // column with the event name
  std::string event_constant;   // or one name for every row (when `event` is empty)
  std::string timestamp;        // ISO-8601, or epoch seconds / milliseconds / microseconds
  std::string message_id;       // optional; otherwise derived from the row
  // property name -> column. Columns not mapped anywhere become properties under their
  // own header name when `unmapped_as_properties` is set.
  std::map<std::string, std::string> properties;
  bool unmapped_as_properties = true;
  char delimiter = ',';
};

// Parses "user_id=uid,event=action,timestamp=ts,price=amount": Segment fields by their
// snake_case names, anything else a property. InvalidArgument on a malformed spec.
absl::StatusOr<CsvMapping> ParseCsvMapping(std::string_view spec);

enum class ImportFormat { kJsonl, kCsv, kMovieLens100k, kTaobao };
// "jsonl", "csv", "movielens-100k", "taobao". InvalidArgument for others.
absl::StatusOr<ImportFormat> ParseImportFormat(std::string_view name);

struct ImportOptions {
  ImportFormat format = ImportFormat::kJsonl;
  CsvMapping csv;
  size_t chunk_events = 5000;
  // Called now and then with (bytes done, bytes total, rows so far).
  std::function<void(uint64_t, uint64_t, uint64_t)> progress;
};

struct ImportReport {
  uint64_t rows_read = 0;
  uint64_t stored = 0;
  uint64_t duplicates = 0;
  uint64_t quarantined = 0;
  std::map<std::string, uint64_t> quarantined_by_reason;
  double seconds = 0;
};

// Imports `path` (a file, or a directory for movielens-100k). NotFound if it is missing;
// storage errors stop the import (rows already written stay written).
absl::StatusOr<ImportReport> ImportFile(Engine* engine, const std::string& path,
                                        const ImportOptions& options);

// Splits one CSV line (RFC 4180 quoting, without line breaks inside quotes).
// Returns false if a quote is left open.
bool SplitCsvLine(std::string_view line, char delimiter, std::vector<std::string>* fields);


}  // namespace aidmp::collect
