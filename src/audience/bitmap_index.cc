#include "audience/bitmap_index.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace aidmp::audience {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// An array element's key: its kind and value, numbers in a text that round-trips.
std::string ElementKey(FieldValue::Kind kind, std::string_view text, double number, bool boolean) {
  switch (kind) {
    case FieldValue::Kind::kString: return "s" + std::string(text);
    case FieldValue::Kind::kNumber: {
      char buffer[40];
      std::snprintf(buffer, sizeof(buffer), "n%.17g", number == 0 ? 0.0 : number);
      return buffer;
    }
    case FieldValue::Kind::kBool: return boolean ? "b1" : "b0";
    case FieldValue::Kind::kNull: return "z";
    default: return "";
  }
}

std::string LiteralKey(const Literal& literal) {
  switch (literal.kind) {
    case Literal::Kind::kString: return ElementKey(FieldValue::Kind::kString, literal.text, 0, false);
    case Literal::Kind::kNumber: return ElementKey(FieldValue::Kind::kNumber, "", literal.number, false);
    case Literal::Kind::kBool: return ElementKey(FieldValue::Kind::kBool, "", 0, literal.boolean);
    case Literal::Kind::kNull: return ElementKey(FieldValue::Kind::kNull, "", 0, false);
    default: return "";
  }
}

Roaring Union(const std::vector<const Roaring*>& inputs) {
  if (inputs.empty()) return Roaring();
  if (inputs.size() == 1) return *inputs[0];
  return Roaring::fastunion(inputs.size(), const_cast<const Roaring**>(inputs.data()));
}

size_t BitmapBytes(const Roaring& bitmap) { return bitmap.getSizeInBytes(false); }

}  // namespace

FieldValue FieldValue::String(std::string text) {
  FieldValue value;
  value.kind = Kind::kString;
  value.text = std::move(text);
  return value;
}

FieldValue FieldValue::Number(double number) {
  FieldValue value;
  value.kind = Kind::kNumber;
  value.number = number;
  return value;
}

FieldValue FieldValue::Bool(bool flag) {
  FieldValue value;
  value.kind = Kind::kBool;
  value.boolean = flag;
  return value;
}

// One field: a bitmap per string, per boolean, per array element, and numeric buckets.
class BitmapIndex::Field {
 public:
  void Set(uint32_t slot, const FieldValue& value) {
    Clear(slot);
    if (value.kind == FieldValue::Kind::kNull) return;
    present_.add(slot);
    switch (value.kind) {
      case FieldValue::Kind::kString: AddString(slot, value.text); break;
      case FieldValue::Kind::kNumber: AddNumber(slot, value.number == 0 ? 0.0 : value.number); break;
      case FieldValue::Kind::kBool: (value.boolean ? true_ : false_).add(slot); break;
      case FieldValue::Kind::kList:
        lists_.add(slot);
        for (const FieldValue& item : value.items) {
          std::string key = ElementKey(item.kind, item.text, item.number, item.boolean);
          if (!key.empty()) elements_[key].add(slot);
        }
        break;
      default: break;
    }
  }

  void Clear(uint32_t slot) {
    if (!present_.contains(slot)) return;
    present_.remove(slot);
    if (slot < string_ids_.size() && string_ids_[slot] != 0) {
      strings_[string_ids_[slot] - 1].second.remove(slot);
      string_ids_[slot] = 0;
    }
    if (numbers_.contains(slot)) RemoveNumber(slot);
    true_.remove(slot);
    false_.remove(slot);
    if (lists_.contains(slot)) {
      lists_.remove(slot);
      for (auto& [key, bitmap] : elements_) bitmap.remove(slot);
    }
  }

  const Roaring& present() const { return present_; }
  const Roaring& numbers() const { return numbers_; }

