#include "audience/bitmap_index.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <tuple>

#include "roaring/containers/containers.h"

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

// The chunks of 65,536 slots a scope covers: all of them for a Roaring, the slice for
// a DenseSet. Work on a bitmap is estimated and done for these chunks only, so that a
// count split into slices costs about what it does unsplit.
struct ChunkSpan {
  uint32_t first = 0;
  uint32_t end = uint32_t{1} << 16;
};
ChunkSpan SpanOf(const Roaring&) { return {}; }
ChunkSpan SpanOf(const DenseSet& scope) { return {scope.first_chunk(), scope.first_chunk() + scope.chunk_count()}; }

// The index of `bitmap`'s first container at or after chunk `first`.
int32_t FirstContainer(const roaring_array_t& containers, uint32_t first) {
  return static_cast<int32_t>(std::lower_bound(containers.keys, containers.keys + containers.size, first) -
                              containers.keys);
}

// About what an operation with `bitmap` costs a DenseSet scope over `span`, in array
// members (each about 1.5 ns): adding or taking it away touches each member of an array
// container and the 1,024 words of any other (about 0.5 ns a word read from memory); a
// whole pass (Meet, Outside) writes every word of each chunk the bitmap has. Finding a
// chunk's container (a binary search of the keys) and the call cost about 16 members
// more: a range of many small buckets (a rare interest's scores) added one by one costs
// that much a bucket and chunk, where one cut costs it once.
constexpr uint64_t kChunkWordsCost = 340;
constexpr uint64_t kContainerCost = 16;
uint64_t OpCost(const Roaring& bitmap, bool whole_chunks, ChunkSpan span) {
  const roaring_array_t& containers = bitmap.roaring.high_low_container;
  uint64_t cost = 0;
  for (int32_t index = FirstContainer(containers, span.first); index < containers.size && containers.keys[index] < span.end;
       ++index) {
    uint8_t type = containers.typecodes[index];
    const void* container = container_unwrap_shared(containers.containers[index], &type);
    cost += kContainerCost;
    if (type == ARRAY_CONTAINER_TYPE_CODE) {
      cost += static_cast<uint64_t>(static_cast<const array_container_t*>(container)->cardinality) +
              (whole_chunks ? kChunkWordsCost : 0);
    } else {
      cost += kChunkWordsCost;
    }
  }
  return cost;
}

// Fills (dense_set.h) of no one, everyone, a bitmap, its complement, and the union of
// several bitmaps or fills. Complements are of every slot, not all(): answers are met
// with candidates, which are in all().
ChunkFill NoOne() {
  return [](uint32_t, ChunkBits& bits) { bits.Clear(); };
}
ChunkFill Everyone() {
  return [](uint32_t, ChunkBits& bits) {
    bits.Clear();
    bits.Flip();
  };
}
ChunkFill OutsideOf(const Roaring* bitmap) {
  return [bitmap](uint32_t key, ChunkBits& bits) {
    bits.Assign(*bitmap, key);
    bits.Flip();
  };
}
// Each chunk's union is gathered in cache, so the candidates are met once, where
// meeting each bitmap on its own would pass over them once per bitmap.
ChunkFill AnyOf(std::vector<const Roaring*> bitmaps) {
  if (bitmaps.empty()) return NoOne();
  return [bitmaps = std::move(bitmaps)](uint32_t key, ChunkBits& bits) {
    bits.Assign(*bitmaps[0], key);
    for (size_t i = 1; i < bitmaps.size(); ++i) bits.Add(*bitmaps[i], key);
  };
}
ChunkFill Either(ChunkFill first, ChunkFill second) {
  return [first = std::move(first), second = std::move(second), other = std::make_shared<ChunkBits>()](
             uint32_t key, ChunkBits& bits) {
    first(key, bits);
    second(key, *other);
    bits.Add(*other);
  };
}

// The values of a bucket's members, in slot order. Stored as 32-bit codes when every
// value is a whole number of 10^-d (d <= 9) and they span less than 2^32 such units
// (counts, prices, scores of a few decimals): exact, as the code decodes to the very
// double stored, in half the memory of doubles. Other values are kept as doubles.
class BucketValues {
 public:
  // Replaces the values, choosing the encoding.
  void Assign(const std::vector<double>& values) {
    codes_ = {};
    doubles_ = {};
    coded_ = false;
    if (values.empty()) {
      coded_ = true;
      scale_ = 1;
      base_ = 0;
      return;
    }
    for (int digits = 0; digits <= kMaxDigits && !coded_; ++digits) {
      const double scale = kScales[digits];
      int64_t low = 0, high = 0;
      bool fits = true;
      for (size_t value_idx = 0; value_idx < values.size() && fits; ++value_idx) {
        auto units = Units(values[value_idx], scale);
        if (!units) {
          fits = false;
        } else if (value_idx == 0) {
          low = high = *units;
        } else {
          low = std::min(low, *units);
          high = std::max(high, *units);
          fits = high - low <= int64_t{UINT32_MAX};
        }
      }
      if (!fits) continue;
      coded_ = true;
      scale_ = scale;
      base_ = low;
      codes_.reserve(values.size());
      for (double value : values) codes_.push_back(static_cast<uint32_t>(*Units(value, scale) - base_));
    }
    if (!coded_) doubles_ = values;
  }

  size_t size() const { return coded_ ? codes_.size() : doubles_.size(); }

  // Whether the values are held as codes (code(position)), not as doubles.
  bool coded() const { return coded_; }
  uint32_t code(size_t position) const { return codes_[position]; }

  // For coded values: the codes [first, end) whose values pass both bounds, where
  // `above_low(x)` and `below_high(x)` are a range's two halves (first >= end: none).
  // A value decodes from its code by one division, rounded, so it never decreases as
  // the code grows, and the codes passing each bound are a run found by bisection:
  // a scan then compares codes, with no division per member.
  template <typename AboveLow, typename BelowHigh>
  std::pair<uint64_t, uint64_t> CodeRange(AboveLow above_low, BelowHigh below_high) const {
    constexpr uint64_t kCodes = uint64_t{UINT32_MAX} + 1;
    uint64_t lo = 0, hi = kCodes;  // the first code passing the low bound is in [lo, hi]
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (above_low(Decode(static_cast<uint32_t>(mid)))) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    const uint64_t first = lo;
    lo = 0;
    hi = kCodes;  // the first code failing the high bound is in [lo, hi]
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (below_high(Decode(static_cast<uint32_t>(mid)))) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return {first, lo};
  }

