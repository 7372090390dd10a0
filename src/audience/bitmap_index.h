// An inverted index of per-person values on compressed bitmaps (CRoaring): for every
// field ("traits.country", "interest(sci-fi)", ...) which slots (dense person numbers)
// hold which value. It answers the leaves of the segment language (expression.h) as
// bitmaps, with the reference semantics of evaluate.h:
// - strings and booleans: one bitmap per distinct value; `<`, `>`, ... over strings
//   union the values in range (byte order).
// - numbers: sorted buckets, one bitmap each. A comparison takes the buckets wholly
//   inside the range and filters the one or two buckets the bound falls in by each
//   slot's exact value, so answers are exact. A field with at most kMaxBuckets distinct
//   values gets one bucket per value and never filters (counters, ages 0..120, scores
//   1..5); other fields keep each holder's value beside its bucket, in slot order, as a
//   32-bit decimal code where that is exact (counts, prices, short decimals), else as a
//   double. Buckets form groups of 4 on average, each holding about as many holders
//   (so a skewed field's largest buckets are groups of one or two), and at each group
//   boundary a "cut" bitmap holds the holders on its smaller side, so the buckets in
//   range are one or two operations on cuts plus the few buckets at either end; every
//   step meets the candidates first, so no bitmap of everyone in range is built. Cuts
//   cost about as much memory as 8 bitmaps of all the field's holders (groups of 8 took
//   4 and left up to four buckets an end, each an array of members to apply one by
//   one); range-encoding every bucket would answer with fewer operations for far more
//   memory.
// - arrays: their scalar elements, for `contains`.
// - objects: only that a value exists.
// JSON null is stored as no value, as the reference treats null and missing alike.
//
// Not thread-safe: one writer, or many readers with no writer.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audience/dense_set.h"
#include "audience/expression.h"
#include "roaring/roaring.hh"

namespace aidmp::audience {

// One person's value of one field.
struct FieldValue {
  // kNull only as a list element: a null field value is no value (Clear).
  enum class Kind : uint8_t { kString, kNumber, kBool, kList, kObject, kNull } kind = Kind::kObject;
  std::string text;
  double number = 0;
  bool boolean = false;
  std::vector<FieldValue> items;  // kList: the elements (nested lists and objects count as kObject)

  static FieldValue String(std::string text);
  static FieldValue Number(double number);
  static FieldValue Bool(bool value);
};

// At most this many buckets per numeric field.
constexpr size_t kMaxBuckets = 128;

// One comparison of a number: `x op value`.
struct NumberTest {
  CompareOp op = CompareOp::kEq;
  double value = 0;
};
// Whether `x` passes every test.
bool PassesAll(double x, std::span<const NumberTest> tests);

struct FieldStats {
  uint64_t present = 0;       // slots with a value
  size_t distinct_strings = 0;
  size_t buckets = 0;
  bool exact_buckets = true;  // every bucket holds one value
  size_t groups = 0;           // runs of buckets between cuts
  uint64_t largest_group = 0;  // holders of the fullest group
  size_t bytes = 0;
};

class BitmapIndex {
 public:
  BitmapIndex();
  ~BitmapIndex();
  BitmapIndex(BitmapIndex&&) noexcept;
  BitmapIndex& operator=(BitmapIndex&&) noexcept;

  // The universe: slots that are people. A slot leaves every field when removed.
  void AddSlot(uint32_t slot);
  void RemoveSlot(uint32_t slot);
  const Roaring& all() const { return all_; }

  // Sets (replacing) or clears a slot's value of a field. The slot must be in the
  // universe for queries to see it.
  void Set(uint32_t slot, std::string_view field, const FieldValue& value);
  void Clear(uint32_t slot, std::string_view field);

