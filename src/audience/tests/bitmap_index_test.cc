// The bitmap index against a brute-force scan of the same values: random values of every
// kind, random updates and removals, before and after re-bucketing.
#include "audience/bitmap_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/strings.h"

namespace aidmp::audience {
namespace {

bool Holds(double x, CompareOp op, double v) {
  switch (op) {
    case CompareOp::kEq: return x == v;
    case CompareOp::kNe: return x != v;
    case CompareOp::kLt: return x < v;
    case CompareOp::kLe: return x <= v;
    case CompareOp::kGt: return x > v;
    case CompareOp::kGe: return x >= v;
  }
  return false;
}

bool ScalarEqual(const FieldValue& value, const Literal& literal) {
  switch (literal.kind) {
    case Literal::Kind::kNull: return value.kind == FieldValue::Kind::kNull;
    case Literal::Kind::kBool: return value.kind == FieldValue::Kind::kBool && value.boolean == literal.boolean;
    case Literal::Kind::kNumber: return value.kind == FieldValue::Kind::kNumber && value.number == literal.number;
    case Literal::Kind::kString: return value.kind == FieldValue::Kind::kString && value.text == literal.text;
    default: return false;
  }
}

// The reference semantics of evaluate.h over one optional value.
bool Reference(const std::optional<FieldValue>& value, const std::string& op, CompareOp cmp, const Literal& literal) {
  if (op == "exists") return value.has_value();
  if (op == "contains") {
    if (!value) return false;
    if (value->kind == FieldValue::Kind::kList) {
      for (const FieldValue& item : value->items) {
        if (ScalarEqual(item, literal)) return true;
      }
      return false;
    }
    return value->kind == FieldValue::Kind::kString && literal.kind == Literal::Kind::kString &&
           value->text.find(literal.text) != std::string::npos;
  }
  bool equal = literal.kind == Literal::Kind::kNull ? !value : value && ScalarEqual(*value, literal);
  if (cmp == CompareOp::kEq) return equal;
  if (cmp == CompareOp::kNe) return !equal;
  if (!value) return false;
  if (literal.kind == Literal::Kind::kNumber && value->kind == FieldValue::Kind::kNumber) {
    return Holds(value->number, cmp, literal.number);
  }
  if (literal.kind == Literal::Kind::kString && value->kind == FieldValue::Kind::kString) {
    int order = value->text.compare(literal.text);
    return Holds(order, cmp, 0);
  }
  return false;
}

class RandomValues {
 public:
  explicit RandomValues(uint32_t seed) : rng_(seed) {}

  FieldValue Value(bool continuous) {
    switch (Pick(6)) {
      case 0: return FieldValue::String(Word());
      case 1:
      case 2: return FieldValue::Number(continuous ? std::uniform_real_distribution<double>(-5, 5)(rng_) : Pick(8));
      case 3: return FieldValue::Bool(Pick(2) == 1);
      case 4: {
        FieldValue list;
        list.kind = FieldValue::Kind::kList;
        for (int i = Pick(4); i > 0; --i) {
          FieldValue item = Pick(3) == 0 ? FieldValue::Number(Pick(4)) : FieldValue::String(Word());
          if (Pick(8) == 0) item.kind = FieldValue::Kind::kNull;
          list.items.push_back(item);
        }
        return list;
      }
      default: return FieldValue();
    }
  }

  Literal Lit() {
    Literal literal;
    switch (Pick(5)) {
      case 0: literal.kind = Literal::Kind::kString; literal.text = Word(); break;
      case 1: literal.kind = Literal::Kind::kString; literal.text = Word().substr(0, 1); break;
      case 2: literal.kind = Literal::Kind::kNumber; literal.number = Pick(2) ? Pick(9) - 1 : std::uniform_real_distribution<double>(-6, 6)(rng_); break;
      case 3: literal.kind = Literal::Kind::kBool; literal.boolean = Pick(2) == 1; break;
      default: literal.kind = Literal::Kind::kNull; break;
    }
    return literal;
  }

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::string Word() {
    static const char* kWords[] = {"CN", "US", "DE", "books", "sci-fi", "b", "", "Oslo", "a b"};
    return kWords[Pick(9)];
  }

