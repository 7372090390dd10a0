#include "recserve/serving_model.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "common/hash.h"
#include "common/strings.h"

namespace aidmp::recserve {
namespace {

constexpr std::string_view kMagic = "AIDMPREC";
// Do not reuse a number: stored on disk. 2 added ranking, ann_recall and
// ann_recall_persons after `interactions`.
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kOldestFormatVersion = 1;
constexpr uint64_t kHashSeed = 0x5eed5e7;

class Writer {
 public:
  void U32(uint32_t value) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>(value >> (8 * i)));
  }
  void U64(uint64_t value) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(value >> (8 * i)));
  }
  void I32(int32_t value) { U32(static_cast<uint32_t>(value)); }
  void F32(float value) { U32(std::bit_cast<uint32_t>(value)); }
  void F64(double value) { U64(std::bit_cast<uint64_t>(value)); }
  void Str(std::string_view value) {
    U32(static_cast<uint32_t>(value.size()));
    out_.append(value);
  }
  void Raw(std::string_view bytes) { out_.append(bytes); }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  void Section(const char* name) { section_ = name; }
  bool failed() const { return failed_; }
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(StrCat("recommender model file: ", what, " in section '", section_, "'"));
  }
  uint32_t U32() {
    if (!Need(4)) return 0;
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    pos_ += 4;
    return value;
  }
  uint64_t U64() {
    if (!Need(8)) return 0;
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return value;
  }
  int32_t I32() { return static_cast<int32_t>(U32()); }
  float F32() { return std::bit_cast<float>(U32()); }
  double F64() { return std::bit_cast<double>(U64()); }
  std::string Str() {
    uint32_t size = U32();
    if (!Need(size)) return {};
    std::string value(data_.substr(pos_, size));
    pos_ += size;
    return value;
  }
  // A count of elements each at least `min_bytes` long: more than the bytes left
  // could hold is corruption (and would otherwise allocate without bound).
  uint32_t Count(size_t min_bytes) {
    uint32_t count = U32();
    if (!failed_ && static_cast<uint64_t>(count) * min_bytes > data_.size() - pos_) failed_ = true;
    return failed_ ? 0 : count;
  }
  size_t pos() const { return pos_; }

 private:
  bool Need(size_t bytes) {
    if (failed_ || data_.size() - pos_ < bytes) {
      failed_ = true;
      return false;
    }
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool failed_ = false;
  const char* section_ = "header";
};

void WriteScored(Writer* out, const Rows<ScoredItem>& rows) {
  out->U32(static_cast<uint32_t>(rows.size()));
  for (size_t r = 0; r < rows.size(); ++r) {
    out->U32(rows.offsets[r + 1] - rows.offsets[r]);
    for (const ScoredItem* it = rows.begin(r); it != rows.end(r); ++it) {
      out->I32(it->item);
      out->F32(it->score);
    }
  }
}

bool ReadScored(Reader* in, int32_t num_items, Rows<ScoredItem>* rows) {
  uint32_t count = in->Count(4);
  std::vector<ScoredItem> row;
  for (uint32_t r = 0; r < count && !in->failed(); ++r) {
    uint32_t size = in->Count(8);
    row.resize(size);
    for (auto& entry : row) {
      entry.item = in->I32();
      entry.score = in->F32();
      if (entry.item < 0 || entry.item >= num_items) return false;
    }
    rows->Add(row);
  }
  return !in->failed();
}

}  // namespace

void ServingModel::BuildLookups() {
  by_popularity.resize(items.size());
  for (size_t i = 0; i < items.size(); ++i) by_popularity[i] = static_cast<int32_t>(i);
  std::stable_sort(by_popularity.begin(), by_popularity.end(), [this](int32_t a, int32_t b) {
    uint32_t pa = a < static_cast<int32_t>(popularity.size()) ? popularity[a] : 0;
    uint32_t pb = b < static_cast<int32_t>(popularity.size()) ? popularity[b] : 0;
    return pa != pb ? pa > pb : items[a].id < items[b].id;
  });
  user_of_person.clear();
  user_of_person.reserve(persons.size());
  for (size_t u = 0; u < persons.size(); ++u) user_of_person.emplace(persons[u], static_cast<int32_t>(u));
  item_of_id.clear();
  item_of_id.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) item_of_id.emplace(items[i].id, static_cast<int32_t>(i));
}

int32_t ServingModel::FindUser(uint64_t person) const {
  auto it = user_of_person.find(person);
  return it == user_of_person.end() ? -1 : it->second;
}

int32_t ServingModel::FindItem(std::string_view id) const {
  auto it = item_of_id.find(std::string(id));
  return it == item_of_id.end() ? -1 : it->second;
}

