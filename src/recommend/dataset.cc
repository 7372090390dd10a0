#include "recommend/dataset.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/status.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace aidmp::recommend {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot open ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(StrCat("error reading ", path));
  return buffer.str();
}

// `problem` is any text StrCat takes (also absl's string_view from Status::message()).
template <typename Text>
absl::Status LineError(const std::string& path, int64_t line_no, const Text& problem) {
  return absl::InvalidArgumentError(StrCat(path, " line ", line_no, ": ", problem));
}

// Calls fn(line, line_no) for every line (without "\r\n"); stops at the first error.
template <typename Fn>
absl::Status ForEachLine(std::string_view text, Fn&& fn) {
  int64_t line_no = 0;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    AIDMP_RETURN_IF_ERROR(fn(line, line_no));
    begin = end + 1;
  }
  return absl::OkStatus();
}

std::vector<std::string_view> SplitOn(std::string_view text, std::string_view delimiter) {
  std::vector<std::string_view> pieces;
  size_t begin = 0;
  while (true) {
    size_t at = text.find(delimiter, begin);
    if (at == std::string_view::npos) {
      pieces.push_back(text.substr(begin));
      return pieces;
    }
    pieces.push_back(text.substr(begin, at - begin));
    begin = at + delimiter.size();
  }
}

// One CSV record per line with RFC 4180 quoting ("a ""b""" -> a "b").
absl::StatusOr<std::vector<std::string>> SplitCsvLine(std::string_view line, char delimiter) {
  std::vector<std::string> fields;
  std::string field;
  size_t pos = 0;
  while (true) {
    field.clear();
    if (pos < line.size() && line[pos] == '"') {
      ++pos;
      while (true) {
        if (pos >= line.size()) return absl::InvalidArgumentError("unterminated quoted field");
        if (line[pos] == '"') {
          if (pos + 1 < line.size() && line[pos + 1] == '"') {
            field.push_back('"');
            pos += 2;
            continue;
          }
          ++pos;
          break;
        }
        field.push_back(line[pos++]);
      }
      if (pos < line.size() && line[pos] != delimiter) {
        return absl::InvalidArgumentError("text after a closing quote");
      }
    } else {
      size_t end = line.find(delimiter, pos);
      if (end == std::string_view::npos) end = line.size();
      field.assign(line.substr(pos, end - pos));
      pos = end;
    }
    fields.push_back(field);
    if (pos >= line.size()) return fields;
    ++pos;  // the delimiter
  }
}

absl::StatusOr<float> ParseRating(std::string_view text) {
  double value = 0;
  if (!ParseDouble(StripWhitespace(text), &value) || !std::isfinite(value)) {
    return absl::InvalidArgumentError(StrCat("rating \"", text, "\" is not a number"));
  }
  return static_cast<float>(value);
}

// Epoch seconds (integer or decimal) or ISO-8601; "" is 0.
absl::StatusOr<int64_t> ParseTimestamp(std::string_view text) {
  text = StripWhitespace(text);
  if (text.empty()) return 0;
  int64_t seconds = 0;
  if (ParseInt64(text, &seconds)) return seconds;
  double decimal = 0;
  if (ParseDouble(text, &decimal) && std::isfinite(decimal)) return static_cast<int64_t>(decimal);
  auto micros = ParseIso8601Micros(text);
  if (!micros.ok()) return absl::InvalidArgumentError(StrCat("timestamp \"", text, "\" is neither epoch seconds nor ISO-8601"));
  return *micros / 1'000'000;
}

// Adds "user item rating timestamp" text fields as one interaction.
absl::Status AddRating(DatasetBuilder* builder, std::string_view user, std::string_view item,
                       std::string_view rating, std::string_view timestamp) {
  user = StripWhitespace(user);
  item = StripWhitespace(item);
  if (user.empty()) return absl::InvalidArgumentError("empty user id");
  if (item.empty()) return absl::InvalidArgumentError("empty item id");
  AIDMP_ASSIGN_OR_RETURN(float value, ParseRating(rating));
  AIDMP_ASSIGN_OR_RETURN(int64_t ts, ParseTimestamp(timestamp));
  Interaction interaction;
  interaction.user = builder->User(user);
  interaction.item = builder->Item(item);
  interaction.rating = value;
  interaction.timestamp = ts;
  builder->dataset().interactions.push_back(interaction);
  return absl::OkStatus();
}

