// DenseSet against Roaring's own answers, over bitmaps holding every kind of CRoaring
// container (arrays, bitsets, runs), sizes that end mid-word and mid-chunk, and members
// past the set's size.
#include "audience/dense_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
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
    switch (rng() % 4) {
      case 0: break;  // empty chunk
      case 1:         // sparse: an array container
        for (int i = 0; i < 300; ++i) bitmap.add(base + rng() % 65536);
        break;
      case 2:         // dense: a bitset container
        for (int i = 0; i < 20000; ++i) bitmap.add(base + rng() % 65536);
        break;
      default: {      // runs
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
        DenseSet met = of(c);
        met.AddMet(b, set);
        ASSERT_EQ(met.ToRoaring(), cc | (cb & ca)) << where;
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

}  // namespace
}  // namespace aidmp::audience
