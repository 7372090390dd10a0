// aidmp_bench_dense_set: what one step of a segment count costs, per kind of CRoaring
// container (docs/benchmarks.md, "Segment counts", "Session 10").
//
// A count over everyone keeps its candidates in a DenseSet (a bitset) and meets every
// leaf's bitmaps with it container by container (dense_set.h). This times those
// operations on 2 million slots, for the container kinds a real index holds (arrays
// of 2 % and 5 % of a chunk, bitsets of 30 %, runs of a field 98 % of people have, and
// the last two as the index holds them after Optimize: bitsets, by PreferBitsets),
// with candidates of everyone and of 1 %, beside two baselines in the same run:
//   DenseAnd     the same candidates met with another DenseSet: one pass over both,
//                the floor of any operation that writes a new set;
//   RoaringAnd   CRoaring's own intersection of the candidates (as a Roaring) with
//                the bitmap: what the count would cost without DenseSet.
//
//   build/release/bench/aidmp_bench_dense_set        # about 20 s
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "audience/dense_set.h"
#include "roaring/roaring.hh"

namespace aidmp::audience {
namespace {

constexpr uint32_t kSlots = 2'000'000;

// A bitmap holding each slot with probability `density`, runs compressed as an index's
// Optimize() leaves them.
Roaring Random(double density, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::bernoulli_distribution holds(density);
  std::vector<uint32_t> slots;
  for (uint32_t slot = 0; slot < kSlots; ++slot) {
    if (holds(random)) slots.push_back(slot);
  }
  Roaring bitmap;
  bitmap.addMany(slots.size(), slots.data());
  bitmap.runOptimize();
  return bitmap;
}

Roaring AsIndexed(Roaring bitmap) {
  PreferBitsets(&bitmap);
  return bitmap;
}

// The bitmaps by benchmark argument: 0 array 2 %, 1 array 5 %, 2 bitset 30 %, 3 runs
// 98 %, then 1 and 3 as BitmapIndex::Optimize leaves them (PreferBitsets: bitsets).
const Roaring& Bitmap(int64_t kind) {
  static const std::vector<Roaring> bitmaps = {Random(0.02, 1), Random(0.05, 2), Random(0.30, 3), Random(0.98, 4),
                                               AsIndexed(Random(0.05, 2)), AsIndexed(Random(0.98, 4))};
  return bitmaps[static_cast<size_t>(kind)];
}

// The candidates by argument: 100 (everyone) or 1 (percent).
const Roaring& Candidates(int64_t percent) {
  static const Roaring everyone = [] {
    Roaring all;
    all.addRange(0, kSlots);
    all.runOptimize();
    return all;
  }();
  static const Roaring few = Random(0.01, 5);
  return percent == 100 ? everyone : few;
}

void Label(benchmark::State& state) {
  static const char* const kKinds[] = {"array 2%",  "array 5%", "bitset 30%", "runs 98%", "array 5% indexed",
                                       "runs 98% indexed"};
  state.SetLabel(std::string(kKinds[state.range(0)]) + ", candidates " + std::to_string(state.range(1)) + "%");
}

// Times `op` (Meet or Outside: each writes a new set) of the candidates with a bitmap.
void TimeNewSet(benchmark::State& state, DenseSet (DenseSet::*op)(const Roaring&) const) {
  const DenseSet candidates = DenseSet::Of(Candidates(state.range(1)), kSlots);
  const Roaring& bitmap = Bitmap(state.range(0));
  for (auto _ : state) {
    DenseSet result = (candidates.*op)(bitmap);
    benchmark::DoNotOptimize(result);
  }
  Label(state);
}

void BM_Meet(benchmark::State& state) { TimeNewSet(state, &DenseSet::Meet); }
void BM_Outside(benchmark::State& state) { TimeNewSet(state, &DenseSet::Outside); }

void BM_SubtractInPlace(benchmark::State& state) {
  const DenseSet candidates = DenseSet::Of(Candidates(state.range(1)), kSlots);
  const Roaring& bitmap = Bitmap(state.range(0));
  DenseSet result = candidates;
  for (auto _ : state) {
    result -= bitmap;
    benchmark::DoNotOptimize(result);
  }
  Label(state);
}

// The same as Meet with the chunk built in cache first (ChunkBits), as a count's leaves
// are: the bitmap's container copied or scattered into 8 KB, then one pass.
void BM_MeetBuilt(benchmark::State& state) {
  const DenseSet candidates = DenseSet::Of(Candidates(state.range(1)), kSlots);
  const Roaring& bitmap = Bitmap(state.range(0));
  for (auto _ : state) {
    DenseSet result = candidates.MeetBuilt([&](uint32_t key, ChunkBits& bits) { bits.Assign(bitmap, key); });
    benchmark::DoNotOptimize(result);
  }
  Label(state);
}

void BM_DenseAnd(benchmark::State& state) {  // baseline
  const DenseSet candidates = DenseSet::Of(Candidates(state.range(1)), kSlots);
  const DenseSet other = DenseSet::Of(Bitmap(state.range(0)), kSlots);
  for (auto _ : state) {
    DenseSet result = candidates;
    result &= other;
    benchmark::DoNotOptimize(result);
  }
  Label(state);
}

void BM_RoaringAnd(benchmark::State& state) {  // baseline
  const Roaring& candidates = Candidates(state.range(1));
  const Roaring& bitmap = Bitmap(state.range(0));
  for (auto _ : state) {
    Roaring result = candidates & bitmap;
    benchmark::DoNotOptimize(result);
  }
  Label(state);
}

void Args(benchmark::internal::Benchmark* bench) {
  for (int64_t kind = 0; kind < 6; ++kind) {
    for (int64_t percent : {100, 1}) bench->Args({kind, percent});
  }
}

BENCHMARK(BM_Meet)->Apply(Args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Outside)->Apply(Args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SubtractInPlace)->Apply(Args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MeetBuilt)->Apply(Args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DenseAnd)->Apply(Args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RoaringAnd)->Apply(Args)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace aidmp::audience

BENCHMARK_MAIN();