absl::Status CheckNotEmpty(const Dataset& dataset, const std::string& path) {
  if (dataset.interactions.empty()) return absl::InvalidArgumentError(StrCat(path, ": no interactions"));
  return absl::OkStatus();
}

// Items listed in a catalogue file but never interacted with are not added: the
// catalogue ranked in evaluation is the set of items in the interactions (as RecBole).
void AttachGenres(DatasetBuilder* builder, std::string_view item_id, std::string_view title,
                  const std::vector<std::string_view>& genres) {
  int32_t item = builder->FindItem(StripWhitespace(item_id));
  if (item < 0) return;
  Dataset& dataset = builder->dataset();
  dataset.item_titles[item] = Latin1ToUtf8(title);
  std::vector<int32_t>& features = dataset.item_features[item];
  features.clear();
  for (std::string_view genre : genres) {
    genre = StripWhitespace(genre);
    if (genre.empty() || genre == "(no genres listed)") continue;
    features.push_back(builder->Feature(genre));
  }
  std::sort(features.begin(), features.end());
  features.erase(std::unique(features.begin(), features.end()), features.end());
}

bool Exists(const std::string& path) {
  std::error_code error;
  return std::filesystem::exists(path, error);
}

}  // namespace

int32_t DatasetBuilder::User(std::string_view external_id) {
  auto [it, inserted] = users_.try_emplace(std::string(external_id), dataset_.num_users());
  if (inserted) dataset_.user_ids.emplace_back(external_id);
  return it->second;
}

int32_t DatasetBuilder::Item(std::string_view external_id) {
  auto [it, inserted] = items_.try_emplace(std::string(external_id), dataset_.num_items());
  if (inserted) {
    dataset_.item_ids.emplace_back(external_id);
    dataset_.item_titles.emplace_back();
    dataset_.item_features.emplace_back();
  }
  return it->second;
}

int32_t DatasetBuilder::FindItem(std::string_view external_id) const {
  auto it = items_.find(std::string(external_id));
  return it == items_.end() ? -1 : it->second;
}

int32_t DatasetBuilder::Feature(std::string_view name) {
  auto [it, inserted] = features_.try_emplace(std::string(name), static_cast<int32_t>(dataset_.feature_names.size()));
  if (inserted) dataset_.feature_names.emplace_back(name);
  return it->second;
}

void DatasetBuilder::CollapseDuplicates() {
  std::vector<Interaction>& rows = dataset_.interactions;
  std::stable_sort(rows.begin(), rows.end(), [](const Interaction& a, const Interaction& b) {
    return a.user != b.user ? a.user < b.user : a.item < b.item;
  });
  size_t out = 0;
  for (size_t row_idx = 0; row_idx < rows.size(); ++row_idx) {
    if (out > 0 && rows[out - 1].user == rows[row_idx].user && rows[out - 1].item == rows[row_idx].item) {
      rows[out - 1].rating = std::max(rows[out - 1].rating, rows[row_idx].rating);
      rows[out - 1].timestamp = std::max(rows[out - 1].timestamp, rows[row_idx].timestamp);
      continue;
    }
    rows[out++] = rows[row_idx];
  }
  rows.resize(out);
}