 private:
  std::mt19937 rng_;
};

TEST(BitmapIndexTest, MatchesBruteForceUnderUpdates) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    RandomValues random(seed);
    BitmapIndex index;
    const uint32_t kSlots = 600;
    const std::vector<std::string> fields = {"f.discrete", "f.continuous", "f.sparse"};
    std::map<uint32_t, std::map<std::string, FieldValue>> truth;
    std::vector<bool> alive(kSlots, false);
    auto check = [&](const std::string& when) {
      for (int q = 0; q < 300; ++q) {
        const std::string& field = fields[random.Pick(3)];
        static const char* kOps[] = {"cmp", "cmp", "cmp", "contains", "exists"};
        std::string op = kOps[random.Pick(5)];
        CompareOp cmp = static_cast<CompareOp>(random.Pick(6));
        Literal literal = random.Lit();
        Roaring got = op == "exists"     ? index.Present(field)
                      : op == "contains" ? index.Contains(field, literal)
                                         : index.Compare(field, cmp, literal);
        Roaring want;
        for (uint32_t slot = 0; slot < kSlots; ++slot) {
          if (!alive[slot]) continue;
          auto row = truth[slot].find(field);
          std::optional<FieldValue> value;
          if (row != truth[slot].end()) value = row->second;
          if (Reference(value, op, cmp, literal)) want.add(slot);
        }
        ASSERT_EQ(got, want) << when << " seed " << seed << " field " << field << " op " << op << " "
                             << CompareOpText(cmp) << " " << LiteralToString(literal) << ": got "
                             << got.cardinality() << " want " << want.cardinality();
        // The same among a few candidates (as after earlier clauses) gives their share.
        Roaring within;
        for (uint32_t slot : index.all()) {
          if (random.Pick(10) == 0) within.add(slot);
        }
        Roaring among = op == "exists"     ? index.Present(field, &within)
                        : op == "contains" ? index.Contains(field, literal, &within)
                                           : index.Compare(field, cmp, literal, &within);
        ASSERT_EQ(among, want & within) << when << " seed " << seed << " field " << field << " op " << op << " "
                                        << CompareOpText(cmp) << " " << LiteralToString(literal) << " within";
        // The DenseSet answers, over everyone and among the few.
        for (const Roaring* scope : {&index.all(), static_cast<const Roaring*>(&within)}) {
          const DenseSet dense_scope = DenseSet::Of(*scope, index.SlotBound());
          DenseSet dense = op == "exists"     ? index.Present(field, dense_scope)
                           : op == "contains" ? index.Contains(field, literal, dense_scope)
                                              : index.Compare(field, cmp, literal, dense_scope);
          ASSERT_EQ(dense.ToRoaring(), want & *scope) << when << " seed " << seed << " field " << field << " op " << op
                                                      << " " << CompareOpText(cmp) << " " << LiteralToString(literal)
                                                      << " dense";
          if (op == "cmp" && cmp == CompareOp::kEq) {
            Literal other = random.Lit();
            Roaring any_want = index.Equal(field, literal) | index.Equal(field, other);
            ASSERT_EQ(index.EqualAny(field, {literal, other}, dense_scope).ToRoaring(), any_want & *scope) << "in, dense";
            ASSERT_EQ(index.EqualAny(field, {literal, other}, scope == &within ? &within : nullptr), any_want & *scope)
                << "in";
          }
        }
      }
      // Numbers with a default for missing values (interest scores, event counts).
      for (int q = 0; q < 50; ++q) {
        CompareOp cmp = static_cast<CompareOp>(random.Pick(6));
        double v = random.Pick(9) - 1;
        Roaring got = index.CompareNumber("f.discrete", cmp, v, 0);
        Roaring want;
        for (uint32_t slot = 0; slot < kSlots; ++slot) {
          if (!alive[slot]) continue;
          auto row = truth[slot].find("f.discrete");
          double x = row != truth[slot].end() && row->second.kind == FieldValue::Kind::kNumber ? row->second.number : 0;
          if (Holds(x, cmp, v)) want.add(slot);
        }
        ASSERT_EQ(got, want) << when << " seed " << seed << " CompareNumber " << CompareOpText(cmp) << " " << v;
        Roaring within;
        for (uint32_t slot : index.all()) {
          if (random.Pick(8) == 0) within.add(slot);
        }
        ASSERT_EQ(index.CompareNumber("f.discrete", cmp, v, 0, &within), want & within) << when << " within";
        ASSERT_EQ(index.CompareNumber("f.discrete", cmp, v, 0, DenseSet::Of(within, index.SlotBound())).ToRoaring(),
                  want & within)
            << when << " within, dense";
      }
    };
    auto set = [&](uint32_t slot) {
      if (!alive[slot]) {
        index.AddSlot(slot);
        alive[slot] = true;
      }
      const std::string& field = fields[random.Pick(3)];
      if (field == "f.sparse" && random.Pick(4) != 0) return;
      FieldValue value = random.Value(field == "f.continuous");
      if (random.Pick(10) == 0) {
        index.Clear(slot, field);
        truth[slot].erase(field);
      } else {
        index.Set(slot, field, value);
        truth[slot][field] = value;
      }
    };
    for (int i = 0; i < 3000; ++i) set(static_cast<uint32_t>(random.Pick(kSlots)));
    check("after load");
    index.Optimize();
    check("after optimize");
    for (int i = 0; i < 1500; ++i) {
      uint32_t slot = static_cast<uint32_t>(random.Pick(kSlots));
      if (random.Pick(6) == 0) {
        index.RemoveSlot(slot);
        alive[slot] = false;
        truth.erase(slot);
      } else {
        set(slot);
      }
    }
    check("after updates");
    index.Optimize();
    check("after second optimize");
  }
}