  Roaring Equal(const Literal& literal, const Roaring& all) const {
    switch (literal.kind) {
      case Literal::Kind::kNull: return all - present_;
      case Literal::Kind::kBool: return literal.boolean ? true_ : false_;
      case Literal::Kind::kNumber: return CompareNumbers(CompareOp::kEq, literal.number);
      case Literal::Kind::kString: {
        auto it = string_index_.find(literal.text);
        return it == string_index_.end() ? Roaring() : strings_[it->second].second;
      }
      default: return Roaring();
    }
  }

  Roaring CompareStrings(CompareOp op, const std::string& text) const {
    std::vector<const Roaring*> inputs;
    for (const auto& [value, id] : string_index_) {
      int cmp = value.compare(text);
      bool holds = op == CompareOp::kLt ? cmp < 0 : op == CompareOp::kLe ? cmp <= 0 : op == CompareOp::kGt ? cmp > 0 : cmp >= 0;
      if (holds) inputs.push_back(&strings_[id].second);
    }
    return Union(inputs);
  }

  Roaring Contains(const Literal& literal) const {
    Roaring result;
    std::string key = LiteralKey(literal);
    if (!key.empty()) {
      auto it = elements_.find(key);
      if (it != elements_.end()) result = it->second;
    }
    if (literal.kind == Literal::Kind::kString) {
      std::vector<const Roaring*> inputs;
      for (const auto& [value, id] : string_index_) {
        if (value.find(literal.text) != std::string::npos) inputs.push_back(&strings_[id].second);
      }
      result |= Union(inputs);
    }
    return result;
  }

  // A bitmap equal to the literal, when one exists (strings and booleans).
  const Roaring* Lookup(const Literal& literal) const {
    static const Roaring kEmpty;
    if (literal.kind == Literal::Kind::kBool) return literal.boolean ? &true_ : &false_;
    if (literal.kind == Literal::Kind::kString) {
      auto it = string_index_.find(literal.text);
      return it == string_index_.end() ? &kEmpty : &strings_[it->second].second;
    }
    return nullptr;
  }

  // CompareNumbers among `within` only: each bucket meets `within` first, so a few
  // candidates left by earlier clauses cost little however many values the field holds.
  Roaring CompareNumbersWithin(CompareOp op, double v, const Roaring& within) const {
    // Each bucket meets every candidate (array intersections are linear in both), so
    // this pays only when the candidates are far fewer than the values per bucket
    // (measured: about 16 times, against unions of bucket groups over bitset containers).
    if (within.cardinality() * std::max<size_t>(buckets_.size(), 1) * 16 >= numbers_.cardinality()) {
      return CompareNumbers(op, v) & within;
    }
    std::vector<Roaring> parts;
    std::vector<uint32_t> hits;
    for (const Bucket& bucket : buckets_) {
      if (bucket.members.isEmpty()) continue;
      const RangeAnswer answer = CompareRange(bucket.min, bucket.max, op, v);
      const bool whole = answer == RangeAnswer::kAll, nothing = answer == RangeAnswer::kNone;
      if (nothing) continue;
      Roaring part = bucket.members & within;
      if (part.isEmpty()) continue;
      if (!whole) {
        // Values are in the bucket's slot order: a member's rank finds its value.
        hits.clear();
        for (uint32_t slot : part) {
          if (audience::CompareNumbers(bucket.values[bucket.members.rank(slot) - 1], op, v)) hits.push_back(slot);
        }
        part = Roaring();
        part.addMany(hits.size(), hits.data());
      }
      parts.push_back(std::move(part));
    }
    std::vector<const Roaring*> inputs;
    for (const Roaring& part : parts) inputs.push_back(&part);
    return Union(inputs);
  }