absl::StatusOr<Dataset> LoadMovieLens100k(const std::string& dir) {
  DatasetBuilder builder;
  std::string data_path = dir + "/u.data";
  AIDMP_ASSIGN_OR_RETURN(std::string data, ReadFile(data_path));
  AIDMP_RETURN_IF_ERROR(ForEachLine(data, [&](std::string_view line, int64_t line_no) -> absl::Status {
    if (StripWhitespace(line).empty()) return absl::OkStatus();
    std::vector<std::string_view> fields = Split(line, '\t');
    if (fields.size() != 4) {
      return LineError(data_path, line_no, StrCat("expected 4 tab-separated fields (user, item, rating, timestamp), got ", fields.size()));
    }
    absl::Status status = AddRating(&builder, fields[0], fields[1], fields[2], fields[3]);
    if (!status.ok()) return LineError(data_path, line_no, status.message());
    return absl::OkStatus();
  }));
  AIDMP_RETURN_IF_ERROR(CheckNotEmpty(builder.dataset(), data_path));

  static const char* kGenres[] = {"unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                                  "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
                                  "Romance", "Sci-Fi", "Thriller", "War", "Western"};
  std::vector<std::string> genre_names(std::begin(kGenres), std::end(kGenres));
  std::string genre_path = dir + "/u.genre";
  if (Exists(genre_path)) {
    AIDMP_ASSIGN_OR_RETURN(std::string genres, ReadFile(genre_path));
    std::vector<std::string> from_file;
    AIDMP_RETURN_IF_ERROR(ForEachLine(genres, [&](std::string_view line, int64_t line_no) -> absl::Status {
      if (StripWhitespace(line).empty()) return absl::OkStatus();
      std::vector<std::string_view> fields = Split(line, '|');
      if (fields.size() != 2) return LineError(genre_path, line_no, "expected \"name|index\"");
      from_file.emplace_back(fields[0]);
      return absl::OkStatus();
    }));
    genre_names = std::move(from_file);
  }
  std::string item_path = dir + "/u.item";
  if (Exists(item_path)) {
    AIDMP_ASSIGN_OR_RETURN(std::string items, ReadFile(item_path));
    AIDMP_RETURN_IF_ERROR(ForEachLine(items, [&](std::string_view line, int64_t line_no) -> absl::Status {
      if (StripWhitespace(line).empty()) return absl::OkStatus();
      std::vector<std::string_view> fields = Split(line, '|');
      if (fields.size() != 5 + genre_names.size()) {
        return LineError(item_path, line_no, StrCat("expected ", 5 + genre_names.size(), " |-separated fields (id, title, dates, url, ",
                                                    genre_names.size(), " genre flags), got ", fields.size()));
      }
      std::vector<std::string_view> genres;
      for (size_t genre_idx = 0; genre_idx < genre_names.size(); ++genre_idx) {
        std::string_view flag = StripWhitespace(fields[5 + genre_idx]);
        if (flag != "0" && flag != "1") {
          return LineError(item_path, line_no, StrCat("genre flag ", genre_idx + 1, " is \"", flag, "\", expected 0 or 1"));
        }
        if (flag == "1") genres.push_back(genre_names[genre_idx]);
      }
      AttachGenres(&builder, fields[0], fields[1], genres);
      return absl::OkStatus();
    }));
  }
  return builder.Take();
}

absl::StatusOr<Dataset> LoadMovieLens1m(const std::string& dir) {
  DatasetBuilder builder;
  std::string ratings_path = dir + "/ratings.dat";
  AIDMP_ASSIGN_OR_RETURN(std::string ratings, ReadFile(ratings_path));
  AIDMP_RETURN_IF_ERROR(ForEachLine(ratings, [&](std::string_view line, int64_t line_no) -> absl::Status {
    if (StripWhitespace(line).empty()) return absl::OkStatus();
    std::vector<std::string_view> fields = SplitOn(line, "::");
    if (fields.size() != 4) {
      return LineError(ratings_path, line_no, StrCat("expected 4 ::-separated fields (user, item, rating, timestamp), got ", fields.size()));
    }
    absl::Status status = AddRating(&builder, fields[0], fields[1], fields[2], fields[3]);
    if (!status.ok()) return LineError(ratings_path, line_no, status.message());
    return absl::OkStatus();
  }));
  AIDMP_RETURN_IF_ERROR(CheckNotEmpty(builder.dataset(), ratings_path));
  std::string movies_path = dir + "/movies.dat";
  if (Exists(movies_path)) {
    AIDMP_ASSIGN_OR_RETURN(std::string movies, ReadFile(movies_path));
    AIDMP_RETURN_IF_ERROR(ForEachLine(movies, [&](std::string_view line, int64_t line_no) -> absl::Status {
      if (StripWhitespace(line).empty()) return absl::OkStatus();
      std::vector<std::string_view> fields = SplitOn(line, "::");
      if (fields.size() != 3) {
        return LineError(movies_path, line_no, StrCat("expected 3 ::-separated fields (id, title, genres), got ", fields.size()));
      }
      AttachGenres(&builder, fields[0], fields[1], Split(fields[2], '|', /*skip_empty=*/true));
      return absl::OkStatus();
    }));
  }
  return builder.Take();
}

