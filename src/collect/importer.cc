#include "collect/importer.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "common/hash.h"
#include "common/status.h"
#include "common/json_writer.h"
#include "common/time_format.h"
#include "simdjson.h"
#include "common/strings.h"

namespace aidmp::collect {
namespace {

namespace fs = std::filesystem;

// Accumulates messages into submissions of `chunk` events and tallies the report.
class Batcher {
 public:
  Batcher(Engine* engine, std::string source, size_t chunk, ImportReport* report)
      : engine_(engine), source_(std::move(source)), chunk_(chunk), report_(report) {}

  // Feeds one message (JSON text) from `line_no`.
  absl::Status AddJson(std::string_view json, std::string_view type_hint, uint64_t line_no) {
    simdjson::dom::element message;
    simdjson::error_code error = parser_.parse(json.data(), json.size()).get(message);
    if (error != simdjson::SUCCESS) {
      return AddInvalid(clean::Reason::kMalformedJson,
                        StrCat("line ", line_no, ": malformed JSON: ", simdjson::error_message(error)),
                        json, line_no);
    }
    engine_->collector()->AddMessage(message, type_hint, source_, engine_->clock()->NowMicros(),
                                     event::kNoTimestamp, "", &submission_);
    return MaybeFlush();
  }

  absl::Status AddInvalid(clean::Reason reason, std::string message, std::string_view raw,
                          uint64_t line_no) {
    clean::QuarantineRecord record;
    record.reason = reason;
    record.message = std::move(message);
    record.source = StrCat(source_, ":", line_no);
    record.received_at_us = engine_->clock()->NowMicros();
    record.raw = std::string(raw);
    submission_.quarantined.push_back(std::move(record));
    return MaybeFlush();
  }

  absl::Status Flush() {
    if (submission_.events.empty() && submission_.quarantined.empty()) return absl::OkStatus();
    for (const auto& record : submission_.quarantined) {
      ++report_->quarantined_by_reason[std::string(clean::ReasonCode(record.reason))];
    }
    SubmitResult result = engine_->pipeline()->Submit(std::move(submission_));
    submission_ = Submission();
    if (!result.status.ok()) return result.status;
    report_->stored += result.stored;
    report_->duplicates += result.duplicates;
    report_->quarantined += result.quarantined;
    return absl::OkStatus();
  }

 private:
  absl::Status MaybeFlush() {
    if (submission_.events.size() + submission_.quarantined.size() < chunk_) return absl::OkStatus();
    return Flush();
  }

  Engine* engine_;
  std::string source_;
  size_t chunk_;
  ImportReport* report_;
  simdjson::dom::parser parser_;
  Submission submission_;
};

// Reads a file line by line, reporting progress by bytes.
class LineReader {
 public:
  LineReader(const std::string& path, const ImportOptions& options, const ImportReport* report)
      : file_(path, std::ios::binary), options_(options), report_(report) {
    std::error_code error;
    total_bytes_ = fs::file_size(path, error);
    if (error) total_bytes_ = 0;
  }
  bool ok() const { return static_cast<bool>(file_); }

  bool Next(std::string* line) {
    if (!std::getline(file_, *line)) {
      Report(true);
      return false;
    }
    done_bytes_ += line->size() + 1;
    if (!line->empty() && line->back() == '\r') line->pop_back();
    ++line_no_;
    if ((line_no_ & 0x3fff) == 0) Report(false);
    return true;
  }
  uint64_t line_no() const { return line_no_; }

 private:
  void Report(bool final) {
    if (!options_.progress) return;
    options_.progress(final ? total_bytes_ : done_bytes_, total_bytes_, report_->rows_read);
  }