  // Slots with a numeric value standing in relation `op` to `v` (kEq..kGe; kNe too).
  Roaring CompareNumbers(CompareOp op, double v) const {
    // The buckets partition numbers_: whole ones join the answer, the one or two the
    // bound falls in are filtered value by value, the rest are left out. When the whole
    // ones hold most of the values, taking the rest away from numbers_ unions less.
    std::vector<uint8_t> in_full(buckets_.size(), 0);
    std::vector<uint8_t> in_rest(buckets_.size(), 0);
    std::vector<const Bucket*> partial;
    uint64_t full_values = 0;
    uint64_t rest_values = 0;
    for (size_t k = 0; k < buckets_.size(); ++k) {
      const Bucket& bucket = buckets_[k];
      if (bucket.members.isEmpty()) continue;
      const RangeAnswer answer = CompareRange(bucket.min, bucket.max, op, v);
      const bool whole = answer == RangeAnswer::kAll, nothing = answer == RangeAnswer::kNone;
      const uint64_t size = bucket.members.cardinality();
      if (whole) {
        in_full[k] = 1;
        full_values += size;
      } else {
        in_rest[k] = 1;
        rest_values += size;
        if (!nothing) partial.push_back(&bucket);
      }
    }
    Roaring result = full_values > rest_values ? numbers_ - UnionOf(in_rest) : UnionOf(in_full);
    std::vector<uint32_t> slots;
    std::vector<uint32_t> hits;
    for (const Bucket* bucket : partial) {
      // Outside exact mode values are kept; in it a bucket holds one value and is
      // never partial.
      slots.resize(bucket->members.cardinality());
      bucket->members.toUint32Array(slots.data());
      hits.clear();
      for (size_t member_idx = 0; member_idx < slots.size(); ++member_idx) {
        if (audience::CompareNumbers(bucket->values[member_idx], op, v)) hits.push_back(slots[member_idx]);
      }
      result.addMany(hits.size(), hits.data());
    }
    return result;
  }

  void Optimize() {
    if (!exact_ && !numbers_.isEmpty()) Rebucket();
    for (auto& [text, bitmap] : strings_) bitmap.runOptimize();
    for (auto& [key, bitmap] : elements_) bitmap.runOptimize();
    for (Bucket& bucket : buckets_) bucket.members.runOptimize();
    for (Roaring& group : groups_) group.runOptimize();
    present_.runOptimize();
    numbers_.runOptimize();
    true_.runOptimize();
    false_.runOptimize();
    lists_.runOptimize();
  }

  FieldStats Stats() const {
    FieldStats stats;
    stats.present = present_.cardinality();
    stats.distinct_strings = string_index_.size();
    stats.buckets = buckets_.size();
    stats.exact_buckets = exact_;
    stats.bytes = Bytes();
    return stats;
  }

  size_t Bytes() const {
    size_t bytes = BitmapBytes(present_) + BitmapBytes(numbers_) + BitmapBytes(true_) + BitmapBytes(false_) +
                   BitmapBytes(lists_) + string_ids_.capacity() * sizeof(uint32_t);
    for (const auto& [text, bitmap] : strings_) bytes += text.size() + BitmapBytes(bitmap);
    for (const auto& [key, bitmap] : elements_) bytes += key.size() + BitmapBytes(bitmap);
    for (const Bucket& bucket : buckets_) {
      bytes += sizeof(Bucket) + BitmapBytes(bucket.members) + bucket.values.capacity() * sizeof(double);
    }
    for (const Roaring& group : groups_) bytes += BitmapBytes(group);
    return bytes;
  }

 private:
  // Bucket i holds values in [lo_i, lo_{i+1}); the first also those below its lo.
  // min and max bound the values it holds (they never shrink on removal). Outside
  // exact mode `values` holds the members' values in slot order (a value per holder,
  // not per slot of the universe: most fields are sparse).
  struct Bucket {
    double lo = 0;
    double min = kInf;
    double max = -kInf;
    Roaring members;
    std::vector<double> values;
  };

  void AddString(uint32_t slot, const std::string& text) {
    auto it = string_index_.find(text);
    uint32_t id;
    if (it == string_index_.end()) {
      id = static_cast<uint32_t>(strings_.size());
      strings_.emplace_back(text, Roaring());
      string_index_.emplace(text, id);
    } else {
      id = it->second;
    }
    strings_[id].second.add(slot);
    if (string_ids_.size() <= slot) string_ids_.resize(std::max<size_t>(slot + 1, string_ids_.size() * 2), 0);
    string_ids_[slot] = id + 1;
  }

