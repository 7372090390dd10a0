// Interaction data for recommenders: who interacted with what, how strongly and when,
// plus the items' features (genres, categories), read from the MovieLens layouts and from
// generic CSV/JSONL files.
//
// Users and items get dense indices 0..n-1 in order of first appearance; the external ids
// are kept beside them so that lists can be shown and served. Loaders never crash on bad
// input: a malformed line is InvalidArgument naming the file and the 1-based line.
// Thread-safety: a Dataset is a plain value; loaders are pure functions of the files.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace aidmp::recommend {

struct Interaction {
  int32_t user = 0;
  int32_t item = 0;
  // The explicit rating, or the event's weight for implicit data (1 unless configured).
  float rating = 1;
  // Seconds since the epoch as given by the file (0 when the file has none).
  int64_t timestamp = 0;
};

struct Dataset {
  std::vector<std::string> user_ids;     // index -> external id
  std::vector<std::string> item_ids;     // index -> external id
  std::vector<std::string> item_titles;  // index -> title (UTF-8), "" when unknown
  std::vector<Interaction> interactions;
  // Item features: feature_names[f] is e.g. "Comedy"; item_features[item] lists the
  // item's feature indices in increasing order. Items without features have none.
  std::vector<std::string> feature_names;
  std::vector<std::vector<int32_t>> item_features;
  // True when `rating` is an explicit rating (a scale such as 1..5), false for events.
  bool explicit_ratings = true;

  int32_t num_users() const { return static_cast<int32_t>(user_ids.size()); }
  int32_t num_items() const { return static_cast<int32_t>(item_ids.size()); }
};

// Assigns dense indices to external ids while a loader reads; keeps the Dataset's id
// vectors, titles and feature lists the same length as the item vector.
class DatasetBuilder {
 public:
  int32_t User(std::string_view external_id);
  int32_t Item(std::string_view external_id);
  // The index of `external_id` if seen, else -1.
  int32_t FindItem(std::string_view external_id) const;
  int32_t Feature(std::string_view name);
  Dataset& dataset() { return dataset_; }
  // Collapses repeated (user, item) pairs into one: the largest rating, the latest
  // timestamp. Event logs repeat pairs; rating files do not.
  void CollapseDuplicates();
  Dataset Take() { return std::move(dataset_); }

 private:
  Dataset dataset_;
  std::unordered_map<std::string, int32_t> users_, items_, features_;
};

// MovieLens 100k: DIR/u.data ("user<TAB>item<TAB>rating<TAB>timestamp") and, if present,
// DIR/u.item ("id|title|date|video date|url|19 genre flags", Latin-1) with genre names
// from DIR/u.genre when present.
absl::StatusOr<Dataset> LoadMovieLens100k(const std::string& dir);

// MovieLens 1M/10M layout: DIR/ratings.dat ("user::item::rating::timestamp") and, if
// present, DIR/movies.dat ("id::title::Genre|Genre", Latin-1). DIR/users.dat is optional
// and not needed for recommendations.
absl::StatusOr<Dataset> LoadMovieLens1m(const std::string& dir);

// MovieLens 20M/25M/latest layout: DIR/ratings.csv ("userId,movieId,rating,timestamp",
// header line) and, if present, DIR/movies.csv ("movieId,title,genres", quoted titles).
absl::StatusOr<Dataset> LoadMovieLens20m(const std::string& dir);

// Column names for generic files. An empty rating column means implicit data: the
// event column's value is looked up in `event_weights` (absent events weigh
// `default_event_weight`; a weight <= 0 drops the row), or every row weighs 1.
struct TableOptions {
  std::string user_column = "user";
  std::string item_column = "item";
  std::string rating_column = "rating";  // "" for implicit data
  std::string event_column = "event";    // used only when rating_column is ""
  std::string timestamp_column = "timestamp";  // optional in the file
  std::map<std::string, float> event_weights;
  float default_event_weight = 1;
  char delimiter = ',';  // CSV only
};

// A CSV file with a header line naming the columns (RFC 4180 quoting, one record per
// line). Timestamps may be epoch seconds or ISO-8601.
absl::StatusOr<Dataset> LoadCsv(const std::string& path, const TableOptions& options);

// A JSON-lines file, one object per line with the columns as members (ids may be strings
// or numbers). Blank lines are skipped.
absl::StatusOr<Dataset> LoadJsonl(const std::string& path, const TableOptions& options);

// Dispatches on `format`: "movielens-100k", "movielens-1m", "movielens-20m" (DIR), "csv",
// "jsonl" (a file, or a directory holding exactly one *.csv / *.jsonl). InvalidArgument
// for an unknown format.
absl::StatusOr<Dataset> LoadDataset(std::string_view format, const std::string& path,
                                    const TableOptions& options);


}  // namespace aidmp::recommend