namespace {

// Reads a CSV file with a header; calls fn(fields, line_no) per record with the
// fields in the order of `columns` ("" entries give ""); a required column missing from
// the header is an error naming it.
template <typename Fn>
absl::Status ForEachCsvRecord(const std::string& path, char delimiter, const std::vector<std::string>& columns,
                              const std::vector<bool>& required, Fn&& fn) {
  AIDMP_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<int> positions;
  size_t header_fields = 0;
  return ForEachLine(text, [&](std::string_view line, int64_t line_no) -> absl::Status {
    if (line_no == 1 && line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // BOM
    if (StripWhitespace(line).empty()) return absl::OkStatus();
    auto fields = SplitCsvLine(line, delimiter);
    if (!fields.ok()) return LineError(path, line_no, fields.status().message());
    if (positions.empty()) {
      header_fields = fields->size();
      for (size_t column_idx = 0; column_idx < columns.size(); ++column_idx) {
        int position = -1;
        for (size_t field_idx = 0; field_idx < fields->size(); ++field_idx) {
          if (!columns[column_idx].empty() && StripWhitespace((*fields)[field_idx]) == columns[column_idx]) {
            position = static_cast<int>(field_idx);
          }
        }
        if (position < 0 && required[column_idx]) {
          return LineError(path, line_no, StrCat("header has no column \"", columns[column_idx], "\""));
        }
        positions.push_back(position);
      }
      return absl::OkStatus();
    }
    if (fields->size() != header_fields) {
      return LineError(path, line_no, StrCat("expected ", header_fields, " fields as in the header, got ", fields->size()));
    }
    std::vector<std::string_view> selected;
    for (int position : positions) selected.push_back(position < 0 ? std::string_view() : std::string_view((*fields)[position]));
    absl::Status status = fn(selected);
    if (!status.ok()) return LineError(path, line_no, status.message());
    return absl::OkStatus();
  });
}

float EventWeight(const TableOptions& options, std::string_view event) {
  auto it = options.event_weights.find(std::string(event));
  return it == options.event_weights.end() ? options.default_event_weight : it->second;
}

absl::Status AddTableRow(DatasetBuilder* builder, const TableOptions& options, std::string_view user,
                         std::string_view item, std::string_view rating, std::string_view event,
                         std::string_view timestamp) {
  if (!options.rating_column.empty()) return AddRating(builder, user, item, rating, timestamp);
  float weight = EventWeight(options, StripWhitespace(event));
  if (weight <= 0) return absl::OkStatus();
  AIDMP_RETURN_IF_ERROR(AddRating(builder, user, item, "1", timestamp));
  builder->dataset().interactions.back().rating = weight;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Dataset> LoadMovieLens20m(const std::string& dir) {
  DatasetBuilder builder;
  std::string ratings_path = dir + "/ratings.csv";
  AIDMP_RETURN_IF_ERROR(ForEachCsvRecord(ratings_path, ',', {"userId", "movieId", "rating", "timestamp"},
                                         {true, true, true, false}, [&](const std::vector<std::string_view>& fields) {
                                           return AddRating(&builder, fields[0], fields[1], fields[2], fields[3]);
                                         }));
  AIDMP_RETURN_IF_ERROR(CheckNotEmpty(builder.dataset(), ratings_path));
  std::string movies_path = dir + "/movies.csv";
  if (Exists(movies_path)) {
    AIDMP_RETURN_IF_ERROR(ForEachCsvRecord(movies_path, ',', {"movieId", "title", "genres"}, {true, false, false},
                                           [&](const std::vector<std::string_view>& fields) {
                                             // movies.csv is UTF-8 already: attach, then restore the title.
                                             AttachGenres(&builder, fields[0], "", Split(fields[2], '|', true));
                                             int32_t item = builder.FindItem(StripWhitespace(fields[0]));
                                             if (item >= 0) builder.dataset().item_titles[item] = std::string(fields[1]);
                                             return absl::OkStatus();
                                           }));
  }
  return builder.Take();
}

absl::StatusOr<Dataset> LoadCsv(const std::string& path, const TableOptions& options) {
  DatasetBuilder builder;
  bool implicit = options.rating_column.empty();
  std::vector<std::string> columns = {options.user_column, options.item_column,
                                      implicit ? std::string() : options.rating_column,
                                      implicit ? options.event_column : std::string(), options.timestamp_column};
  AIDMP_RETURN_IF_ERROR(ForEachCsvRecord(path, options.delimiter, columns, {true, true, !implicit, false, false},
                                         [&](const std::vector<std::string_view>& fields) {
                                           return AddTableRow(&builder, options, fields[0], fields[1], fields[2],
                                                              fields[3], fields[4]);
                                         }));
  AIDMP_RETURN_IF_ERROR(CheckNotEmpty(builder.dataset(), path));
  builder.dataset().explicit_ratings = !implicit;
  if (implicit) builder.CollapseDuplicates();
  return builder.Take();
}

namespace {

// A member as text: strings as they are, numbers in their shortest form; "" when absent
// or null. Objects, arrays and booleans are errors.
absl::StatusOr<std::string> MemberText(simdjson::dom::object object, const std::string& name) {
  if (name.empty()) return std::string();
  simdjson::dom::element value;
  if (object[name].get(value) != simdjson::SUCCESS) return std::string();
  switch (value.type()) {
    case simdjson::dom::element_type::STRING:
      return std::string(std::string_view(value.get_string().value()));
    case simdjson::dom::element_type::INT64:
      return StrCat(value.get_int64().value());
    case simdjson::dom::element_type::UINT64:
      return StrCat(value.get_uint64().value());
    case simdjson::dom::element_type::DOUBLE:
      return StrCat(value.get_double().value());
    case simdjson::dom::element_type::NULL_VALUE:
      return std::string();
    default:
      return absl::InvalidArgumentError(StrCat("member \"", name, "\" must be a string or a number"));
  }
}

}  // namespace

absl::StatusOr<Dataset> LoadJsonl(const std::string& path, const TableOptions& options) {
  DatasetBuilder builder;
  bool implicit = options.rating_column.empty();
  AIDMP_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  simdjson::dom::parser parser;
  AIDMP_RETURN_IF_ERROR(ForEachLine(text, [&](std::string_view line, int64_t line_no) -> absl::Status {
    if (StripWhitespace(line).empty()) return absl::OkStatus();
    simdjson::dom::element root;
    simdjson::padded_string padded(line);
    if (auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
      return LineError(path, line_no, StrCat("not valid JSON (", simdjson::error_message(error), ")"));
    }
    simdjson::dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) return LineError(path, line_no, "not a JSON object");
    std::string fields[5];
    const std::string* names[5] = {&options.user_column, &options.item_column, &options.rating_column,
                                   &options.event_column, &options.timestamp_column};
    for (int field_idx = 0; field_idx < 5; ++field_idx) {
      if (field_idx == 2 && implicit) continue;
      if (field_idx == 3 && !implicit) continue;
      auto value = MemberText(object, *names[field_idx]);
      if (!value.ok()) return LineError(path, line_no, value.status().message());
      fields[field_idx] = std::move(*value);
    }
    if (fields[0].empty()) return LineError(path, line_no, StrCat("missing \"", options.user_column, "\""));
    if (fields[1].empty()) return LineError(path, line_no, StrCat("missing \"", options.item_column, "\""));
    if (!implicit && fields[2].empty()) return LineError(path, line_no, StrCat("missing \"", options.rating_column, "\""));
    absl::Status status = AddTableRow(&builder, options, fields[0], fields[1], fields[2], fields[3], fields[4]);
    if (!status.ok()) return LineError(path, line_no, status.message());
    return absl::OkStatus();
  }));
  AIDMP_RETURN_IF_ERROR(CheckNotEmpty(builder.dataset(), path));
  builder.dataset().explicit_ratings = !implicit;
  if (implicit) builder.CollapseDuplicates();
  return builder.Take();
}

absl::StatusOr<Dataset> LoadDataset(std::string_view format, const std::string& path, const TableOptions& options) {
  if (format == "movielens-100k") return LoadMovieLens100k(path);
  if (format == "movielens-1m") return LoadMovieLens1m(path);
  if (format == "movielens-20m" || format == "movielens-25m") return LoadMovieLens20m(path);
  if (format != "csv" && format != "jsonl") {
    return absl::InvalidArgumentError(StrCat("unknown dataset format \"", format,
                                             "\" (movielens-100k, movielens-1m, movielens-20m, csv, jsonl)"));
  }
  std::string file = path;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    std::string extension = StrCat(".", format);
    std::vector<std::string> matches;
    for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
      if (entry.path().extension() == extension) matches.push_back(entry.path().string());
    }
    if (matches.size() != 1) {
      return absl::InvalidArgumentError(StrCat(path, " holds ", matches.size(), " *", extension, " files; pass one file"));
    }
    file = matches[0];
  }
  return format == "csv" ? LoadCsv(file, options) : LoadJsonl(file, options);
}

}  // namespace aidmp::recommend
