// Fuzzes what the recommender reads from outside (recserve/): model files
// (DecodeServingModel) and catalogue entries (ParseItemJson, as imports read each line).
//
// Input: one byte choosing the parser (even: model file; odd: JSONL catalogue lines), then the data. For model files the
// data follows the magic and gets a valid checksum appended, so the fuzzer explores the
// sections rather than the hash.
//
// Invariants: nothing crashes or allocates without bound; a model that decodes encodes
// to bytes that decode to the same encoding, with every stored index inside the
// catalogue; an item that parses writes JSON that parses back to the same item.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/strings.h"
#include "fuzz_check.h"
#include "recserve/item_catalogue.h"
#include "recserve/serving_model.h"

namespace {

using aidmp::recserve::CatalogueItem;

bool SameItem(const CatalogueItem& a, const CatalogueItem& b) {
  bool same_price = (std::isnan(a.price) && std::isnan(b.price)) || a.price == b.price;
  return a.id == b.id && a.title == b.title && a.categories == b.categories && same_price;
}

void CheckModel(std::string_view data) {
  std::string file = "AIDMPREC";
  file.append(data);
  aidmp::recserve::AppendModelChecksum(&file);
  auto model = aidmp::recserve::DecodeServingModel(file);
  if (!model.ok()) return;
  for (int32_t item : model->seen.values) AIDMP_FUZZ_CHECK(item >= 0 && item < model->num_items());
  for (const auto& entry : model->recommended.values) AIDMP_FUZZ_CHECK(entry.item >= 0 && entry.item < model->num_items());
  for (const auto& entry : model->similar.values) AIDMP_FUZZ_CHECK(entry.item >= 0 && entry.item < model->num_items());
  std::string encoded = aidmp::recserve::EncodeServingModel(*model);
  auto again = aidmp::recserve::DecodeServingModel(encoded);
  AIDMP_FUZZ_CHECK_MSG(again.ok(), std::string(again.status().message()));
  AIDMP_FUZZ_CHECK(aidmp::recserve::EncodeServingModel(*again) == encoded);
}

void CheckItem(std::string_view data) {
  auto item = aidmp::recserve::ParseItemJson(data);
  if (!item.ok()) return;
  std::string json = aidmp::recserve::ItemJson(*item);
  auto again = aidmp::recserve::ParseItemJson(json);
  AIDMP_FUZZ_CHECK_MSG(again.ok(), aidmp::StrCat(again.status().message(), ": ", json));
  AIDMP_FUZZ_CHECK_MSG(SameItem(*item, *again), json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  if (bytes[0] % 2 == 0) {
    CheckModel(data);
  } else {
    for (std::string_view line : aidmp::Split(data, '\n')) CheckItem(line);  // a JSONL catalogue
  }
  return 0;
}