std::string EncodeServingModel(const ServingModel& model) {
  Writer out;
  out.Raw(kMagic);
  out.U32(kFormatVersion);
  out.U64(model.version);
  out.Str(model.algo);
  out.Str(model.params);
  out.U64(static_cast<uint64_t>(model.trained_at_us));
  out.U64(static_cast<uint64_t>(model.data_until_us));
  out.F64(model.train_seconds);
  out.U64(model.interactions);
  out.Str(model.ranking);
  out.F64(model.ann_recall);
  out.U32(model.ann_recall_persons);

  out.U32(static_cast<uint32_t>(model.items.size()));
  for (size_t i = 0; i < model.items.size(); ++i) {
    const CatalogueItem& item = model.items[i];
    out.Str(item.id);
    out.Str(item.title);
    out.U32(static_cast<uint32_t>(item.categories.size()));
    for (const auto& category : item.categories) out.Str(category);
    out.F64(item.price);
    out.U32(i < model.popularity.size() ? model.popularity[i] : 0);
  }

  out.U32(static_cast<uint32_t>(model.persons.size()));
  for (size_t u = 0; u < model.persons.size(); ++u) {
    out.U64(model.persons[u]);
    uint32_t size = u < model.seen.size() ? model.seen.offsets[u + 1] - model.seen.offsets[u] : 0;
    out.U32(size);
    for (uint32_t k = 0; k < size; ++k) out.I32(model.seen.values[model.seen.offsets[u] + k]);
  }
  WriteScored(&out, model.recommended);
  WriteScored(&out, model.similar);
  AppendModelChecksum(&out.out());
  return std::move(out.out());
}

void AppendModelChecksum(std::string* body) {
  uint64_t hash = Hash64(*body, kHashSeed);
  for (int i = 0; i < 8; ++i) body->push_back(static_cast<char>(hash >> (8 * i)));
}

absl::StatusOr<ServingModel> DecodeServingModel(std::string_view data) {
  if (data.size() < kMagic.size() + 4 + 8 || data.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError("recommender model file: not an aidmp model (bad magic or too short)");
  }
  std::string_view body = data.substr(0, data.size() - 8);
  Reader trailer(data.substr(data.size() - 8));
  if (trailer.U64() != Hash64(body, kHashSeed)) {
    return absl::InvalidArgumentError("recommender model file: checksum mismatch (truncated or corrupted)");
  }
  Reader in(body.substr(kMagic.size()));
  uint32_t format = in.U32();
  if (format < kOldestFormatVersion || format > kFormatVersion) {
    return absl::InvalidArgumentError(StrCat("recommender model file: format version ", format,
                                             " is not supported (this aidmp reads ", kOldestFormatVersion, " to ",
                                             kFormatVersion, ")"));
  }
  ServingModel model;
  model.version = in.U64();
  model.algo = in.Str();
  model.params = in.Str();
  model.trained_at_us = static_cast<int64_t>(in.U64());
  model.data_until_us = static_cast<int64_t>(in.U64());
  model.train_seconds = in.F64();
  model.interactions = in.U64();
  if (format >= 2) {
    model.ranking = in.Str();
    model.ann_recall = in.F64();
    model.ann_recall_persons = in.U32();
    if (!in.failed() && !(model.ann_recall >= 0 && model.ann_recall <= 1)) return in.Error("recall outside [0, 1]");
  }
  if (in.failed()) return in.Error("truncated");

  in.Section("items");
  uint32_t num_items = in.Count(4 + 4 + 4 + 8 + 4);
  model.items.resize(num_items);
  model.popularity.resize(num_items);
  for (uint32_t i = 0; i < num_items && !in.failed(); ++i) {
    CatalogueItem& item = model.items[i];
    item.id = in.Str();
    item.title = in.Str();
    uint32_t categories = in.Count(4);
    for (uint32_t c = 0; c < categories && !in.failed(); ++c) item.categories.push_back(in.Str());
    item.price = in.F64();
    model.popularity[i] = in.U32();
  }
  if (in.failed()) return in.Error("truncated");

  in.Section("persons");
  uint32_t num_users = in.Count(8 + 4);
  model.persons.resize(num_users);
  std::vector<int32_t> row;
  for (uint32_t u = 0; u < num_users && !in.failed(); ++u) {
    model.persons[u] = in.U64();
    uint32_t size = in.Count(4);
    row.resize(size);
    for (auto& item : row) {
      item = in.I32();
      if (item < 0 || item >= static_cast<int32_t>(num_items)) return in.Error("item index out of range");
    }
    model.seen.Add(row);
  }
  if (in.failed()) return in.Error("truncated");

  in.Section("recommended");
  if (!ReadScored(&in, static_cast<int32_t>(num_items), &model.recommended)) return in.Error("truncated or bad item index");
  if (model.recommended.size() != num_users) return in.Error("row count differs from persons");
  in.Section("similar");
  if (!ReadScored(&in, static_cast<int32_t>(num_items), &model.similar)) return in.Error("truncated or bad item index");
  if (model.similar.size() != num_items) return in.Error("row count differs from items");
  if (in.pos() != body.size() - kMagic.size()) return in.Error("trailing bytes");
  model.BuildLookups();
  return model;
}

}  // namespace aidmp::recserve