  size_t Locate(double x) const {
    auto it = std::upper_bound(buckets_.begin(), buckets_.end(), x, [](double v, const Bucket& b) { return v < b.lo; });
    return it == buckets_.begin() ? 0 : static_cast<size_t>(it - buckets_.begin()) - 1;
  }

  void AddNumber(uint32_t slot, double x) {
    numbers_.add(slot);
    if (buckets_.empty()) {
      buckets_.push_back(Bucket{x, x, x, Roaring(), {}});
      buckets_[0].members.add(slot);
      RebuildGroups();
      return;
    }
    size_t k = Locate(x);
    if (exact_) {
      Bucket& bucket = buckets_[k];
      if (bucket.min == x && bucket.max == x) {
        bucket.members.add(slot);
        groups_[k / kGroupBuckets].add(slot);
        return;
      }
      if (buckets_.size() < kMaxBuckets) {
        // In exact mode every bucket holds only its lo, so a new value splits nothing.
        // Buckets after it move to the next group: at most kMaxBuckets rebuilds a field.
        size_t at = x < buckets_[k].lo ? k : k + 1;
        buckets_.insert(buckets_.begin() + static_cast<ptrdiff_t>(at), Bucket{x, x, x, Roaring(), {}});
        buckets_[at].members.add(slot);
        RebuildGroups();
        return;
      }
      MaterializeValues();
    }
    groups_[k / kGroupBuckets].add(slot);
    Bucket& bucket = buckets_[k];
    if (bucket.members.isEmpty() || slot > bucket.members.maximum()) {
      bucket.values.push_back(x);  // loading in slot order
    } else {
      size_t position = bucket.members.rank(slot);  // members up to slot, which is not one
      bucket.values.insert(bucket.values.begin() + static_cast<ptrdiff_t>(position), x);
    }
    bucket.members.add(slot);
    bucket.min = std::min(bucket.min, x);
    bucket.max = std::max(bucket.max, x);
  }

  void RemoveNumber(uint32_t slot) {
    numbers_.remove(slot);
    for (size_t k = 0; k < buckets_.size(); ++k) {
      Bucket& bucket = buckets_[k];
      if (!bucket.members.contains(slot)) continue;
      groups_[k / kGroupBuckets].remove(slot);
      if (!exact_) {
        size_t position = bucket.members.rank(slot) - 1;
        bucket.values.erase(bucket.values.begin() + static_cast<ptrdiff_t>(position));
      }
      bucket.members.remove(slot);
      return;
    }
  }

  // Leaves exact mode: every member's value, from the single value of its bucket.
  void MaterializeValues() {
    exact_ = false;
    for (Bucket& bucket : buckets_) bucket.values.assign(bucket.members.cardinality(), bucket.min);
  }

