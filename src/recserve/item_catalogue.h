// The item catalogue: what a shop sells or a site shows (id, title, categories, price),
// kept in the data directory (meta "item/<id>", storage/keys.h) so that recommendations
// can show titles, filter by category and recommend items nobody has touched yet by
// their categories. Training also learns items from the events themselves; an imported
// entry wins over what events say.
//
// Import formats: JSON lines ({"id": ..., "title": ..., "categories": [...] or
// "category": "...", "price": ...}; extra members are ignored) and CSV with a header
// naming the columns id, title, categories ('|'-separated) or category, price. A bad row
// is reported with its line and reason and the others are stored.
// Thread-safety: the store is thread-safe; functions hold no state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "recserve/serving_model.h"
#include "storage/store.h"

namespace aidmp::recserve {

constexpr size_t kMaxItemIdBytes = 256;

struct CatalogueImportReport {
  uint64_t rows = 0;
  uint64_t stored = 0;
  // "line 7: the item has no id", at most 100 of them; `rejected` counts all.
  std::vector<std::string> errors;
  uint64_t rejected = 0;
};

// Stores or replaces items. InvalidArgument (storing nothing) if an item has no id or
// an id longer than kMaxItemIdBytes.
absl::Status PutItems(storage::Store* store, const std::vector<CatalogueItem>& items);

// Parses one item from a JSON object's text.
absl::StatusOr<CatalogueItem> ParseItemJson(std::string_view json);

// Imports a JSONL or CSV body ("jsonl" / "csv"); rows that fail are reported.
absl::StatusOr<CatalogueImportReport> ImportItems(storage::Store* store, std::string_view format,
                                                  std::string_view text);

// NotFound if the item is not in the catalogue.
absl::StatusOr<CatalogueItem> GetItem(storage::Store* store, std::string_view id);

// Every catalogue item, in id order.
absl::Status ForEachItem(storage::Store* store, const std::function<void(CatalogueItem)>& fn);

// The item as a JSON object (id, title, categories, price when known).
std::string ItemJson(const CatalogueItem& item);

}  // namespace aidmp::recserve