TEST(BitmapIndexTest, ManyDistinctNumbersFilterTheBoundaryBucket) {
  BitmapIndex index;
  for (uint32_t slot = 0; slot < 10000; ++slot) {
    index.AddSlot(slot);
    index.Set(slot, "x", FieldValue::Number(slot * 0.001));
  }
  index.Optimize();
  FieldStats stats = index.Stats("x");
  EXPECT_EQ(stats.buckets, kMaxBuckets);
  EXPECT_FALSE(stats.exact_buckets);
  Literal bound;
  bound.kind = Literal::Kind::kNumber;
  bound.number = 4.2345;
  EXPECT_EQ(index.Compare("x", CompareOp::kGe, bound).cardinality(), 10000u - 4235u);
  EXPECT_EQ(index.Compare("x", CompareOp::kLt, bound).cardinality(), 4235u);
  // Few distinct values: one exact bucket each.
  for (uint32_t slot = 0; slot < 10000; ++slot) index.Set(slot, "x", FieldValue::Number(slot % 7));
  index.Optimize();
  EXPECT_TRUE(index.Stats("x").exact_buckets);
  bound.number = 3;
  EXPECT_EQ(index.Compare("x", CompareOp::kGt, bound).cardinality(), 3u * 1428u);  // residues 4, 5, 6
}

