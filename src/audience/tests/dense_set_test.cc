// DenseSet against Roaring's own answers, over bitmaps holding every kind of CRoaring
// container (arrays, bitsets, runs), sizes that end mid-word and mid-chunk, and members
// past the set's size.
#include "audience/dense_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace aidmp::audience {
namespace {

// A bitmap of `size` + extra slots mixing sparse chunks, dense chunks and runs.
Roaring Mixed(uint32_t size, std::mt19937& rng) {
  Roaring bitmap;
  const uint32_t end = size + 70000;
  for (uint32_t chunk = 0; chunk * 65536 < end; ++chunk) {
    const uint32_t base = chunk * 65536;
    switch (rng() % 6) {
      case 0: break;  // empty chunk
      case 1:         // sparse: an array container
        for (int i = 0; i < 300; ++i) bitmap.add(base + rng() % 65536);
        break;
      case 2:         // dense: a bitset container
        for (int i = 0; i < 20000; ++i) bitmap.add(base + rng() % 65536);
        break;
      case 3:         // an array PreferBitsets rewrites
        for (int i = 0; i < 3000; ++i) bitmap.add(base + rng() % 65536);
        break;
      case 4: {       // nearly full: many short runs, ends anywhere in a word
        bitmap.addRange(base, base + 65536);
        for (int i = 0; i < 1500; ++i) bitmap.remove(base + rng() % 65536);
        break;
      }
      default: {      // a few long runs
        for (int i = 0; i < 5; ++i) {
          uint32_t start = base + rng() % 60000;
          bitmap.addRange(start, start + 1 + rng() % 5000);
        }
      }
    }
  }
  bitmap.runOptimize();
  return bitmap;
}

Roaring Clip(const Roaring& bitmap, uint64_t begin, uint64_t end) {
  Roaring range;
  if (begin < end) range.addRange(begin, end);
  return bitmap & range;
}

TEST(DenseSetTest, AgreesWithRoaring) {
  std::mt19937 rng(11);
  for (uint32_t size : {0u, 1u, 63u, 64u, 65u, 65536u, 100000u, 200003u}) {
    // Everyone, and slices of whole chunks (a count split over threads).
    const uint32_t chunks = DenseSet::Chunks(size);
    std::vector<std::pair<uint32_t, uint32_t>> slices = {{0, chunks}};
    if (chunks >= 2) slices.insert(slices.end(), {{0, 1}, {1, chunks - 1}, {1, 1}, {chunks - 1, 1}});
    for (auto [first, count] : slices) {
      const uint64_t begin = uint64_t{first} * 65536, end = std::min<uint64_t>(size, uint64_t{first + count} * 65536);
      const std::string where = "size " + std::to_string(size) + " chunks " + std::to_string(first) + "+" +
                                std::to_string(count);
      auto of = [&](const Roaring& bitmap) { return DenseSet::Of(bitmap, size, first, count); };
      for (int round = 0; round < 8; ++round) {
        Roaring a = Mixed(size, rng), b = Mixed(size, rng), c = Mixed(size, rng);
        if (round % 2 == 1) {  // as an index holds them after Optimize
          PreferBitsets(&b);
          PreferBitsets(&c);
        }
        const Roaring ca = Clip(a, begin, end), cb = Clip(b, begin, end), cc = Clip(c, begin, end);
        DenseSet set = of(a);
        ASSERT_EQ(set.ToRoaring(), ca) << where;
        ASSERT_EQ(set.cardinality(), ca.cardinality());
        ASSERT_EQ(set.isEmpty(), ca.isEmpty());
        ASSERT_TRUE(set.Empty().isEmpty());
        DenseSet both = set;
        both &= b;
        ASSERT_EQ(both.ToRoaring(), ca & cb) << where;
        ASSERT_EQ(set.Meet(b).ToRoaring(), ca & cb) << where;
        ASSERT_EQ(set.Outside(b).ToRoaring(), ca - cb) << where;
        DenseSet either = set;
        either |= b;
        ASSERT_EQ(either.ToRoaring(), ca | cb) << where;
        DenseSet minus = set;
        minus -= b;
        ASSERT_EQ(minus.ToRoaring(), ca - cb) << where;
        // Built chunk by chunk (ChunkBits): every step, over every container kind, the
        // same bitmap twice, and chunks the builder leaves empty (even keys).
        const Roaring d = Mixed(size, rng);
        const Roaring cd = Clip(d, begin, end);
        Roaring odd_chunks;
        for (uint32_t chunk = 1; chunk * 65536 < size; chunk += 2) odd_chunks.addRange(chunk * 65536, (chunk + 1) * 65536);
        const DenseSet built = set.MeetBuilt([&](uint32_t key, ChunkBits& bits) {
          if (key % 2 == 0) {
            bits.Clear();
            return;
          }
          bits.Assign(b, key);
          bits.Add(d, key);
          bits.Add(d, key);
          bits.Subtract(c, key);
          bits.Meet(a, key);
          bits.Set(7);
        });
        Roaring sevens;
        for (uint32_t chunk = 1; chunk * 65536 < size; chunk += 2) sevens.add(chunk * 65536 + 7);
        ASSERT_EQ(built.ToRoaring(), ca & odd_chunks & ((((cb | cd) - cc) & ca) | sevens)) << where;
        const DenseSet met_one = set.MeetBuilt([&](uint32_t key, ChunkBits& bits) {
          bits.Clear();
          bits.Meet(d, key);  // of nothing: nothing
          bits.Add(c, key);
        });
        ASSERT_EQ(met_one.ToRoaring(), ca & cc) << where;
        // A bitset container assigned is read in place; a change copies it first.
        ASSERT_EQ(set.MeetBuilt([&](uint32_t key, ChunkBits& bits) { bits.Assign(c, key); }).ToRoaring(), ca & cc) << where;
        Roaring c_and_sevens = cc;
        for (uint32_t chunk = 0; chunk * 65536 < size; ++chunk) c_and_sevens.add(chunk * 65536 + 7);
        ASSERT_EQ(set.MeetBuilt([&](uint32_t key, ChunkBits& bits) {
                       bits.Assign(c, key);
                       bits.Set(7);
                     }).ToRoaring(),
                  ca & c_and_sevens)
            << where;
        ASSERT_EQ(DenseSet::Of(c, size, first, count).ToRoaring(), cc) << where;  // the index's c is unchanged
        const DenseSet other = of(b);
        ASSERT_EQ((set - other).ToRoaring(), ca - cb);
        ASSERT_EQ((set | other).ToRoaring(), ca | cb);
        DenseSet dense_and = set;
        dense_and &= other;
        ASSERT_EQ(dense_and.ToRoaring(), ca & cb);
        std::vector<uint32_t> listed;
        for (uint32_t slot : set) listed.push_back(slot);
        std::vector<uint32_t> want(ca.cardinality());
        ca.toUint32Array(want.data());
        ASSERT_EQ(listed, want) << where;
        for (int probe = 0; probe < 50; ++probe) {
          uint32_t slot = static_cast<uint32_t>(rng() % (size + 100));
          ASSERT_EQ(set.contains(slot), ca.contains(slot)) << slot;
        }
        DenseSet added = set.Empty();
        added.add(size);  // past the end: not held
        if (begin > 0) added.add(static_cast<uint32_t>(begin - 1));  // before the slice: not held
        if (end < size) added.add(static_cast<uint32_t>(end));        // after it: not held
        if (begin < end) added.add(static_cast<uint32_t>(end - 1));
        ASSERT_EQ(added.cardinality(), begin < end ? 1u : 0u) << where;
      }
    }
  }
}

// Counting a container's kinds: (arrays, bitsets, runs).
std::tuple<int, int, int> Kinds(const Roaring& bitmap) {
  const roaring_array_t& containers = bitmap.roaring.high_low_container;
  int arrays = 0, bitsets = 0, runs = 0;
  for (int32_t index = 0; index < containers.size; ++index) {
    switch (containers.typecodes[index]) {
      case ARRAY_CONTAINER_TYPE_CODE: ++arrays; break;
      case BITSET_CONTAINER_TYPE_CODE: ++bitsets; break;
      case RUN_CONTAINER_TYPE_CODE: ++runs; break;
      default: break;
    }
  }
  return {arrays, bitsets, runs};
}

// PreferBitsets changes how members are held, never which: CRoaring's own operations
// (which meet bitset containers of 4,096 members or fewer only from us) agree.
TEST(DenseSetTest, PreferBitsetsKeepsTheMembers) {
  std::mt19937 rng(5);
  Roaring bitmap;
  for (int i = 0; i < 300; ++i) bitmap.add(rng() % 65536);                 // chunk 0: a small array, kept
  for (int i = 0; i < 3000; ++i) bitmap.add(65536 + rng() % 65536);        // chunk 1: a large array
  bitmap.addRange(2 * 65536, 3 * 65536);                                   // chunk 2: many short runs
  for (int i = 0; i < 1500; ++i) bitmap.remove(2 * 65536 + rng() % 65536);
  bitmap.addRange(3 * 65536 + 10, 3 * 65536 + 5000);                       // chunk 3: one run, kept
  bitmap.runOptimize();
  ASSERT_EQ(Kinds(bitmap), std::make_tuple(2, 0, 2));
  const Roaring before = bitmap;
  PreferBitsets(&bitmap);
  EXPECT_EQ(Kinds(bitmap), std::make_tuple(1, 2, 1));
  EXPECT_EQ(bitmap, before);
  EXPECT_EQ(before, bitmap);
  EXPECT_EQ(bitmap.cardinality(), before.cardinality());
  Roaring other;
  for (int i = 0; i < 100000; ++i) other.add(rng() % (4 * 65536));
  EXPECT_EQ(bitmap & other, before & other);
  EXPECT_EQ(bitmap | other, before | other);
  EXPECT_EQ(bitmap - other, before - other);
  for (uint32_t slot : {0u, 65536u + 17u, 2u * 65536u + 999u, 3u * 65536u + 4999u}) {
    EXPECT_EQ(bitmap.contains(slot), before.contains(slot));
    EXPECT_EQ(bitmap.rank(slot), before.rank(slot));
  }
  // Updates after it (a streaming index's) are CRoaring's as usual.
  uint32_t member = 0;
  ASSERT_TRUE(bitmap.select(static_cast<uint32_t>(bitmap.rank(65535)), &member));  // the first of chunk 1
  ASSERT_GE(member, 65536u);
  Roaring updated = bitmap, want = before;
  updated.remove(member);
  want.remove(member);
  updated.add(65536 + 65535);
  want.add(65536 + 65535);
  EXPECT_EQ(updated, want);
  EXPECT_EQ(updated.cardinality(), want.cardinality());
}

}  // namespace
}  // namespace aidmp::audience
