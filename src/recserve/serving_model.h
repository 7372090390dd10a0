// What online recommendation serves from: a trained model reduced to lookups. Training
// (trainer.h) fits any registered recommender and stores, per person, their best unseen
// items; per item, its most similar items (co-occurrence cosine); the catalogue with its
// categories, and popularity. Serving (recommendation_service.h) filters and explains
// these lists and falls back (similar items of what a person did since, their interest
// tags, popularity) without running the model, so that answers take microseconds
// whatever the algorithm.
//
// The file format is versioned binary: "AIDMPREC", format version, the sections in
// order, then a 64-bit hash of everything before it. Version 2 added the ranking and its
// recall to the header; version 1 files still decode (as exactly ranked). Decoding checks every length
// against what is left and every index against the catalogue, so a truncated or
// corrupted file is an InvalidArgument naming the section, never a crash.
// Thread-safety: a ServingModel is immutable after BuildLookups; share it const.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace aidmp::recserve {

struct CatalogueItem {
  std::string id;
  std::string title;                    // "" when unknown
  std::vector<std::string> categories;  // as given (case kept)
  double price = std::numeric_limits<double>::quiet_NaN();  // NaN when unknown
};

struct ScoredItem {
  int32_t item = 0;
  float score = 0;
};

// Offsets into a flat array: row r is [offsets[r], offsets[r + 1]).
template <typename T>
struct Rows {
  std::vector<uint32_t> offsets = {0};
  std::vector<T> values;

  size_t size() const { return offsets.size() - 1; }
  const T* begin(size_t row) const { return values.data() + offsets[row]; }
  const T* end(size_t row) const { return values.data() + offsets[row + 1]; }
  void Add(const std::vector<T>& row) {
    values.insert(values.end(), row.begin(), row.end());
    offsets.push_back(static_cast<uint32_t>(values.size()));
  }
};

struct ServingModel {
  // Set by ModelStore::Save; 0 before.
  uint64_t version = 0;
  std::string algo;        // registry name, e.g. "ease"
  std::string params;      // "lambda=250"
  int64_t trained_at_us = 0;
  int64_t data_until_us = 0;  // latest event time that was trained on
  double train_seconds = 0;
  uint64_t interactions = 0;
  // How `recommended` was ranked: "exact" (every item scored) or "hnsw m=.. ef_construction=..
  // ef=.." (approximate nearest neighbours over the model's factors).
  std::string ranking = "exact";
  // With approximate ranking: mean recall@N of the stored lists against scoring every
  // item (|approximate ∩ exact| / |exact|, N = recommendations per person) over
  // `ann_recall_persons` sampled persons; 1 and 0 persons when exact.
  double ann_recall = 1;
  uint32_t ann_recall_persons = 0;

  std::vector<CatalogueItem> items;
  std::vector<uint32_t> popularity;  // per item: persons who interacted with it
  std::vector<uint64_t> persons;     // user index -> person id
  Rows<int32_t> seen;                // per user: items interacted with, ascending
  Rows<ScoredItem> recommended;      // per user: best unseen items, best first
  Rows<ScoredItem> similar;          // per item: most similar items, best first

  // Derived by BuildLookups (not stored).
  std::vector<int32_t> by_popularity;  // items, most popular first (ties: by id)
  std::unordered_map<uint64_t, int32_t> user_of_person;
  std::unordered_map<std::string, int32_t> item_of_id;

  // Fills the derived lookups; call after building or decoding.
  void BuildLookups();
  // -1 when unknown.
  int32_t FindUser(uint64_t person) const;
  int32_t FindItem(std::string_view id) const;
  int32_t num_items() const { return static_cast<int32_t>(items.size()); }
};

std::string EncodeServingModel(const ServingModel& model);
// Appends the trailing hash the format ends with to `body` (magic and sections): for
// tools and the fuzzer that build model files by hand.
void AppendModelChecksum(std::string* body);
// InvalidArgument naming the section for anything truncated, corrupted or inconsistent.
// The result has its lookups built.
absl::StatusOr<ServingModel> DecodeServingModel(std::string_view data);

}  // namespace aidmp::recserve