// Enough values for every bucket and group: ranges taken from the cuts (on both sides
// of the middle and between two cuts), values kept as decimal codes and as doubles,
// and updates after Optimize (a new value that no code fits turns its bucket to doubles).
TEST(BitmapIndexTest, RangesFromCutsAndCodedValuesMatchBruteForce) {
  std::mt19937 rng(7);
  auto uniform = [&rng](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  // Each kind of value the codes meet: counts, cents, millionths, any double, extremes.
  auto draw = [&](int kind) -> double {
    switch (kind) {
      case 0: return static_cast<double>(std::uniform_int_distribution<int>(0, 3000)(rng));
      case 1: return static_cast<double>(std::uniform_int_distribution<int>(-50000, 500000)(rng)) / 100;
      case 2: return static_cast<double>(std::uniform_int_distribution<int>(1, 1000000)(rng)) / 1e6;
      case 3: return uniform(-1e3, 1e3);
      default: {
        static const double kOdd[] = {1e300, -1e300, 4294967296.0 * 3, 0.1, 1e-9, 123456789.123456789, -0.0};
        return kOdd[std::uniform_int_distribution<int>(0, 6)(rng)];
      }
    }
  };
  for (int kind = 0; kind <= 3; ++kind) {
    BitmapIndex index;
    const uint32_t kSlots = 20000;
    std::vector<std::optional<double>> truth(kSlots);
    for (uint32_t slot = 0; slot < kSlots; ++slot) {
      index.AddSlot(slot);
      if (slot % 5 == 0) continue;  // some people have no value
      truth[slot] = draw(kind);
      index.Set(slot, "x", FieldValue::Number(*truth[slot]));
    }
    index.Optimize();
    ASSERT_EQ(index.Stats("x").buckets, kMaxBuckets);
    auto check = [&](const std::string& when) {
      for (int q = 0; q < 400; ++q) {
        const CompareOp op = static_cast<CompareOp>(std::uniform_int_distribution<int>(0, 5)(rng));
        // Bounds at held values (the boundary bucket filters) and between them.
        double v = q % 3 == 0 ? draw(kind) : truth[std::uniform_int_distribution<uint32_t>(0, kSlots - 1)(rng)].value_or(0);
        Literal bound;
        bound.kind = Literal::Kind::kNumber;
        bound.number = v;
        Roaring want;
        for (uint32_t slot = 0; slot < kSlots; ++slot) {
          // != is not(=): people without a value are in it.
          if (op == CompareOp::kNe ? !(truth[slot] && *truth[slot] == v) : truth[slot] && Holds(*truth[slot], op, v)) {
            want.add(slot);
          }
        }
        ASSERT_EQ(index.Compare("x", op, bound), want) << when << " kind " << kind << " x " << CompareOpText(op) << " " << v;
        ASSERT_EQ(index.Compare("x", op, bound, DenseSet::Of(index.all(), index.SlotBound())).ToRoaring(), want)
            << when << " kind " << kind << " x " << CompareOpText(op) << " " << v << " dense";

        // Two comparisons as one range (`x >= a and x < b`), people without a value
        // failing or counting as 0; among everyone, few and many candidates.
        const CompareOp lower = q % 2 == 0 ? CompareOp::kGe : CompareOp::kGt;
        const CompareOp upper = static_cast<CompareOp>(std::uniform_int_distribution<int>(0, 5)(rng));
        if (upper == CompareOp::kNe) continue;
        const double w = q % 4 == 0 ? draw(kind) : truth[std::uniform_int_distribution<uint32_t>(0, kSlots - 1)(rng)].value_or(1);
        const NumberTest tests[] = {{lower, std::min(v, w)}, {upper, std::max(v, w)}};
        for (std::optional<double> missing : {std::optional<double>(), std::optional<double>(0.0)}) {
          Roaring in_range, few, many;
          for (uint32_t slot = 0; slot < kSlots; ++slot) {
            if (slot % 61 == 0) few.add(slot);
            if (slot % 3 != 0) many.add(slot);
            const std::optional<double> x = truth[slot] ? truth[slot] : missing;
            if (x && Holds(*x, tests[0].op, tests[0].value) && Holds(*x, tests[1].op, tests[1].value)) in_range.add(slot);
          }
          const std::string what = StrCat(when, " kind ", kind, " x ", CompareOpText(tests[0].op), " ", tests[0].value,
                                          " and ", CompareOpText(tests[1].op), " ", tests[1].value,
                                          missing ? " (missing 0)" : "");
          ASSERT_EQ(index.NumberIn("x", tests, missing), in_range) << what;
          ASSERT_EQ(index.NumberIn("x", tests, missing, &few), in_range & few) << what << " few";
          ASSERT_EQ(index.NumberIn("x", tests, missing, &many), in_range & many) << what << " many";
          ASSERT_EQ(index.NumberIn("x", tests, missing, DenseSet::Of(many, index.SlotBound())).ToRoaring(), in_range & many)
              << what << " dense";
        }
      }
    };
    check("after optimize");
    for (int update = 0; update < 4000; ++update) {
      uint32_t slot = std::uniform_int_distribution<uint32_t>(0, kSlots - 1)(rng);
      if (update % 7 == 0) {
        index.Clear(slot, "x");
        truth[slot].reset();
      } else {
        truth[slot] = draw(update % 50 == 0 ? 4 : kind);
        index.Set(slot, "x", FieldValue::Number(*truth[slot]));
      }
    }
    check("after updates");
    index.Optimize();
    check("after second optimize");
  }
}

// A skewed field of few values (ages): one bucket per value, grouped by holders, so
// the middle's large buckets are groups of one or two and a range's ends cost little.
// Ranges equal brute force over several chunks, after loading, after updates that bring
// new values (a bucket each, regrouped) and after Optimize regroups by the final sizes.
TEST(BitmapIndexTest, SkewedFieldsGroupBucketsByHolders) {
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(38, 13);
  auto age = [&] { return std::clamp(std::round(normal(rng)), 16.0, 80.0); };
  BitmapIndex index;
  const uint32_t kSlots = 200000;  // four chunks
  std::vector<std::optional<double>> truth(kSlots);
  for (uint32_t slot = 0; slot < kSlots; ++slot) {
    index.AddSlot(slot);
    if (slot % 9 == 0) continue;
    truth[slot] = age();
    index.Set(slot, "age", FieldValue::Number(*truth[slot]));
  }
  index.Optimize();
  auto check_groups = [&](const std::string& when) {
    const FieldStats stats = index.Stats("age");
    ASSERT_TRUE(stats.exact_buckets) << when;
    const size_t target = (stats.buckets + 3) / 4;
    ASSERT_GE(stats.groups, target - 2) << when;
    ASSERT_LE(stats.groups, target + 2) << when;
    // Boundaries fall at the holders' quantiles: a group holds its share and at most
    // one bucket more (four of the middle buckets would hold about twice the share).
    uint64_t largest_bucket = 0;
    for (double value = 0; value <= 100; ++value) {
      Literal bound;
      bound.kind = Literal::Kind::kNumber;
      bound.number = value;
      largest_bucket = std::max(largest_bucket, index.Compare("age", CompareOp::kEq, bound).cardinality());
    }
    EXPECT_LE(stats.largest_group, stats.present / target + largest_bucket) << when;
  };
  auto check = [&](const std::string& when) {
    Roaring many;
    for (uint32_t slot = 0; slot < kSlots; ++slot) {
      if (slot % 3 != 0) many.add(slot);
    }
    for (double low = 10; low <= 85; low += 1) {
      for (double high = low; high <= 86; high += 3) {
        const NumberTest tests[] = {{CompareOp::kGe, low}, {CompareOp::kLe, high}};
        Roaring want;
        for (uint32_t slot = 0; slot < kSlots; ++slot) {
          if (truth[slot] && *truth[slot] >= low && *truth[slot] <= high) want.add(slot);
        }
        const std::string what = StrCat(when, ": ", low, " <= age <= ", high);
        ASSERT_EQ(index.NumberIn("age", tests, std::nullopt), want) << what;
        ASSERT_EQ(index.NumberIn("age", tests, std::nullopt, DenseSet::Of(many, index.SlotBound())).ToRoaring(),
                  want & many)
            << what << " dense";
      }
    }
  };
  check_groups("after loading");
  check("after loading");
  // New values below and above the range held: new buckets, regrouped.
  for (int update = 0; update < 3000; ++update) {
    const uint32_t slot = std::uniform_int_distribution<uint32_t>(0, kSlots - 1)(rng);
    if (update % 11 == 0) {
      index.Clear(slot, "age");
      truth[slot].reset();
      continue;
    }
    truth[slot] = update % 100 == 0 ? static_cast<double>(std::uniform_int_distribution<int>(0, 15)(rng) + (update % 200 == 0 ? 81 : 0))
                                    : age();
    index.Set(slot, "age", FieldValue::Number(*truth[slot]));
  }
  check("after updates");
  index.Optimize();
  check_groups("after second optimize");
  check("after second optimize");
}

// A score of exactly 1 held by 40 % (a person's first interest) fills a bucket of its
// own; the other groups share the rest, rather than the quantiles inside that bucket
// leaving the rest in a few groups of many buckets.
TEST(BitmapIndexTest, AHeavyValueIsAGroupOfItsOwn) {
  std::mt19937 rng(12);
  BitmapIndex index;
  const uint32_t kSlots = 150000;
  std::vector<std::optional<double>> truth(kSlots);
  for (uint32_t slot = 0; slot < kSlots; ++slot) {
    index.AddSlot(slot);
    if (slot % 4 == 0) continue;
    const bool first = std::uniform_real_distribution<double>(0, 1)(rng) < 0.4;
    truth[slot] = first ? 1.0 : std::uniform_int_distribution<int>(1, 999999)(rng) / 1e6;
    index.Set(slot, "score", FieldValue::Number(*truth[slot]));
  }
  index.Optimize();
  const FieldStats stats = index.Stats("score");
  ASSERT_FALSE(stats.exact_buckets);
  const size_t target = (stats.buckets + 3) / 4;
  EXPECT_GE(stats.groups, target - 2);
  EXPECT_LE(stats.groups, target + 2);
  Literal one;
  one.kind = Literal::Kind::kNumber;
  one.number = 1;
  EXPECT_EQ(stats.largest_group, index.Compare("score", CompareOp::kEq, one).cardinality());
  for (double low = 0; low <= 1; low += 0.0625) {
    const NumberTest tests[] = {{CompareOp::kGe, low}};
    Roaring want;
    for (uint32_t slot = 0; slot < kSlots; ++slot) {
      if (truth[slot] && *truth[slot] >= low) want.add(slot);
    }
    ASSERT_EQ(index.NumberIn("score", tests, std::nullopt), want) << low;
    ASSERT_EQ(index.NumberIn("score", tests, std::nullopt, DenseSet::Of(index.all(), index.SlotBound())).ToRoaring(), want)
        << low << " dense";
  }
}

TEST(BitmapIndexTest, AmongFewCandidatesBucketByBucket) {
  // Few candidates against many values: each bucket meets the candidates, and the
  // bucket a bound falls in finds each candidate's value by its rank.
  BitmapIndex index;
  for (uint32_t slot = 0; slot < 200000; ++slot) {
    index.AddSlot(slot);
    index.Set(slot, "x", FieldValue::Number((slot * 7919 % 200000) * 0.001));
  }
  index.Optimize();
  ASSERT_FALSE(index.Stats("x").exact_buckets);
  Roaring few;
  for (uint32_t slot = 3; slot < 200000; slot += 9973) few.add(slot);
  Literal bound;
  bound.kind = Literal::Kind::kNumber;
  for (CompareOp op : {CompareOp::kGe, CompareOp::kLt, CompareOp::kEq, CompareOp::kNe, CompareOp::kGt, CompareOp::kLe}) {
    for (double v : {4.2345, 42.5, 0.0, 199.95, 100.0, 7.919, 3.0}) {
      bound.number = v;
      EXPECT_EQ(index.Compare("x", op, bound, &few), index.Compare("x", op, bound) & few) << CompareOpText(op) << " " << v;
      EXPECT_EQ(index.CompareNumber("x", op, v, 0, &few), index.CompareNumber("x", op, v, 0) & few)
          << CompareOpText(op) << " " << v;
    }
  }
}

TEST(BitmapIndexTest, UnknownFieldsAndNulls) {
  BitmapIndex index;
  index.AddSlot(1);
  index.AddSlot(2);
  index.Set(1, "a", FieldValue::String("x"));
  Literal null_literal;
  EXPECT_EQ(index.Equal("a", null_literal), Roaring::bitmapOf(1, 2));
  EXPECT_EQ(index.Equal("missing", null_literal), Roaring::bitmapOf(2, 1, 2));
  EXPECT_EQ(index.Compare("missing", CompareOp::kNe, null_literal), Roaring());
  EXPECT_TRUE(index.Present("missing").isEmpty());
  EXPECT_EQ(index.CompareNumber("missing", CompareOp::kLt, 1, 0), Roaring::bitmapOf(2, 1, 2));
}

// A field's per-slot string ids start a byte wide and widen as strings are added past
// 255 and 65,535; every slot keeps its string through each widening, and replacing or
// clearing a value leaves the old string's bitmap.
TEST(BitmapIndexTest, StringIdsWidenWithoutLosingValues) {
  BitmapIndex index;
  std::mt19937 rng(3);
  std::vector<std::string> held(3000);
  auto text = [](uint32_t n) { return StrCat("v", n); };
  for (uint32_t slot = 0; slot < held.size(); ++slot) {
    index.AddSlot(slot);
    held[slot] = text(slot % 200);  // one byte a slot
    index.Set(slot, "f", FieldValue::String(held[slot]));
  }
  const size_t narrow_bytes = index.Stats("f").bytes;
  for (uint32_t n = 0; n < 70000; ++n) {  // ids past 255, then past 65,535
    const auto slot = static_cast<uint32_t>(rng() % held.size());
    held[slot] = text(200 + n);
    index.Set(slot, "f", FieldValue::String(held[slot]));
    if (n % 7 == 0) {
      const auto cleared = static_cast<uint32_t>(rng() % held.size());
      held[cleared].clear();
      index.Clear(cleared, "f");
    }
  }
  EXPECT_GT(index.Stats("f").bytes, narrow_bytes);
  std::map<std::string, Roaring> want;
  for (uint32_t slot = 0; slot < held.size(); ++slot) {
    if (!held[slot].empty()) want[held[slot]].add(slot);
  }
  for (uint32_t n : {0u, 5u, 199u, 250u, 300u, 60000u, 69999u, 70199u}) {
    Literal literal;
    literal.kind = Literal::Kind::kString;
    literal.text = text(n);
    EXPECT_EQ(index.Equal("f", literal), want[literal.text]) << literal.text;
  }
  uint64_t present = 0;
  for (const auto& [value, slots] : want) present += slots.cardinality();
  EXPECT_EQ(index.Present("f").cardinality(), present);
}

}  // namespace
}  // namespace aidmp::audience