  // Slots whose value of `field`...
  //   Equal: equals the literal (a null literal: no value).
  //   Compare: stands in relation `op` to the literal (kNe is not(kEq); numbers with
  //     numbers, strings with strings, else nobody).
  //   Contains: is an array with the literal as an element, or a string holding it.
  //   Present: has any value.
  // An unknown field is one nobody has a value of.
  // With `within` (a subset of all()), only slots in it are answered: after earlier
  // clauses have narrowed the candidates, a clause costs in proportion to them.
  Roaring Equal(std::string_view field, const Literal& literal, const Roaring* within = nullptr) const;
  // Equal to any of the literals (`in`).
  Roaring EqualAny(std::string_view field, const std::vector<Literal>& literals, const Roaring* within = nullptr) const;
  Roaring Compare(std::string_view field, CompareOp op, const Literal& literal, const Roaring* within = nullptr) const;
  Roaring Contains(std::string_view field, const Literal& literal, const Roaring* within = nullptr) const;
  Roaring Present(std::string_view field, const Roaring* within = nullptr) const;
  // A number comparison where slots without a numeric value count as `missing`
  // (interest scores and event counts are 0 for people without them).
  Roaring CompareNumber(std::string_view field, CompareOp op, double value, double missing,
                        const Roaring* within = nullptr) const;
  // Numbers passing every one of `tests`, each <, <=, >, >= or = (together one
  // interval), in one pass over the field: `age >= 18 and age <= 34` as one range.
  // Slots without a numeric value count as `missing`; with none, they never pass.
  Roaring NumberIn(std::string_view field, std::span<const NumberTest> tests, std::optional<double> missing,
                   const Roaring* within = nullptr) const;

  // The same answers among `scope`, a DenseSet over [0, SlotBound()) (subset of all()):
  // what counts over everyone use, as meeting a bitset costs far less than merging
  // CRoaring arrays (dense_set.h).
  uint32_t SlotBound() const;  // one past the largest slot in the universe
  DenseSet Equal(std::string_view field, const Literal& literal, const DenseSet& scope) const;
  DenseSet EqualAny(std::string_view field, const std::vector<Literal>& literals, const DenseSet& scope) const;
  DenseSet Compare(std::string_view field, CompareOp op, const Literal& literal, const DenseSet& scope) const;
  DenseSet Contains(std::string_view field, const Literal& literal, const DenseSet& scope) const;
  DenseSet Present(std::string_view field, const DenseSet& scope) const;
  DenseSet CompareNumber(std::string_view field, CompareOp op, double value, double missing,
                         const DenseSet& scope) const;
  DenseSet NumberIn(std::string_view field, std::span<const NumberTest> tests, std::optional<double> missing,
                    const DenseSet& scope) const;

  // The same answers as fills of ChunkBits (dense_set.h) over the chunks of `scope`'s
  // slice (only the slice is read from `scope`): the DenseSet answers above are these
  // met with the scope, and a count over everyone joins its leaves' fills into one pass
  // over the candidates (bitmap_plan.h).
  ChunkFill EqualFill(std::string_view field, const Literal& literal, const DenseSet& scope) const;
  ChunkFill EqualAnyFill(std::string_view field, const std::vector<Literal>& literals, const DenseSet& scope) const;
  ChunkFill CompareFill(std::string_view field, CompareOp op, const Literal& literal, const DenseSet& scope) const;
  ChunkFill ContainsFill(std::string_view field, const Literal& literal, const DenseSet& scope) const;
  ChunkFill PresentFill(std::string_view field, const DenseSet& scope) const;
  ChunkFill CompareNumberFill(std::string_view field, CompareOp op, double value, double missing,
                              const DenseSet& scope) const;
  ChunkFill NumberInFill(std::string_view field, std::span<const NumberTest> tests, std::optional<double> missing,
                         const DenseSet& scope) const;

  // Re-cuts the numeric buckets of every field at quantiles of its values, compresses
  // runs and holds as bitsets the containers counts meet slowly (PreferBitsets); call
  // after a bulk load. Answers are the same before and after.
  void Optimize();

  bool Has(std::string_view field) const;
  FieldStats Stats(std::string_view field) const;
  std::vector<std::string> Fields() const;
  // Bytes held by the bitmaps and value arrays.
  size_t MemoryBytes() const;

  class Field;

 private:
  const Field* Find(std::string_view field) const;
  // `held`, and with `missing_passes` also the slots without a number of the field.
  ChunkFill WithMissing(const Field* found, ChunkFill held, bool missing_passes) const;
  Roaring all_;
  std::map<std::string, std::unique_ptr<Field>, std::less<>> fields_;
};

}  // namespace aidmp::audience
