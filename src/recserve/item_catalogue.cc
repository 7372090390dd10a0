#include "recserve/item_catalogue.h"

#include <cmath>

#include "collect/importer.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "common/strings.h"
#include "simdjson.h"

namespace aidmp::recserve {
namespace {

constexpr std::string_view kItemPrefix = "item/";
constexpr size_t kMaxErrors = 100;

std::string ItemKey(std::string_view id) { return StrCat(kItemPrefix, id); }

absl::Status CheckId(std::string_view id) {
  if (StripWhitespace(id).empty()) return absl::InvalidArgumentError("the item has no id");
  if (id.size() > kMaxItemIdBytes) {
    return absl::InvalidArgumentError(StrCat("the item id is ", id.size(), " bytes; at most ", kMaxItemIdBytes));
  }
  if (!IsValidUtf8(id)) return absl::InvalidArgumentError("the item id is not valid UTF-8");
  return absl::OkStatus();
}

void Report(CatalogueImportReport* report, uint64_t line, const absl::Status& status) {
  ++report->rejected;
  if (report->errors.size() < kMaxErrors) report->errors.push_back(StrCat("line ", line, ": ", status.message()));
}

absl::StatusOr<std::vector<CatalogueItem>> ParseCsv(std::string_view text, CatalogueImportReport* report) {
  std::vector<CatalogueItem> items;
  std::vector<std::string> fields;
  int id_col = -1, title_col = -1, categories_col = -1, category_col = -1, price_col = -1;
  bool header = true;
  uint64_t line_no = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (StripWhitespace(line).empty()) continue;
    if (!collect::SplitCsvLine(line, ',', &fields)) {
      if (header) return absl::InvalidArgumentError("catalogue CSV line 1: a quote is left open");
      ++report->rows;
      Report(report, line_no, absl::InvalidArgumentError("a quote is left open"));
      continue;
    }
    if (header) {
      header = false;
      for (size_t c = 0; c < fields.size(); ++c) {
        std::string name = AsciiToLower(StripWhitespace(fields[c]));
        int col = static_cast<int>(c);
        if (name == "id" || name == "item_id" || name == "product_id") id_col = col;
        else if (name == "title" || name == "name") title_col = col;
        else if (name == "categories" || name == "genres") categories_col = col;
        else if (name == "category") category_col = col;
        else if (name == "price") price_col = col;
      }
      if (id_col < 0) return absl::InvalidArgumentError("catalogue CSV: the header has no id column (id, item_id or product_id)");
      continue;
    }
    ++report->rows;
    auto field = [&](int col) -> std::string_view {
      return col >= 0 && col < static_cast<int>(fields.size()) ? std::string_view(fields[col]) : std::string_view();
    };
    CatalogueItem item;
    item.id = std::string(StripWhitespace(field(id_col)));
    item.title = std::string(field(title_col));
    for (std::string_view category : Split(field(categories_col), '|', true)) {
      category = StripWhitespace(category);
      if (!category.empty()) item.categories.emplace_back(category);
    }
    if (std::string_view category = StripWhitespace(field(category_col)); !category.empty()) item.categories.emplace_back(category);
    if (std::string_view price = StripWhitespace(field(price_col)); !price.empty()) {
      if (!ParseDouble(price, &item.price) || !std::isfinite(item.price)) {
        Report(report, line_no, absl::InvalidArgumentError(StrCat("price '", price, "' is not a number")));
        continue;
      }
    }
    if (absl::Status status = CheckId(item.id); !status.ok()) {
      Report(report, line_no, status);
      continue;
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace

absl::StatusOr<CatalogueItem> ParseItemJson(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    return absl::InvalidArgumentError(StrCat("malformed JSON: ", simdjson::error_message(error)));
  }
  if (!root.is_object()) return absl::InvalidArgumentError("an item must be a JSON object");
  CatalogueItem item;
  for (const char* key : {"id", "item_id", "product_id"}) {
    simdjson::dom::element id;
    if (root[key].get(id) != simdjson::SUCCESS) continue;
    if (id.is_string()) item.id = std::string(StripWhitespace(std::string_view(id.get_string().value())));
    else if (id.is_int64()) item.id = std::to_string(id.get_int64().value());
    else if (id.is_uint64()) item.id = std::to_string(id.get_uint64().value());
    else return absl::InvalidArgumentError(StrCat("\"", key, "\" must be a string or an integer"));
    break;
  }
  AIDMP_RETURN_IF_ERROR(CheckId(item.id));
  for (const char* key : {"title", "name"}) {
    std::string_view title;
    if (root[key].get(title) == simdjson::SUCCESS) {
      item.title = std::string(title);
      break;
    }
  }
  simdjson::dom::element categories;
  for (const char* key : {"categories", "genres", "category"}) {
    if (root[key].get(categories) != simdjson::SUCCESS) continue;
    if (categories.is_string()) {
      item.categories.emplace_back(categories.get_string().value());
    } else if (simdjson::dom::array array; categories.get_array().get(array) == simdjson::SUCCESS) {
      for (simdjson::dom::element value : array) {
        if (!value.is_string()) return absl::InvalidArgumentError(StrCat("\"", key, "\" must hold strings"));
        item.categories.emplace_back(value.get_string().value());
      }
    } else if (!categories.is_null()) {
      return absl::InvalidArgumentError(StrCat("\"", key, "\" must be a string or an array of strings"));
    }
  }
  simdjson::dom::element price;
  if (root["price"].get(price) == simdjson::SUCCESS && !price.is_null()) {
    double value = 0;
    if (price.get_double().get(value) != simdjson::SUCCESS || !std::isfinite(value)) {
      return absl::InvalidArgumentError("\"price\" must be a number");
    }
    item.price = value;
  }
  return item;
}

absl::Status PutItems(storage::Store* store, const std::vector<CatalogueItem>& items) {
  storage::WriteBatch batch(store);
  for (const CatalogueItem& item : items) {
    AIDMP_RETURN_IF_ERROR(CheckId(item.id));
    batch.Put(storage::Family::kMeta, ItemKey(item.id), ItemJson(item));
  }
  return store->Write(&batch, /*sync=*/false);
}

absl::StatusOr<CatalogueImportReport> ImportItems(storage::Store* store, std::string_view format,
                                                  std::string_view text) {
  CatalogueImportReport report;
  std::vector<CatalogueItem> items;
  if (format == "csv") {
    AIDMP_ASSIGN_OR_RETURN(items, ParseCsv(text, &report));
  } else if (format == "jsonl") {
    uint64_t line_no = 0;
    for (std::string_view line : Split(text, '\n')) {
      ++line_no;
      if (StripWhitespace(line).empty()) continue;
      ++report.rows;
      auto item = ParseItemJson(line);
      if (!item.ok()) {
        Report(&report, line_no, item.status());
        continue;
      }
      items.push_back(*std::move(item));
    }
  } else {
    return absl::InvalidArgumentError(StrCat("unknown catalogue format '", format, "' (jsonl or csv)"));
  }
  constexpr size_t kChunk = 10000;
  for (size_t begin = 0; begin < items.size(); begin += kChunk) {
    std::vector<CatalogueItem> chunk(items.begin() + begin, items.begin() + std::min(items.size(), begin + kChunk));
    AIDMP_RETURN_IF_ERROR(PutItems(store, chunk));
    report.stored += chunk.size();
  }
  return report;
}

absl::StatusOr<CatalogueItem> GetItem(storage::Store* store, std::string_view id) {
  std::string value;
  AIDMP_RETURN_IF_ERROR(store->Get(storage::Family::kMeta, ItemKey(id), &value));
  return ParseItemJson(value);
}

absl::Status ForEachItem(storage::Store* store, const std::function<void(CatalogueItem)>& fn) {
  auto it = store->NewIterator(storage::Family::kMeta);
  for (it->Seek(kItemPrefix); it->Valid() && it->key().substr(0, kItemPrefix.size()) == kItemPrefix; it->Next()) {
    AIDMP_ASSIGN_OR_RETURN(CatalogueItem item, ParseItemJson(it->value()));
    fn(std::move(item));
  }
  return it->status();
}

std::string ItemJson(const CatalogueItem& item) {
  JsonWriter writer;
  writer.BeginObject().Key("id").String(item.id).Key("title").String(item.title).Key("categories").BeginArray();
  for (const auto& category : item.categories) writer.String(category);
  writer.EndArray();
  if (std::isfinite(item.price)) writer.Key("price").Double(item.price);
  writer.EndObject();
  return writer.Take();
}

}  // namespace aidmp::recserve