  double operator[](size_t position) const {
    return coded_ ? Decode(codes_[position]) : doubles_[position];
  }

  void Insert(size_t position, double x) {
    if (size() == 0) {
      Assign({x});
      return;
    }
    if (coded_) {
      auto units = Units(x, scale_);
      if (units && *units >= base_ && *units - base_ <= int64_t{UINT32_MAX}) {
        codes_.insert(codes_.begin() + static_cast<ptrdiff_t>(position), static_cast<uint32_t>(*units - base_));
        return;
      }
      // Not a whole number of this scale's units from the base: doubles from now on
      // (Optimize chooses again).
      doubles_.reserve(codes_.size() + 1);
      for (uint32_t code : codes_) doubles_.push_back(Decode(code));
      codes_ = {};
      coded_ = false;
    }
    doubles_.insert(doubles_.begin() + static_cast<ptrdiff_t>(position), x);
  }

  void Erase(size_t position) {
    if (coded_) {
      codes_.erase(codes_.begin() + static_cast<ptrdiff_t>(position));
    } else {
      doubles_.erase(doubles_.begin() + static_cast<ptrdiff_t>(position));
    }
  }

  void ShrinkToFit() {
    codes_.shrink_to_fit();
    doubles_.shrink_to_fit();
  }

  size_t Bytes() const { return codes_.capacity() * sizeof(uint32_t) + doubles_.capacity() * sizeof(double); }

 private:
  static constexpr int kMaxDigits = 9;
  static constexpr double kScales[kMaxDigits + 1] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

  // x as a whole number of 1/scale units, if it is exactly one (and decodes to x).
  static std::optional<int64_t> Units(double x, double scale) {
    const double scaled = x * scale;
    if (!std::isfinite(scaled) || std::fabs(scaled) > 0x1.0p52) return std::nullopt;
    const auto units = static_cast<int64_t>(std::llround(scaled));
    if (static_cast<double>(units) / scale != x) return std::nullopt;
    return units;
  }

  double Decode(uint32_t code) const { return static_cast<double>(base_ + static_cast<int64_t>(code)) / scale_; }

  bool coded_ = true;
  double scale_ = 1;
  int64_t base_ = 0;
  std::vector<uint32_t> codes_;
  std::vector<double> doubles_;
};

// Per slot, a small number (a string's id + 1; 0: none) in the narrowest width that
// holds every number set so far: one byte a slot for a field of up to 255 strings
// (countries, plans, OS names), where four would take 40 MB at 10 M people.
class SlotIds {
 public:
  uint32_t Get(uint32_t slot) const {
    if (slot >= size_) return 0;
    switch (width_) {
      case 1: return data_[slot];
      case 2: {
        uint16_t value;
        std::memcpy(&value, &data_[size_t{slot} * 2], 2);
        return value;
      }
      default: {
        uint32_t value;
        std::memcpy(&value, &data_[size_t{slot} * 4], 4);
        return value;
      }
    }
  }

  void Set(uint32_t slot, uint32_t value) {
    const size_t width = value <= UINT8_MAX ? 1 : value <= UINT16_MAX ? 2 : 4;
    if (width > width_) Rewrite(size_, width);
    if (slot >= size_) {
      if (value == 0) return;
      Rewrite(std::max<size_t>(size_t{slot} + 1, size_ * 2), width_);
    }
    Put(slot, value);
  }

  size_t Bytes() const { return data_.capacity(); }

 private:
  void Put(size_t slot, uint32_t value) {
    switch (width_) {
      case 1: data_[slot] = static_cast<uint8_t>(value); break;
      case 2: {
        const auto narrow = static_cast<uint16_t>(value);
        std::memcpy(&data_[slot * 2], &narrow, 2);
        break;
      }
      default: std::memcpy(&data_[slot * 4], &value, 4); break;
    }
  }

  // Copies the numbers into `size` slots of `width` bytes (new slots 0).
  void Rewrite(size_t size, size_t width) {
    if (width == width_) {
      data_.resize(size * width, 0);
      size_ = size;
      return;
    }
    SlotIds wider;
    wider.data_.assign(size * width, 0);
    wider.width_ = width;
    wider.size_ = size;
    for (size_t slot = 0; slot < size_; ++slot) wider.Put(slot, Get(static_cast<uint32_t>(slot)));
    *this = std::move(wider);
  }

  std::vector<uint8_t> data_;
  size_t width_ = 1;
  size_t size_ = 0;
};

// Whether every x in [low, high] passes all the tests, none does, or some only. A
// conjunction may answer kSome where no x passes both (the per-value filter then keeps
// none), never kAll or kNone wrongly.
RangeAnswer Answer(std::span<const NumberTest> tests, double low, double high) {
  bool all = true;
  for (const NumberTest& test : tests) {
    const RangeAnswer answer = CompareRange(low, high, test.op, test.value);
    if (answer == RangeAnswer::kNone) return RangeAnswer::kNone;
    all = all && answer == RangeAnswer::kAll;
  }
  return all ? RangeAnswer::kAll : RangeAnswer::kSome;
}

// The tests of a NumbersIn (none of them kNe) as one interval, so that a value is
// checked with two comparisons in line: the same answer as PassesAll.
class Interval {
 public:
  explicit Interval(std::span<const NumberTest> tests) {
    for (const NumberTest& test : tests) {
      switch (test.op) {
        case CompareOp::kEq:
          Raise(test.value, false);
          Lower(test.value, false);
          break;
        case CompareOp::kGt: Raise(test.value, true); break;
        case CompareOp::kGe: Raise(test.value, false); break;
        case CompareOp::kLt: Lower(test.value, true); break;
        case CompareOp::kLe: Lower(test.value, false); break;
        case CompareOp::kNe: break;  // not an interval; callers never pass it
      }
    }
  }

  bool Holds(double x) const { return AboveLow(x) && BelowHigh(x); }
  bool AboveLow(double x) const { return low_open_ ? x > low_ : x >= low_; }
  bool BelowHigh(double x) const { return high_open_ ? x < high_ : x <= high_; }