  // Cuts buckets at quantiles of the current values; one per value when few.
  void Rebucket() {
    std::vector<std::pair<uint32_t, double>> held;  // (slot, value)
    held.reserve(numbers_.cardinality());
    std::vector<double> sorted;
    sorted.reserve(numbers_.cardinality());
    std::vector<uint32_t> slots;
    for (const Bucket& bucket : buckets_) {
      slots.resize(bucket.members.cardinality());
      bucket.members.toUint32Array(slots.data());
      for (size_t member_idx = 0; member_idx < slots.size(); ++member_idx) {
        held.emplace_back(slots[member_idx], bucket.values[member_idx]);
        sorted.push_back(bucket.values[member_idx]);
      }
    }
    std::sort(held.begin(), held.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> distinct = sorted;
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    std::vector<double> cuts;
    if (distinct.size() <= kMaxBuckets) {
      cuts = distinct;
    } else {
      for (size_t b = 0; b < kMaxBuckets; ++b) {
        double cut = sorted[b * sorted.size() / kMaxBuckets];
        if (cuts.empty() || cut > cuts.back()) cuts.push_back(cut);
      }
    }
    const bool one_value_each = distinct.size() <= kMaxBuckets;
    sorted = {};
    distinct = {};
    buckets_.clear();
    for (double cut : cuts) buckets_.push_back(Bucket{cut, kInf, -kInf, Roaring(), {}});
    std::vector<std::vector<uint32_t>> members(buckets_.size());
    for (const auto& [slot, x] : held) {  // in slot order, so each bucket's values are too
      size_t k = Locate(x);
      members[k].push_back(slot);
      buckets_[k].values.push_back(x);
      buckets_[k].min = std::min(buckets_[k].min, x);
      buckets_[k].max = std::max(buckets_[k].max, x);
    }
    held = {};
    for (size_t k = 0; k < buckets_.size(); ++k) {
      buckets_[k].members.addMany(members[k].size(), members[k].data());
      members[k] = {};
      buckets_[k].values.shrink_to_fit();
    }
    if (one_value_each) {
      exact_ = true;
      for (Bucket& bucket : buckets_) bucket.values = {};
    }
    RebuildGroups();
  }

  void RebuildGroups() {
    groups_.assign((buckets_.size() + kGroupBuckets - 1) / kGroupBuckets, Roaring());
    for (size_t group_idx = 0; group_idx < groups_.size(); ++group_idx) {
      std::vector<const Roaring*> inputs;
      for (size_t k = group_idx * kGroupBuckets; k < std::min(buckets_.size(), (group_idx + 1) * kGroupBuckets); ++k) {
        inputs.push_back(&buckets_[k].members);
      }
      groups_[group_idx] = Union(inputs);
    }
  }

  // The union of the buckets marked in `chosen`, taking a group's bitmap where every
  // non-empty bucket of the group is chosen.
  Roaring UnionOf(const std::vector<uint8_t>& chosen) const {
    std::vector<const Roaring*> inputs;
    for (size_t group_idx = 0; group_idx < groups_.size(); ++group_idx) {
      const size_t first = group_idx * kGroupBuckets;
      const size_t end = std::min(buckets_.size(), first + kGroupBuckets);
      bool any = false, every = true;
      for (size_t k = first; k < end; ++k) {
        if (buckets_[k].members.isEmpty()) continue;
        if (chosen[k]) {
          any = true;
        } else {
          every = false;
        }
      }
      if (!any) continue;
      if (every) {
        inputs.push_back(&groups_[group_idx]);
        continue;
      }
      for (size_t k = first; k < end; ++k) {
        if (chosen[k]) inputs.push_back(&buckets_[k].members);
      }
    }
    return Union(inputs);
  }

  Roaring present_;
  // Strings by id (id + 1 per slot in string_ids_, 0: none), and the ids by text.
  std::vector<std::pair<std::string, Roaring>> strings_;
  std::map<std::string, uint32_t, std::less<>> string_index_;
  std::vector<uint32_t> string_ids_;
  Roaring true_, false_;
  Roaring lists_;
  std::map<std::string, Roaring, std::less<>> elements_;
  Roaring numbers_;
  std::vector<Bucket> buckets_;
  // Buckets [g * kGroupBuckets, (g + 1) * kGroupBuckets) together: a range over many
  // buckets unions a few groups and the buckets at its ends.
  static constexpr size_t kGroupBuckets = 8;
  std::vector<Roaring> groups_;
  bool exact_ = true;
};

BitmapIndex::BitmapIndex() = default;
BitmapIndex::~BitmapIndex() = default;
BitmapIndex::BitmapIndex(BitmapIndex&&) noexcept = default;
BitmapIndex& BitmapIndex::operator=(BitmapIndex&&) noexcept = default;

void BitmapIndex::AddSlot(uint32_t slot) { all_.add(slot); }

void BitmapIndex::RemoveSlot(uint32_t slot) {
  all_.remove(slot);
  for (auto& [name, field] : fields_) field->Clear(slot);
}

void BitmapIndex::Set(uint32_t slot, std::string_view field, const FieldValue& value) {
  auto it = fields_.find(field);
  if (it == fields_.end()) {
    if (value.kind == FieldValue::Kind::kNull) return;
    it = fields_.emplace(std::string(field), std::make_unique<Field>()).first;
  }
  it->second->Set(slot, value);
}

void BitmapIndex::Clear(uint32_t slot, std::string_view field) {
  auto it = fields_.find(field);
  if (it != fields_.end()) it->second->Clear(slot);
}

const BitmapIndex::Field* BitmapIndex::Find(std::string_view field) const {
  auto it = fields_.find(field);
  return it == fields_.end() ? nullptr : it->second.get();
}

Roaring BitmapIndex::Equal(std::string_view field, const Literal& literal, const Roaring* within) const {
  const Roaring& scope = within != nullptr ? *within : all_;
  const Field* found = Find(field);
  if (found == nullptr) return literal.kind == Literal::Kind::kNull ? scope : Roaring();
  if (within == nullptr) return found->Equal(literal, all_) & all_;
  if (literal.kind == Literal::Kind::kNull) return *within - found->present();
  if (literal.kind == Literal::Kind::kNumber) return found->CompareNumbersWithin(CompareOp::kEq, literal.number, *within);
  const Roaring* bitmap = found->Lookup(literal);
  return bitmap == nullptr ? Roaring() : *bitmap & *within;
}

Roaring BitmapIndex::Compare(std::string_view field, CompareOp op, const Literal& literal, const Roaring* within) const {
  const Roaring& scope = within != nullptr ? *within : all_;
  if (op == CompareOp::kEq) return Equal(field, literal, within);
  if (op == CompareOp::kNe) return scope - Equal(field, literal, within);
  const Field* found = Find(field);
  if (found == nullptr) return Roaring();
  if (literal.kind == Literal::Kind::kNumber) {
    return within != nullptr ? found->CompareNumbersWithin(op, literal.number, *within)
                             : found->CompareNumbers(op, literal.number) & all_;
  }
  if (literal.kind == Literal::Kind::kString) return found->CompareStrings(op, literal.text) & scope;
  return Roaring();
}

Roaring BitmapIndex::Contains(std::string_view field, const Literal& literal, const Roaring* within) const {
  const Field* found = Find(field);
  return found == nullptr ? Roaring() : found->Contains(literal) & (within != nullptr ? *within : all_);
}

Roaring BitmapIndex::Present(std::string_view field, const Roaring* within) const {
  const Field* found = Find(field);
  return found == nullptr ? Roaring() : found->present() & (within != nullptr ? *within : all_);
}

Roaring BitmapIndex::CompareNumber(std::string_view field, CompareOp op, double value, double missing,
                                   const Roaring* within) const {
  const Roaring& scope = within != nullptr ? *within : all_;
  const Field* found = Find(field);
  Roaring result;
  if (found != nullptr) {
    result = within != nullptr ? found->CompareNumbersWithin(op, value, *within) : found->CompareNumbers(op, value) & all_;
  }
  if (CompareNumbers(missing, op, value)) result |= found == nullptr ? scope : scope - found->numbers();
  return result;
}

void BitmapIndex::Optimize() {
  all_.runOptimize();
  for (auto& [name, field] : fields_) field->Optimize();
}

bool BitmapIndex::Has(std::string_view field) const { return Find(field) != nullptr; }

FieldStats BitmapIndex::Stats(std::string_view field) const {
  const Field* found = Find(field);
  return found == nullptr ? FieldStats{} : found->Stats();
}

std::vector<std::string> BitmapIndex::Fields() const {
  std::vector<std::string> names;
  for (const auto& [name, field] : fields_) names.push_back(name);
  return names;
}

size_t BitmapIndex::MemoryBytes() const {
  size_t bytes = BitmapBytes(all_);
  for (const auto& [name, field] : fields_) bytes += name.size() + field->Bytes();
  return bytes;
}

}  // namespace aidmp::audience