  std::ifstream file_;
  const ImportOptions& options_;
  const ImportReport* report_;
  uint64_t total_bytes_ = 0;
  uint64_t done_bytes_ = 0;
  uint64_t line_no_ = 0;
};

// Whole epoch seconds from 1970 to 9999, so that seconds * kMicrosPerSecond cannot
// overflow and the time can be written as ISO-8601.
bool ParseEpochSeconds(std::string_view text, int64_t* seconds) {
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  return ParseNumber(text, seconds) && *seconds >= 0 && *seconds <= kMaxSeconds;
}

// Epoch numbers: seconds, milliseconds or microseconds by magnitude; else ISO-8601.
absl::StatusOr<int64_t> ParseFlexibleTime(std::string_view text) {
  text = StripWhitespace(text);
  int64_t number;
  if (ParseNumber(text, &number)) {
    if (number < 0) return absl::InvalidArgumentError(StrCat("epoch time ", text, " is before 1970"));
    if (number < 100'000'000'000LL) return number * kMicrosPerSecond;
    if (number < 100'000'000'000'000LL) return number * 1000;
    return number;
  }
  double seconds;
  if (ParseDouble(text, &seconds) && seconds > 0 && seconds < 1e11) {
    return static_cast<int64_t>(seconds * 1e6);
  }
  return ParseIso8601Micros(text);
}

void WriteScalarProperty(JsonWriter* writer, std::string_view value) {
  int64_t integer;
  double number;
  if (ParseNumber(value, &integer)) {
    writer->Int(integer);
  } else if (ParseDouble(value, &number) && std::isfinite(number) &&
             value.find_first_of("eEnN") == std::string_view::npos) {
    writer->Double(number);
  } else {
    writer->String(value);
  }
}

absl::Status ImportJsonl(const std::string& path, const ImportOptions& options, Batcher* batcher,
                         ImportReport* report) {
  LineReader reader(path, options, report);
  if (!reader.ok()) return absl::NotFoundError(StrCat("cannot open ", path));
  std::string line;
  simdjson::dom::parser probe;
  while (reader.Next(&line)) {
    if (StripWhitespace(line).empty()) continue;
    ++report->rows_read;
    // Lines without a type but with an event name are tracks, as most exports write them.
    std::string_view type_hint;
    simdjson::dom::element message;
    if (probe.parse(line).get(message) == simdjson::SUCCESS && message.is_object()) {
      std::string_view type;
      if (message["type"].get_string().get(type) != simdjson::SUCCESS &&
          message["event"].is_string()) {
        type_hint = "track";
      }
    }
    AIDMP_RETURN_IF_ERROR(batcher->AddJson(line, type_hint, reader.line_no()));
  }
  return absl::OkStatus();
}

absl::Status ImportCsv(const std::string& path, const ImportOptions& options, Batcher* batcher,
                       ImportReport* report) {
  LineReader reader(path, options, report);
  if (!reader.ok()) return absl::NotFoundError(StrCat("cannot open ", path));
  const CsvMapping& mapping = options.csv;
  std::string line;
  std::vector<std::string> header;
  if (!reader.Next(&line) || !SplitCsvLine(line, mapping.delimiter, &header)) {
    return absl::InvalidArgumentError(StrCat(path, ": the CSV file has no readable header row"));
  }
  std::unordered_map<std::string, size_t> column_index;
  for (size_t column_idx = 0; column_idx < header.size(); ++column_idx) {
    column_index[std::string(StripWhitespace(header[column_idx]))] = column_idx;
  }
  auto find_column = [&](const std::string& name, int* index) -> absl::Status {
    *index = -1;
    if (name.empty()) return absl::OkStatus();
    auto it = column_index.find(name);
    if (it == column_index.end()) {
      return absl::InvalidArgumentError(
          StrCat(path, ": the mapping names column '", name, "', which the header does not have"));
    }
    *index = static_cast<int>(it->second);
    return absl::OkStatus();
  };
  int user_col, anon_col, event_col, time_col, id_col;
  AIDMP_RETURN_IF_ERROR(find_column(mapping.user_id, &user_col));
  AIDMP_RETURN_IF_ERROR(find_column(mapping.anonymous_id, &anon_col));
  AIDMP_RETURN_IF_ERROR(find_column(mapping.event, &event_col));
  AIDMP_RETURN_IF_ERROR(find_column(mapping.timestamp, &time_col));
  AIDMP_RETURN_IF_ERROR(find_column(mapping.message_id, &id_col));
  if (user_col < 0 && anon_col < 0) {
    return absl::InvalidArgumentError("the CSV mapping needs user_id or anonymous_id");
  }
  if (event_col < 0 && mapping.event_constant.empty()) {
    return absl::InvalidArgumentError("the CSV mapping needs event=<column> or event_name=<name>");
  }
  std::vector<std::pair<std::string, int>> property_cols;
  std::vector<bool> used(header.size(), false);
  for (int col : {user_col, anon_col, event_col, time_col, id_col}) {
    if (col >= 0) used[col] = true;
  }
  for (const auto& [property, column] : mapping.properties) {
    int col;
    AIDMP_RETURN_IF_ERROR(find_column(column, &col));
    property_cols.emplace_back(property, col);
    used[col] = true;
  }
  if (mapping.unmapped_as_properties) {
    for (size_t column_idx = 0; column_idx < header.size(); ++column_idx) {
      if (!used[column_idx]) {
        property_cols.emplace_back(std::string(StripWhitespace(header[column_idx])),
                                   static_cast<int>(column_idx));
      }
    }
  }
  std::string source_file = fs::path(path).filename().string();
  std::vector<std::string> fields;
  while (reader.Next(&line)) {
    if (line.empty()) continue;
    ++report->rows_read;
    uint64_t line_no = reader.line_no();
    if (!SplitCsvLine(line, mapping.delimiter, &fields)) {
      AIDMP_RETURN_IF_ERROR(batcher->AddInvalid(clean::Reason::kImportRowInvalid,
                                                StrCat("line ", line_no, ": unbalanced quotes"),
                                                line, line_no));
      continue;
    }
    if (fields.size() != header.size()) {
      AIDMP_RETURN_IF_ERROR(batcher->AddInvalid(
          clean::Reason::kImportRowInvalid,
          StrCat("line ", line_no, ": ", fields.size(), " fields; the header has ", header.size()),
          line, line_no));
      continue;
    }
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("type").String("track");
    if (user_col >= 0 && !fields[user_col].empty()) writer.Key("userId").String(fields[user_col]);
    if (anon_col >= 0 && !fields[anon_col].empty()) writer.Key("anonymousId").String(fields[anon_col]);
    writer.Key("event").String(event_col >= 0 ? fields[event_col] : mapping.event_constant);
    if (time_col >= 0) {
      auto ts = ParseFlexibleTime(fields[time_col]);
      if (!ts.ok()) {
        AIDMP_RETURN_IF_ERROR(batcher->AddInvalid(
            clean::Reason::kInvalidTimestamp,
            StrCat("line ", line_no, ": column '", mapping.timestamp, "': ", ts.status().message()),
            line, line_no));
        continue;
      }
      writer.Key("timestamp").String(FormatIso8601Micros(*ts));
    }
    writer.Key("messageId").String(id_col >= 0 ? fields[id_col]
                                               : StrCat("csv-", source_file, "-", line_no, "-",
                                                              Hash64(line)));
    writer.Key("properties").BeginObject();
    for (const auto& [property, col] : property_cols) {
      writer.Key(property);
      WriteScalarProperty(&writer, fields[col]);
    }
    writer.EndObject();
    writer.EndObject();
    AIDMP_RETURN_IF_ERROR(batcher->AddJson(writer.str(), "", line_no));
  }
  return absl::OkStatus();
}

absl::Status ImportTaobao(const std::string& path, const ImportOptions& options, Batcher* batcher,
                          ImportReport* report) {
  LineReader reader(path, options, report);
  if (!reader.ok()) return absl::NotFoundError(StrCat("cannot open ", path));
  static const std::map<std::string, std::string, std::less<>> kEventNames = {
      {"pv", "Product Viewed"},
      {"cart", "Product Added"},
      {"fav", "Product Added to Wishlist"},
      {"buy", "Order Completed"}};
  std::string line;
  while (reader.Next(&line)) {
    if (line.empty()) continue;
    ++report->rows_read;
    uint64_t line_no = reader.line_no();
    std::vector<std::string_view> fields = Split(line, ',');
    int64_t seconds = 0;
    auto name = fields.size() == 5 ? kEventNames.find(fields[3]) : kEventNames.end();
    if (fields.size() != 5 || name == kEventNames.end() || !ParseEpochSeconds(fields[4], &seconds)) {
      AIDMP_RETURN_IF_ERROR(batcher->AddInvalid(
          clean::Reason::kImportRowInvalid,
          StrCat("line ", line_no, ": expected user,item,category,pv|cart|fav|buy,unix seconds"),
          line, line_no));
      continue;
    }
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("type").String("track");
    writer.Key("userId").String(fields[0]);
    writer.Key("event").String(name->second);
    writer.Key("timestamp").String(FormatIso8601Micros(seconds * kMicrosPerSecond));
    writer.Key("messageId").String(StrCat("taobao-", fields[0], "-", fields[1], "-", fields[3], "-", fields[4]));
    writer.Key("properties").BeginObject();
    writer.Key("product_id").String(fields[1]);
    writer.Key("category").String(fields[2]);
    writer.Key("behavior").String(fields[3]);
    writer.EndObject();
    writer.EndObject();
    AIDMP_RETURN_IF_ERROR(batcher->AddJson(writer.str(), "", line_no));
  }
  return absl::OkStatus();
}

absl::Status ImportMovieLens100k(const std::string& path, const ImportOptions& options,
                                 Batcher* batcher, ImportReport* report) {
  fs::path dir = fs::is_directory(path) ? fs::path(path) : fs::path(path).parent_path();
  for (const char* name : {"u.data", "u.item", "u.user", "u.genre"}) {
    if (!fs::exists(dir / name)) {
      return absl::NotFoundError(StrCat(dir.string(), " has no ", name,
                                              ": expected a MovieLens 100k directory"));
    }
  }
  // Genres by index, movies by id.
  std::vector<std::string> genres;
  {
    std::ifstream file(dir / "u.genre");
    std::string line;
    while (std::getline(file, line)) {
      std::vector<std::string_view> parts = Split(line, '|');
      if (parts.size() == 2 && !parts[0].empty()) genres.emplace_back(parts[0]);
    }
  }
  struct Movie {
    std::string title;
    std::vector<std::string> genres;
  };
  std::unordered_map<std::string, Movie> movies;
  {
    std::ifstream file(dir / "u.item", std::ios::binary);
    std::string line;
    while (std::getline(file, line)) {
      std::vector<std::string_view> parts = Split(line, '|');
      if (parts.size() < 5 + genres.size()) continue;
      Movie movie;
      movie.title = Latin1ToUtf8(parts[1]);
      for (size_t genre_idx = 0; genre_idx < genres.size(); ++genre_idx) {
        if (parts[5 + genre_idx] == "1") movie.genres.push_back(genres[genre_idx]);
      }
      movies[std::string(parts[0])] = std::move(movie);
    }
  }
  // Each user is identified at their first rating, with their demographics as traits.
  std::unordered_map<std::string, int64_t> first_seen;
  {
    std::ifstream file(dir / "u.data");
    std::string line;
    while (std::getline(file, line)) {
      std::vector<std::string_view> parts = Split(line, '\t');
      int64_t ts;
      if (parts.size() != 4 || !ParseEpochSeconds(parts[3], &ts)) continue;
      auto [it, inserted] = first_seen.emplace(std::string(parts[0]), ts);
      if (!inserted && ts < it->second) it->second = ts;
    }
  }
  {
    std::ifstream file(dir / "u.user");
    std::string line;
    uint64_t line_no = 0;
    while (std::getline(file, line)) {
      ++line_no;
      ++report->rows_read;
      std::vector<std::string_view> parts = Split(line, '|');
      int age;
      if (parts.size() != 5 || !ParseNumber(parts[1], &age)) {
        AIDMP_RETURN_IF_ERROR(batcher->AddInvalid(clean::Reason::kImportRowInvalid,
                                                  StrCat("u.user line ", line_no, ": expected id|age|gender|occupation|zip"),
                                                  line, line_no));
        continue;
      }
      auto seen = first_seen.find(std::string(parts[0]));
      JsonWriter writer;
      writer.BeginObject();
      writer.Key("type").String("identify");
      writer.Key("userId").String(parts[0]);
      writer.Key("messageId").String(StrCat("ml100k-user-", parts[0]));
      if (seen != first_seen.end()) {
        writer.Key("timestamp").String(FormatIso8601Micros(seen->second * kMicrosPerSecond));
      }
      writer.Key("traits").BeginObject();
      writer.Key("age").Int(age);
      writer.Key("gender").String(parts[2]);
      writer.Key("occupation").String(parts[3]);
      writer.Key("zip").String(parts[4]);
      writer.EndObject();
      writer.EndObject();
      AIDMP_RETURN_IF_ERROR(batcher->AddJson(writer.str(), "", line_no));
    }
  }
  LineReader reader((dir / "u.data").string(), options, report);
  std::string line;
  while (reader.Next(&line)) {
    ++report->rows_read;
    uint64_t line_no = reader.line_no();
    std::vector<std::string_view> parts = Split(line, '\t');
    int64_t ts;
    int rating;
    auto movie = parts.size() == 4 ? movies.find(std::string(parts[1])) : movies.end();
    if (parts.size() != 4 || !ParseNumber(parts[2], &rating) || !ParseEpochSeconds(parts[3], &ts) ||
        movie == movies.end()) {
      AIDMP_RETURN_IF_ERROR(batcher->AddInvalid(
          clean::Reason::kImportRowInvalid,
          StrCat("u.data line ", line_no, ": expected user, known item, rating, unix time"), line,
          line_no));
      continue;
    }
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("type").String("track");
    writer.Key("userId").String(parts[0]);
    writer.Key("event").String("Movie Rated");
    writer.Key("messageId").String(StrCat("ml100k-rating-", parts[0], "-", parts[1]));
    writer.Key("timestamp").String(FormatIso8601Micros(ts * kMicrosPerSecond));
    writer.Key("properties").BeginObject();
    writer.Key("item_id").String(parts[1]);
    writer.Key("title").String(movie->second.title);
    writer.Key("rating").Int(rating);
    writer.Key("genres").BeginArray();
    for (const auto& genre : movie->second.genres) writer.String(genre);
    writer.EndArray();
    if (!movie->second.genres.empty()) writer.Key("category").String(movie->second.genres.front());
    writer.EndObject();
    writer.EndObject();
    AIDMP_RETURN_IF_ERROR(batcher->AddJson(writer.str(), "", line_no));
  }
  return absl::OkStatus();
}

}  // namespace

bool SplitCsvLine(std::string_view line, char delimiter, std::vector<std::string>* fields) {
  fields->clear();
  std::string field;
  bool in_quotes = false;
  for (size_t pos = 0; pos < line.size(); ++pos) {
    char c = line[pos];
    if (in_quotes) {
      if (c == '"') {
        if (pos + 1 < line.size() && line[pos + 1] == '"') {
          field.push_back('"');
          ++pos;
        } else {
          in_quotes = false;
        }
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && field.empty()) {
      in_quotes = true;
    } else if (c == delimiter) {
      fields->push_back(std::move(field));
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  fields->push_back(std::move(field));
  return !in_quotes;
}

absl::StatusOr<CsvMapping> ParseCsvMapping(std::string_view spec) {
  CsvMapping mapping;
  for (std::string_view part : Split(spec, ',', /*skip_empty=*/true)) {
    if (StripWhitespace(part).empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == part.size()) {
      return absl::InvalidArgumentError(
          StrCat("column mapping '", part, "' must look like field=column"));
    }
    std::string field(StripWhitespace(part.substr(0, eq)));
    std::string column(StripWhitespace(part.substr(eq + 1)));
    if (field.empty() || column.empty()) {
      return absl::InvalidArgumentError(
          StrCat("column mapping '", part, "' must look like field=column"));
    }
    if (field == "user_id") {
      mapping.user_id = column;
    } else if (field == "anonymous_id") {
      mapping.anonymous_id = column;
    } else if (field == "event") {
      mapping.event = column;
    } else if (field == "event_name") {
      mapping.event_constant = column;
    } else if (field == "timestamp") {
      mapping.timestamp = column;
    } else if (field == "message_id") {
      mapping.message_id = column;
    } else if (field == "delimiter") {
      mapping.delimiter = column == "tab" ? '\t' : column[0];
    } else {
      mapping.properties[field] = column;
    }
  }
  return mapping;
}

absl::StatusOr<ImportFormat> ParseImportFormat(std::string_view name) {
  if (name == "jsonl") return ImportFormat::kJsonl;
  if (name == "csv") return ImportFormat::kCsv;
  if (name == "movielens-100k") return ImportFormat::kMovieLens100k;
  if (name == "taobao") return ImportFormat::kTaobao;
  return absl::InvalidArgumentError(StrCat(
      "unknown import format '", name, "'; expected jsonl, csv, movielens-100k or taobao"));
}

absl::StatusOr<ImportReport> ImportFile(Engine* engine, const std::string& path,
                                        const ImportOptions& options) {
  if (!fs::exists(path)) return absl::NotFoundError(StrCat("no such file or directory: ", path));
  auto started = std::chrono::steady_clock::now();
  ImportReport report;
  std::string source = StrCat("import:", fs::path(path).filename().string());
  Batcher batcher(engine, source, options.chunk_events, &report);
  absl::Status status;
  switch (options.format) {
    case ImportFormat::kJsonl: status = ImportJsonl(path, options, &batcher, &report); break;
    case ImportFormat::kCsv: status = ImportCsv(path, options, &batcher, &report); break;
    case ImportFormat::kMovieLens100k: status = ImportMovieLens100k(path, options, &batcher, &report); break;
    case ImportFormat::kTaobao: status = ImportTaobao(path, options, &batcher, &report); break;
  }
  if (status.ok()) status = batcher.Flush();
  if (!status.ok()) return status;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace aidmp::collect