 private:
  void Raise(double value, bool open) {
    if (value > low_ || (value == low_ && open)) {
      low_ = value;
      low_open_ = open;
    }
  }
  void Lower(double value, bool open) {
    if (value < high_ || (value == high_ && open)) {
      high_ = value;
      high_open_ = open;
    }
  }

  double low_ = -kInf, high_ = kInf;
  bool low_open_ = false, high_open_ = false;
};

}  // namespace

bool PassesAll(double x, std::span<const NumberTest> tests) {
  return std::all_of(tests.begin(), tests.end(), [x](const NumberTest& test) { return CompareNumbers(x, test.op, test.value); });
}

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
    if (const uint32_t string_id = string_ids_.Get(slot); string_id != 0) {
      strings_[string_id - 1].second.remove(slot);
      string_ids_.Set(slot, 0);
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

  // The bitmaps of the strings standing in relation `op` (<, <=, >, >=) to `text`.
  std::vector<const Roaring*> StringsInRange(CompareOp op, const std::string& text) const {
    std::vector<const Roaring*> inputs;
    for (const auto& [value, id] : string_index_) {
      int cmp = value.compare(text);
      bool holds = op == CompareOp::kLt ? cmp < 0 : op == CompareOp::kLe ? cmp <= 0 : op == CompareOp::kGt ? cmp > 0 : cmp >= 0;
      if (holds) inputs.push_back(&strings_[id].second);
    }
    return inputs;
  }

  // The bitmaps whose union is the slots containing the literal: arrays with it as an
  // element, strings holding it.
  std::vector<const Roaring*> Containing(const Literal& literal) const {
    std::vector<const Roaring*> inputs;
    std::string key = LiteralKey(literal);
    if (!key.empty()) {
      auto it = elements_.find(key);
      if (it != elements_.end()) inputs.push_back(&it->second);
    }
    if (literal.kind == Literal::Kind::kString) {
      for (const auto& [value, id] : string_index_) {
        if (value.find(literal.text) != std::string::npos) inputs.push_back(&strings_[id].second);
      }
    }
    return inputs;
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

  // The slots of `within` with a numeric value standing in relation `op` to `v`
  // (kEq..kGe; kNe too). Few candidates meet each bucket on its own, so a few left by
  // earlier clauses cost little however many values the field holds.
  Roaring CompareNumbersWithin(CompareOp op, double v, const Roaring& within) const {
    const NumberTest test{op, v};
    return NumbersInWithin(std::span<const NumberTest>(&test, 1), within);
  }

  // The same for numbers passing every one of `tests` (kNe only alone).
  Roaring NumbersInWithin(std::span<const NumberTest> tests, const Roaring& within) const {
    // Each bucket meets every candidate, which pays only when the candidates are far
    // fewer than a bucket's values: array intersections are linear in both sides
    // unless one is 64 times the other.
    const uint64_t per_bucket = numbers_.cardinality() / std::max<size_t>(buckets_.size(), 1);
    if (within.cardinality() * 64 >= per_bucket) {
      return tests.size() == 1 ? CompareNumbers(tests[0].op, tests[0].value, within) : NumbersIn(tests, within);
    }
    std::vector<Roaring> parts;
    std::vector<uint32_t> hits;
    for (const Bucket& bucket : buckets_) {
      if (bucket.members.isEmpty()) continue;
      const RangeAnswer answer = Answer(tests, bucket.min, bucket.max);
      const bool whole = answer == RangeAnswer::kAll, nothing = answer == RangeAnswer::kNone;
      if (nothing) continue;
      Roaring part = bucket.members & within;
      if (part.isEmpty()) continue;
      if (!whole) {
        // Values are in the bucket's slot order: a member's rank finds its value.
        hits.clear();
        for (uint32_t slot : part) {
          if (PassesAll(bucket.values[bucket.members.rank(slot) - 1], tests)) hits.push_back(slot);
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

  // The same over the whole of `scope`: each step meets the scope at once, so no
  // bitmap of everyone in range is ever built.
  Roaring CompareNumbers(CompareOp op, double v, const Roaring& scope) const {
    if (op == CompareOp::kNe) {
      Roaring result = scope & numbers_;
      result -= CompareNumbers(CompareOp::kEq, v, scope);
      return result;
    }
    const NumberTest test{op, v};
    return NumbersIn(std::span<const NumberTest>(&test, 1), scope);
  }

  // The buckets a range takes: the run [first, last] wholly in it (none: first ==
  // kNone) and those it takes only some values of (partial).
  static constexpr size_t kNone = SIZE_MAX;
  struct BucketRange {
    size_t first = kNone, last = kNone;
    std::vector<size_t> partial;
  };
  BucketRange Classify(std::span<const NumberTest> tests) const {
    // The buckets partition numbers_ in value order (bucket k's values are below bucket
    // k + 1's lo, and min/max bound them even after removals), so the ones wholly in
    // range are a run: a prefix for < and <=, a suffix for > and >=, at most one for =,
    // any run for an interval. Outside exact mode values are kept, and the one or two
    // buckets the bounds fall in are filtered value by value; in it a bucket holds one
    // value and is never partial.
    BucketRange range;
    for (size_t k = 0; k < buckets_.size(); ++k) {
      const Bucket& bucket = buckets_[k];
      if (bucket.members.isEmpty()) continue;
      const RangeAnswer answer = Answer(tests, bucket.min, bucket.max);
      if (answer == RangeAnswer::kAll) {
        if (range.first == kNone) range.first = k;
        range.last = k;
      } else if (answer == RangeAnswer::kSome) {
        range.partial.push_back(k);
      }
    }
    return range;
  }

  // The same for numbers passing every one of `tests`, none of them kNe (so those
  // passing are one interval). The run is taken from the cuts and a few buckets at its
  // ends; a few candidates find a partial bucket's values by rank, otherwise its
  // values are scanned.
  Roaring NumbersIn(std::span<const NumberTest> tests, const Roaring& scope) const {
    const BucketRange range = Classify(tests);
    Roaring result = range.first != kNone ? Run(range.first, range.last + 1, scope) : Roaring();
    const uint64_t scope_size = range.partial.empty() ? 0 : scope.cardinality();
    const Interval interval(tests);
    std::vector<uint32_t> slots;
    std::vector<uint32_t> hits;
    for (size_t k : range.partial) {
      const Bucket* bucket = &buckets_[k];
      hits.clear();
      const uint64_t size = bucket->members.cardinality();
      if (scope_size < size) {
        Roaring part = bucket->members & scope;
        if (part.cardinality() * 32 < size) {
          for (uint32_t slot : part) {
            if (interval.Holds(bucket->values[bucket->members.rank(slot) - 1])) hits.push_back(slot);
          }
          result.addMany(hits.size(), hits.data());
          continue;
        }
      }
      slots.resize(size);
      bucket->members.toUint32Array(slots.data());
      for (size_t member_idx = 0; member_idx < slots.size(); ++member_idx) {
        if (interval.Holds(bucket->values[member_idx])) hits.push_back(slots[member_idx]);
      }
      Roaring part;
      part.addMany(hits.size(), hits.data());
      part &= scope;
      result |= part;
    }
    return result;
  }

  // The same as a fill over the chunks of `span`: each chunk of those in range is built
  // in cache (ChunkBits) from the cuts, the buckets at the run's ends and the partial
  // buckets' members in range, so the candidates are met once whatever the plan's steps.
  ChunkFill NumbersFill(std::span<const NumberTest> tests, ChunkSpan span) const {
    const BucketRange range = Classify(tests);
    const bool run = range.first != kNone;
    if (!run && range.partial.empty()) return NoOne();
    const RunPlan plan = run ? PlanRun(range.first, range.last + 1, span, /*built=*/true) : RunPlan();
    // A partial bucket's next container in the slice, the place in the bucket's values
    // of that container's first member, and for coded values the codes in range
    // [low, high).
    struct Partial {
      const Bucket* bucket;
      int32_t index;
      size_t offset;
      uint64_t low, high;
    };
    std::vector<Partial> partials;
    const Interval interval(tests);
    for (size_t k : range.partial) {
      const Bucket* bucket = &buckets_[k];
      const roaring_array_t& containers = bucket->members.roaring.high_low_container;
      Partial partial{bucket, FirstContainer(containers, span.first), 0, 0, 0};
      for (int32_t index = 0; index < partial.index; ++index) {
        partial.offset +=
            static_cast<size_t>(container_get_cardinality(containers.containers[index], containers.typecodes[index]));
      }
      if (bucket->values.coded()) {
        std::tie(partial.low, partial.high) = bucket->values.CodeRange(
            [&](double x) { return interval.AboveLow(x); }, [&](double x) { return interval.BelowHigh(x); });
        if (partial.low >= partial.high) continue;
      }
      partials.push_back(partial);
    }
    // A container's members, grown to the largest met (not 256 KB up front: a fill is
    // made per leaf and slice, and small indexes hold small containers).
    std::vector<uint32_t> members;
    return [this, run, plan, partials, interval, members](uint32_t key, ChunkBits& bits) mutable {
      if (run) {
        GroupRangeBits(plan.g1, plan.g2, key, bits);
        for (const Roaring* bucket : plan.take) bits.Subtract(*bucket, key);
        for (const Roaring* bucket : plan.add) bits.Add(*bucket, key);
      } else {
        bits.Clear();
      }
      for (Partial& partial : partials) {
        const roaring_array_t& containers = partial.bucket->members.roaring.high_low_container;
        for (; partial.index < containers.size && containers.keys[partial.index] < key; ++partial.index) {
          partial.offset += static_cast<size_t>(
              container_get_cardinality(containers.containers[partial.index], containers.typecodes[partial.index]));
        }
        if (partial.index >= containers.size || containers.keys[partial.index] != key) continue;
        const auto held = static_cast<size_t>(
            container_get_cardinality(containers.containers[partial.index], containers.typecodes[partial.index]));
        if (members.size() < held) members.resize(held);
        const auto n = static_cast<size_t>(container_to_uint32_array(
            members.data(), containers.containers[partial.index], containers.typecodes[partial.index], 0));
        const BucketValues& values = partial.bucket->values;
        if (values.coded()) {
          for (size_t member_idx = 0; member_idx < n; ++member_idx) {
            if (uint64_t{values.code(partial.offset + member_idx)} - partial.low < partial.high - partial.low) {
              bits.Set(static_cast<uint16_t>(members[member_idx]));
            }
          }
        } else {
          for (size_t member_idx = 0; member_idx < n; ++member_idx) {
            if (interval.Holds(values[partial.offset + member_idx])) bits.Set(static_cast<uint16_t>(members[member_idx]));
          }
        }
        partial.offset += n;
        ++partial.index;
      }
    };
  }

  // The numbers standing in relation `op` to `v` (kNe too), as a fill.
  ChunkFill CompareNumbersFill(CompareOp op, double v, ChunkSpan span) const {
    if (op != CompareOp::kNe) {
      const NumberTest test{op, v};
      return NumbersFill(std::span<const NumberTest>(&test, 1), span);
    }
    return [this, equal = CompareNumbersFill(CompareOp::kEq, v, span)](uint32_t key, ChunkBits& bits) {
      equal(key, bits);
      bits.Flip();
      bits.Meet(numbers_, key);
    };
  }

  void Optimize() {
    if (!exact_ && !numbers_.isEmpty()) {
      Rebucket();
    } else if (!buckets_.empty()) {
      RebuildGroups();  // by the buckets' sizes now, not when the last value was new
    }
    auto compact = [](Roaring* bitmap) {
      bitmap->runOptimize();
      PreferBitsets(bitmap);
    };
    for (auto& [text, bitmap] : strings_) compact(&bitmap);
    for (auto& [key, bitmap] : elements_) compact(&bitmap);
    for (Bucket& bucket : buckets_) compact(&bucket.members);
    for (Cut& cut : cuts_) compact(&cut.members);
    for (Roaring* bitmap : {&present_, &numbers_, &true_, &false_, &lists_}) compact(bitmap);
  }

  FieldStats Stats() const {
    FieldStats stats;
    stats.present = present_.cardinality();
    stats.distinct_strings = string_index_.size();
    stats.buckets = buckets_.size();
    stats.exact_buckets = exact_;
    stats.groups = Groups();
    for (size_t g = 0; g < Groups(); ++g) {
      uint64_t holders = 0;
      for (size_t k = group_start_[g]; k < group_start_[g + 1]; ++k) holders += buckets_[k].members.cardinality();
      stats.largest_group = std::max(stats.largest_group, holders);
    }
    stats.bytes = Bytes();
    return stats;
  }

  size_t Bytes() const {
    size_t bytes = BitmapBytes(present_) + BitmapBytes(numbers_) + BitmapBytes(true_) + BitmapBytes(false_) +
                   BitmapBytes(lists_) + string_ids_.Bytes();
    for (const auto& [text, bitmap] : strings_) bytes += text.size() + BitmapBytes(bitmap);
    for (const auto& [key, bitmap] : elements_) bytes += key.size() + BitmapBytes(bitmap);
    for (const Bucket& bucket : buckets_) {
      bytes += sizeof(Bucket) + BitmapBytes(bucket.members) + bucket.values.Bytes();
    }
    for (const Cut& cut : cuts_) bytes += BitmapBytes(cut.members);
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
    BucketValues values;
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
    string_ids_.Set(slot, id + 1);
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
        AddToCuts(slot, k);
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
    AddToCuts(slot, k);
    Bucket& bucket = buckets_[k];
    if (bucket.members.isEmpty() || slot > bucket.members.maximum()) {
      bucket.values.Insert(bucket.values.size(), x);  // loading in slot order
    } else {
      size_t position = bucket.members.rank(slot);  // members up to slot, which is not one
      bucket.values.Insert(position, x);
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
      RemoveFromCuts(slot, k);
      if (!exact_) bucket.values.Erase(bucket.members.rank(slot) - 1);
      bucket.members.remove(slot);
      return;
    }
  }

  // Leaves exact mode: every member's value, from the single value of its bucket.
  void MaterializeValues() {
    exact_ = false;
    for (Bucket& bucket : buckets_) bucket.values.Assign(std::vector<double>(bucket.members.cardinality(), bucket.min));
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
    std::vector<std::vector<double>> values(buckets_.size());
    for (const auto& [slot, x] : held) {  // in slot order, so each bucket's values are too
      size_t k = Locate(x);
      members[k].push_back(slot);
      values[k].push_back(x);
      buckets_[k].min = std::min(buckets_[k].min, x);
      buckets_[k].max = std::max(buckets_[k].max, x);
    }
    held = {};
    for (size_t k = 0; k < buckets_.size(); ++k) {
      buckets_[k].members.addMany(members[k].size(), members[k].data());
      members[k] = {};
      if (!one_value_each) buckets_[k].values.Assign(values[k]);
      values[k] = {};
    }
    exact_ = one_value_each;
    RebuildGroups();
  }

  // Groups the buckets and builds the cuts. Groups hold about equal numbers of holders
  // (kGroupBuckets buckets each on average), not equal numbers of buckets: a run's ends
  // then cost at most about a group's share, where a group of four of the largest
  // buckets of a skewed field (ages, counts) cost far more. A bucket of more than a
  // share (a score of exactly 1 held by half the holders) is a group of its own, and the
  // other groups share the rest. Cut g keeps the members of the groups before it or of
  // the groups from it on, whichever holds fewer.
  void RebuildGroups() {
    const size_t n = buckets_.size();
    if (n == 0) {
      group_start_.clear();
      cuts_.clear();
      return;
    }
    const size_t target = (n + kGroupBuckets - 1) / kGroupBuckets;
    std::vector<uint64_t> bucket_sizes(n);
    uint64_t total = 0;
    for (size_t k = 0; k < n; ++k) total += bucket_sizes[k] = buckets_[k].members.cardinality();
    // The share: what the buckets of at most a share hold, over the groups left to them.
    uint64_t share = std::max<uint64_t>(1, total / target);
    for (int round = 0; round < 8; ++round) {
      uint64_t light = 0;
      size_t heavy = 0;
      for (uint64_t size : bucket_sizes) {
        if (size > share) {
          ++heavy;
        } else {
          light += size;
        }
      }
      const size_t groups_left = target > heavy ? target - heavy : 1;
      const uint64_t next = std::max<uint64_t>(1, light / groups_left);
      if (next == share) break;
      share = next;
    }
    group_start_.assign(1, 0);
    uint64_t in_group = 0;  // holders of the group being filled
    for (size_t k = 0; k < n; ++k) {
      const uint64_t size = bucket_sizes[k];
      // A new group at k when the group so far would pass its share by more than half
      // of k, or k is heavy, or the last bucket was.
      const bool after_heavy = k > 0 && bucket_sizes[k - 1] > share;
      if (k > group_start_.back() && (size > share || after_heavy || in_group + size / 2 > share)) {
        group_start_.push_back(k);
        in_group = 0;
      }
      in_group += size;
    }
    group_start_.push_back(n);
    const size_t groups = Groups();
    std::vector<Roaring> group_members(groups);
    std::vector<uint64_t> sizes(groups, 0);
    for (size_t group_idx = 0; group_idx < groups; ++group_idx) {
      std::vector<const Roaring*> inputs;
      for (size_t k = group_start_[group_idx]; k < group_start_[group_idx + 1]; ++k) {
        inputs.push_back(&buckets_[k].members);
        sizes[group_idx] += bucket_sizes[k];
      }
      group_members[group_idx] = Union(inputs);
    }
    cuts_.assign(groups + 1, Cut());
    Roaring running;
    uint64_t before = 0;
    for (size_t g = 1; g < groups; ++g) {  // groups before g, kept where the smaller side
      running |= group_members[g - 1];
      before += sizes[g - 1];
      cuts_[g].below = 2 * before <= total;
      if (cuts_[g].below) cuts_[g].members = running;
    }
    running = Roaring();
    for (size_t g = groups; g-- > 1;) {  // groups from g on
      running |= group_members[g];
      if (!cuts_[g].below) cuts_[g].members = running;
    }
    for (Cut& cut : cuts_) cut.members.runOptimize();
  }

  size_t Groups() const { return group_start_.empty() ? 0 : group_start_.size() - 1; }
  // The group of bucket k.
  size_t GroupOf(size_t k) const {
    return static_cast<size_t>(std::upper_bound(group_start_.begin(), group_start_.end(), k) - group_start_.begin()) - 1;
  }

  // Keeps the cuts current as `slot` joins or leaves bucket k.
  void AddToCuts(uint32_t slot, size_t k) {
    const size_t group = GroupOf(k);
    for (size_t g = 1; g + 1 < cuts_.size(); ++g) {
      if (cuts_[g].below == (group < g)) cuts_[g].members.add(slot);
    }
  }
  void RemoveFromCuts(uint32_t slot, size_t k) {
    const size_t group = GroupOf(k);
    for (size_t g = 1; g + 1 < cuts_.size(); ++g) {
      if (cuts_[g].below == (group < g)) cuts_[g].members.remove(slot);
    }
  }

  // The members of the groups [g1, g2) in `scope`, from at most two cuts.
  Roaring GroupRange(size_t g1, size_t g2, const Roaring& scope) const {
    const size_t groups = Groups();
    g2 = std::min(g2, groups);
    if (g1 >= g2) return Roaring();
    // The scope's members in a bitmap, and those with a number outside it.
    auto in = [&scope](const Roaring& bitmap) { return scope & bitmap; };
    auto out = [&scope, this](const Roaring& bitmap) {
      Roaring result = scope - bitmap;
      result &= numbers_;
      return result;
    };
    const bool from_start = g1 == 0, to_end = g2 == groups;
    if (from_start && to_end) return in(numbers_);
    if (from_start || to_end) {
      // One cut: the groups before g2, or those from g1 on.
      const Cut& cut = cuts_[from_start ? g2 : g1];
      return cut.below == from_start ? in(cut.members) : out(cut.members);
    }
    const Cut& low = cuts_[g1];    // the groups before g1, or from it on
    const Cut& high = cuts_[g2];   // the groups before g2, or from it on
    Roaring result;
    if (low.below && high.below) {
      result = in(high.members);
      result -= low.members;
    } else if (!low.below && !high.below) {
      result = in(low.members);
      result -= high.members;
    } else if (!low.below && high.below) {
      result = in(low.members);
      result &= high.members;
    } else {
      result = out(low.members);
      result -= high.members;
    }
    return result;
  }

  // The same for chunk `key` of everyone (no scope), into `bits`, by the same steps.
  void GroupRangeBits(size_t g1, size_t g2, uint32_t key, ChunkBits& bits) const {
    const size_t groups = Groups();
    g2 = std::min(g2, groups);
    if (g1 >= g2) {
      bits.Clear();
      return;
    }
    const bool from_start = g1 == 0, to_end = g2 == groups;
    if (from_start && to_end) {
      bits.Assign(numbers_, key);
      return;
    }
    if (from_start || to_end) {
      const Cut& cut = cuts_[from_start ? g2 : g1];
      if (cut.below == from_start) {
        bits.Assign(cut.members, key);
      } else {
        bits.Assign(numbers_, key);
        bits.Subtract(cut.members, key);
      }
      return;
    }
    const Cut& low = cuts_[g1];
    const Cut& high = cuts_[g2];
    if (low.below && high.below) {
      bits.Assign(high.members, key);
      bits.Subtract(low.members, key);
    } else if (!low.below && !high.below) {
      bits.Assign(low.members, key);
      bits.Subtract(high.members, key);
    } else if (!low.below && high.below) {
      bits.Assign(low.members, key);
      bits.Meet(high.members, key);
    } else {
      bits.Assign(numbers_, key);
      bits.Subtract(low.members, key);
      bits.Subtract(high.members, key);
    }
  }

  // What GroupRange(g1, g2) costs (OpCost), step for step; `built`: GroupRangeBits',
  // where no step passes over whole chunks of candidates.
  uint64_t GroupRangeCost(size_t g1, size_t g2, ChunkSpan span, bool built) const {
    const size_t groups = Groups();
    g2 = std::min(g2, groups);
    if (g1 >= g2) return 0;
    const bool whole = !built;
    auto in = [span, whole](const Roaring& bitmap) { return OpCost(bitmap, whole, span); };
    auto out = [this, span, whole](const Roaring& bitmap) {
      return OpCost(bitmap, whole, span) + OpCost(numbers_, whole, span);
    };
    const bool from_start = g1 == 0, to_end = g2 == groups;
    if (from_start && to_end) return in(numbers_);
    if (from_start || to_end) {
      const Cut& cut = cuts_[from_start ? g2 : g1];
      return cut.below == from_start ? in(cut.members) : out(cut.members);
    }
    const Cut& low = cuts_[g1];
    const Cut& high = cuts_[g2];
    if (low.below && high.below) return in(high.members) + OpCost(low.members, false, span);
    if (!low.below && !high.below) return in(low.members) + OpCost(high.members, false, span);
    if (!low.below && high.below) return in(low.members) + OpCost(high.members, true, span);
    return out(low.members) + OpCost(high.members, false, span);
  }

  // What adding or taking away the buckets [a, b) costs, counted until it passes `cap`.
  uint64_t BucketsCost(size_t a, size_t b, ChunkSpan span, uint64_t cap = UINT64_MAX) const {
    uint64_t cost = 0;
    for (size_t k = a; k < std::min(b, buckets_.size()) && cost <= cap; ++k) cost += OpCost(buckets_[k].members, false, span);
    return cost;
  }

  // The buckets [a, b) as the groups [g1, g2) from the cuts (none: g1 >= g2) with the
  // buckets `take` taken away and `add` added.
  struct RunPlan {
    size_t g1 = 0, g2 = 0;
    std::vector<const Roaring*> take, add;
  };
  // The cheapest (OpCost) of: each bucket added, or the groups between two group
  // boundaries near a and b from the cuts, with the buckets between each boundary and
  // its end of the run added (the boundary inside the run) or taken away (outside it).
  // `built`: for GroupRangeBits.
  RunPlan PlanRun(size_t a, size_t b, ChunkSpan span, bool built) const {
    const size_t groups = Groups();
    auto boundary = [this](size_t g) { return group_start_[g]; };  // first bucket of group g
    // The group boundaries at or before x and at or after it.
    auto near = [this, groups](size_t x) -> std::array<size_t, 2> {
      const size_t at_or_before = x >= buckets_.size() ? groups : GroupOf(x);
      return {at_or_before, group_start_[at_or_before] < x ? at_or_before + 1 : at_or_before};
    };
    RunPlan plan;
    uint64_t best = UINT64_MAX;
    for (size_t lo : near(a)) {
      for (size_t hi : near(b)) {
        if (lo >= hi) continue;
        const size_t start = boundary(lo), end = boundary(hi);
        const uint64_t cost = GroupRangeCost(lo, hi, span, built) +
                              BucketsCost(std::min(a, start), std::max(a, start), span) +
                              BucketsCost(std::min(b, end), std::max(b, end), span);
        if (cost < best) {
          best = cost;
          plan.g1 = lo;
          plan.g2 = hi;
        }
      }
    }
    // Every bucket on its own: a long run's cost is counted only while it may win.
    if (best == UINT64_MAX || BucketsCost(a, b, span, best) < best) plan.g1 = plan.g2 = 0;
    if (plan.g1 >= plan.g2) {
      for (size_t k = a; k < b; ++k) plan.add.push_back(&buckets_[k].members);
    } else {
      const size_t start = boundary(plan.g1), end = boundary(plan.g2);
      for (size_t k = std::min(a, start); k < std::max(a, start); ++k) {
        (k < a ? plan.take : plan.add).push_back(&buckets_[k].members);
      }
      for (size_t k = std::min(b, end); k < std::max(b, end); ++k) {
        (k < b ? plan.add : plan.take).push_back(&buckets_[k].members);
      }
    }
    return plan;
  }

  // The members of the buckets [a, b) in `scope`, by PlanRun's plan. Each bitmap meets
  // the scope first: the scope is usually the smaller side.
  Roaring Run(size_t a, size_t b, const Roaring& scope) const {
    const RunPlan plan = PlanRun(a, b, SpanOf(scope), /*built=*/false);
    Roaring result = GroupRange(plan.g1, plan.g2, scope);
    for (const Roaring* bucket : plan.take) result -= *bucket;
    for (const Roaring* bucket : plan.add) result |= *bucket & scope;
    return result;
  }

  Roaring present_;
  // Strings by id (id + 1 per slot in string_ids_, 0: none), and the ids by text.
  std::vector<std::pair<std::string, Roaring>> strings_;
  std::map<std::string, uint32_t, std::less<>> string_index_;
  SlotIds string_ids_;
  Roaring true_, false_;
  Roaring lists_;
  std::map<std::string, Roaring, std::less<>> elements_;
  Roaring numbers_;
  std::vector<Bucket> buckets_;
  // Buckets [group_start_[g], group_start_[g + 1]) are group g (RebuildGroups); the
  // last entry is the number of buckets. Cut g (1 <= g < groups) holds the members of
  // groups [0, g) when `below`, else of groups [g, end), whichever side held fewer
  // when last rebuilt (entries 0 and `groups` are unused): a run of buckets is then one
  // or two operations on cuts, plus the buckets at its ends. Cut g holds about
  // min(g, groups - g) / groups of the holders: about groups / 4 bitmaps of them in all
  // (8 for 128 buckets), and an update touches each cut.
  static constexpr size_t kGroupBuckets = 4;  // buckets a group, on average
  std::vector<size_t> group_start_;
  struct Cut {
    bool below = true;
    Roaring members;
  };
  std::vector<Cut> cuts_;
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
  if (literal.kind == Literal::Kind::kNull) return scope - found->present();
  if (literal.kind == Literal::Kind::kNumber) return found->CompareNumbersWithin(CompareOp::kEq, literal.number, scope);
  const Roaring* bitmap = found->Lookup(literal);
  return bitmap == nullptr ? Roaring() : *bitmap & scope;
}

Roaring BitmapIndex::EqualAny(std::string_view field, const std::vector<Literal>& literals, const Roaring* within) const {
  const Roaring& scope = within != nullptr ? *within : all_;
  const Field* found = Find(field);
  std::vector<const Roaring*> bitmaps;
  Roaring result;
  for (const Literal& literal : literals) {
    const Roaring* bitmap = found == nullptr ? nullptr : found->Lookup(literal);
    if (bitmap != nullptr) {
      bitmaps.push_back(bitmap);
    } else {
      result |= Equal(field, literal, within);
    }
  }
  if (bitmaps.empty()) return result;
  // Few candidates meet each value's bitmap; many meet their union once.
  if (within != nullptr && within->cardinality() * 8 < all_.cardinality()) {
    for (const Roaring* bitmap : bitmaps) result |= *bitmap & scope;
    return result;
  }
  Roaring any = Union(bitmaps);
  any &= scope;
  result |= any;
  return result;
}

Roaring BitmapIndex::Compare(std::string_view field, CompareOp op, const Literal& literal, const Roaring* within) const {
  const Roaring& scope = within != nullptr ? *within : all_;
  if (op == CompareOp::kEq) return Equal(field, literal, within);
  if (op == CompareOp::kNe) {
    const Field* found = Find(field);
    const Roaring* bitmap = found == nullptr ? nullptr : found->Lookup(literal);
    return bitmap != nullptr ? scope - *bitmap : scope - Equal(field, literal, within);
  }
  const Field* found = Find(field);
  if (found == nullptr) return Roaring();
  if (literal.kind == Literal::Kind::kNumber) return found->CompareNumbersWithin(op, literal.number, scope);
  if (literal.kind == Literal::Kind::kString) return Union(found->StringsInRange(op, literal.text)) & scope;
  return Roaring();
}

Roaring BitmapIndex::Contains(std::string_view field, const Literal& literal, const Roaring* within) const {
  const Field* found = Find(field);
  return found == nullptr ? Roaring() : Union(found->Containing(literal)) & (within != nullptr ? *within : all_);
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
    result = found->CompareNumbersWithin(op, value, scope);
  }
  if (CompareNumbers(missing, op, value)) result |= found == nullptr ? scope : scope - found->numbers();
  return result;
}

Roaring BitmapIndex::NumberIn(std::string_view field, std::span<const NumberTest> tests, std::optional<double> missing,
                              const Roaring* within) const {
  const Roaring& scope = within != nullptr ? *within : all_;
  const Field* found = Find(field);
  Roaring result;
  if (found != nullptr) result = found->NumbersInWithin(tests, scope);
  if (missing && PassesAll(*missing, tests)) result |= found == nullptr ? scope : scope - found->numbers();
  return result;
}

uint32_t BitmapIndex::SlotBound() const { return all_.isEmpty() ? 0 : all_.maximum() + 1; }

DenseSet BitmapIndex::Equal(std::string_view field, const Literal& literal, const DenseSet& scope) const {
  return scope.MeetBuilt(EqualFill(field, literal, scope));
}
DenseSet BitmapIndex::EqualAny(std::string_view field, const std::vector<Literal>& literals,
                               const DenseSet& scope) const {
  return scope.MeetBuilt(EqualAnyFill(field, literals, scope));
}
DenseSet BitmapIndex::Compare(std::string_view field, CompareOp op, const Literal& literal,
                              const DenseSet& scope) const {
  return scope.MeetBuilt(CompareFill(field, op, literal, scope));
}
DenseSet BitmapIndex::Contains(std::string_view field, const Literal& literal, const DenseSet& scope) const {
  return scope.MeetBuilt(ContainsFill(field, literal, scope));
}
DenseSet BitmapIndex::Present(std::string_view field, const DenseSet& scope) const {
  return scope.MeetBuilt(PresentFill(field, scope));
}
DenseSet BitmapIndex::CompareNumber(std::string_view field, CompareOp op, double value, double missing,
                                    const DenseSet& scope) const {
  return scope.MeetBuilt(CompareNumberFill(field, op, value, missing, scope));
}
DenseSet BitmapIndex::NumberIn(std::string_view field, std::span<const NumberTest> tests, std::optional<double> missing,
                               const DenseSet& scope) const {
  return scope.MeetBuilt(NumberInFill(field, tests, missing, scope));
}

ChunkFill BitmapIndex::EqualFill(std::string_view field, const Literal& literal, const DenseSet& scope) const {
  const Field* found = Find(field);
  if (found == nullptr) return literal.kind == Literal::Kind::kNull ? Everyone() : NoOne();
  if (literal.kind == Literal::Kind::kNull) return OutsideOf(&found->present());
  if (literal.kind == Literal::Kind::kNumber) return found->CompareNumbersFill(CompareOp::kEq, literal.number, SpanOf(scope));
  const Roaring* bitmap = found->Lookup(literal);
  return bitmap == nullptr ? NoOne() : AnyOf({bitmap});
}

ChunkFill BitmapIndex::EqualAnyFill(std::string_view field, const std::vector<Literal>& literals,
                                    const DenseSet& scope) const {
  const Field* found = Find(field);
  std::vector<const Roaring*> bitmaps;  // the literals with a value bitmap
  ChunkFill others;                     // numbers and null
  for (const Literal& literal : literals) {
    const Roaring* bitmap = found == nullptr ? nullptr : found->Lookup(literal);
    if (bitmap != nullptr) {
      bitmaps.push_back(bitmap);
    } else {
      ChunkFill equal = EqualFill(field, literal, scope);
      others = others ? Either(std::move(others), std::move(equal)) : std::move(equal);
    }
  }
  if (!others) return AnyOf(std::move(bitmaps));
  return bitmaps.empty() ? others : Either(AnyOf(std::move(bitmaps)), std::move(others));
}

ChunkFill BitmapIndex::CompareFill(std::string_view field, CompareOp op, const Literal& literal,
                                   const DenseSet& scope) const {
  if (op == CompareOp::kEq) return EqualFill(field, literal, scope);
  const Field* found = Find(field);
  if (op == CompareOp::kNe) {
    const Roaring* bitmap = found == nullptr ? nullptr : found->Lookup(literal);
    if (bitmap != nullptr) return OutsideOf(bitmap);
    return [equal = EqualFill(field, literal, scope)](uint32_t key, ChunkBits& bits) {
      equal(key, bits);
      bits.Flip();
    };
  }
  if (found == nullptr) return NoOne();
  if (literal.kind == Literal::Kind::kNumber) return found->CompareNumbersFill(op, literal.number, SpanOf(scope));
  if (literal.kind == Literal::Kind::kString) return AnyOf(found->StringsInRange(op, literal.text));
  return NoOne();
}

ChunkFill BitmapIndex::ContainsFill(std::string_view field, const Literal& literal, const DenseSet&) const {
  const Field* found = Find(field);
  return found == nullptr ? NoOne() : AnyOf(found->Containing(literal));
}

ChunkFill BitmapIndex::PresentFill(std::string_view field, const DenseSet&) const {
  const Field* found = Find(field);
  return found == nullptr ? NoOne() : AnyOf({&found->present()});
}

ChunkFill BitmapIndex::CompareNumberFill(std::string_view field, CompareOp op, double value, double missing,
                                         const DenseSet& scope) const {
  const NumberTest test{op, value};
  if (op != CompareOp::kNe) return NumberInFill(field, std::span<const NumberTest>(&test, 1), missing, scope);
  const Field* found = Find(field);
  ChunkFill held = found != nullptr ? found->CompareNumbersFill(op, value, SpanOf(scope)) : NoOne();
  return WithMissing(found, std::move(held), CompareNumbers(missing, op, value));
}

ChunkFill BitmapIndex::NumberInFill(std::string_view field, std::span<const NumberTest> tests,
                                    std::optional<double> missing, const DenseSet& scope) const {
  const Field* found = Find(field);
  ChunkFill held = found != nullptr ? found->NumbersFill(tests, SpanOf(scope)) : NoOne();
  return WithMissing(found, std::move(held), missing && PassesAll(*missing, tests));
}

ChunkFill BitmapIndex::WithMissing(const Field* found, ChunkFill held, bool missing_passes) const {
  if (!missing_passes) return held;
  if (found == nullptr) return Everyone();
  // held | ~numbers as ~(numbers & ~held): no second buffer.
  return [held = std::move(held), numbers = &found->numbers()](uint32_t key, ChunkBits& bits) {
    held(key, bits);
    bits.Flip();
    bits.Meet(*numbers, key);
    bits.Flip();
  };
}

void BitmapIndex::Optimize() {
  all_.runOptimize();
  PreferBitsets(&all_);
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
