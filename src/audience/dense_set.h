// A set of slots [0, size) as a plain bitset, for evaluating a segment over everyone.
//
// Why not CRoaring all the way: at 10 M people most bitmaps of a count are CRoaring
// array containers of hundreds to thousands of slots, and intersecting two of them is
// a scalar merge (Debian builds libroaring without AVX): about 4 ns a slot, 1.2 ms for
// 200k & 112k. Against a bitset, a CRoaring container costs one probe per slot of an
// array, one word per 64 slots of a bitset or a mask per run, and a whole chunk of
// 65,536 slots is 1,024 words. So a count keeps its candidates here and meets the
// index's bitmaps container by container.
//
// The interface follows Roaring's where the two meet (isEmpty, cardinality, contains,
// add, addMany, &=, |=, -=, range-for), so the plan evaluator runs on either.
// Members at or past size() are never held: operations with larger Roarings drop them.
//
// A set may cover a slice of [0, size): the chunks of 65,536 slots [first, first + n),
// so that two threads can each evaluate a count over half of everyone. Slots outside
// the slice are never members; sets combined with each other must cover the same one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "roaring/roaring.hh"

namespace aidmp::audience {

// One chunk of 65,536 slots as 1,024 words (8 KB, in cache), in which a leaf composes
// its bitmaps (cuts, buckets, value bitmaps), and a count its leaves, before a DenseSet
// meets the result once (DenseSet::MeetBuilt): each step then costs what its container
// holds, and the candidates are read and written once, not once per bitmap.
// Every operation takes the container of `bitmap` for chunk `key` (none: empty).
class ChunkBits {
 public:
  static constexpr size_t kWords = 1024;
  // The chunk's words: a bitset container of the index itself while the chunk is one
  // assigned and not yet changed (no copy), else the buffer.
  const uint64_t* words() const { return view_ != nullptr ? view_ : words_; }
  void Clear();
  // The chunk's members of `bitmap`.
  void Assign(const Roaring& bitmap, uint32_t key);
  void Add(const Roaring& bitmap, uint32_t key);
  void Subtract(const Roaring& bitmap, uint32_t key);
  void Meet(const Roaring& bitmap, uint32_t key);
  void Set(uint16_t bit) { Own()[bit >> 6] |= uint64_t{1} << (bit & 63); }
  // With another chunk's bits; Meet returns whether any bit is left.
  bool Meet(const ChunkBits& other);
  void Add(const ChunkBits& other);
  // Every bit not set, and none that is.
  void Flip();

 private:
  uint64_t* Own() {
    if (view_ != nullptr) Materialize();
    return words_;
  }
  void Materialize();
  template <typename Op>
  void Combine(const uint64_t* bits, Op op);

  const uint64_t* view_ = nullptr;
  alignas(64) uint64_t words_[kWords];
};

// Writes the members of a set in chunk `key` (a CRoaring container key) into `bits`.
// Fills are asked for chunks in increasing order (they may keep a place in their
// bitmaps) and may set bits of slots no one holds, as their answers are met with
// candidates before use.
using ChunkFill = std::function<void(uint32_t key, ChunkBits& bits)>;

class DenseSet {
 public:
  DenseSet() = default;
  explicit DenseSet(uint32_t size);  // empty

  // The members of `bitmap` below `size`.
  static DenseSet Of(const Roaring& bitmap, uint32_t size);
  // Those in the chunks [first_chunk, first_chunk + chunks) only.
  static DenseSet Of(const Roaring& bitmap, uint32_t size, uint32_t first_chunk, uint32_t chunks);
  // How many chunks of 65,536 slots [0, size) spans.
  static uint32_t Chunks(uint32_t size) { return static_cast<uint32_t>((uint64_t{size} + 65535) / 65536); }

  // An empty set over the same slice.
  DenseSet Empty() const;

  uint32_t size() const { return size_; }
  // The slice: chunks [first_chunk(), first_chunk() + chunk_count()).
  uint32_t first_chunk() const { return first_chunk_; }
  uint32_t chunk_count() const { return static_cast<uint32_t>(words_.size() / kChunkWords); }
  bool isEmpty() const;
  uint64_t cardinality() const;
  bool contains(uint32_t slot) const {
    const uint64_t word = Word(slot);
    return slot < size_ && word < words_.size() && (words_[word] >> (slot & 63) & 1) != 0;
  }
  void add(uint32_t slot) {
    const uint64_t word = Word(slot);
    if (slot < size_ && word < words_.size()) words_[word] |= uint64_t{1} << (slot & 63);
  }
  void addMany(size_t n, const uint32_t* slots) {
    for (size_t i = 0; i < n; ++i) add(slots[i]);
  }

  // With another set of the same size.
  DenseSet& operator&=(const DenseSet& other);
  DenseSet& operator|=(const DenseSet& other);
  DenseSet& operator-=(const DenseSet& other);
  DenseSet operator-(const DenseSet& other) const;
  DenseSet operator|(const DenseSet& other) const;

  // With a Roaring, container by container.
  DenseSet& operator&=(const Roaring& bitmap);
  DenseSet& operator|=(const Roaring& bitmap);
  DenseSet& operator-=(const Roaring& bitmap);
  // this & bitmap and this - bitmap as new sets, in one pass over this.
  DenseSet Meet(const Roaring& bitmap) const;
  DenseSet Outside(const Roaring& bitmap) const;

  // this & X as a new set, X built chunk by chunk: `fill(key, bits)` writes X's chunk
  // `key` (a CRoaring container key) into `bits`, for each chunk of the slice in order.
  DenseSet MeetBuilt(const ChunkFill& fill) const;

  Roaring ToRoaring() const;

  class Iterator {
   public:
    Iterator(const DenseSet* set, size_t word);
    uint32_t operator*() const { return static_cast<uint32_t>((base_ + word_) * 64 + __builtin_ctzll(bits_)); }
    Iterator& operator++();
    bool operator!=(const Iterator& other) const { return word_ != other.word_ || bits_ != other.bits_; }

   private:
    void Skip();
    const DenseSet* set_;
    size_t base_;  // the slice's first word
    size_t word_;
    uint64_t bits_;
  };
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, words_.size()); }

 private:
  // Leaves new words uninitialised, for results every word of which is written.
  template <typename T>
  struct Uninitialised : std::allocator<T> {
    template <typename U>
    struct rebind {
      using other = Uninitialised<U>;
    };
    template <typename U>
    void construct(U* at) noexcept {
      ::new (static_cast<void*>(at)) U;
    }
    template <typename U, typename... Args>
    void construct(U* at, Args&&... args) {
      ::new (static_cast<void*>(at)) U(std::forward<Args>(args)...);
    }
  };
  DenseSet Unfilled() const;  // the same slice, words uninitialised
  DenseSet Combine(const Roaring& bitmap, bool outside) const;
  // Calls `on(local chunk, typecode, container)` for each container of `bitmap` in the
  // slice, in order.
  template <typename F>
  void ForEachContainer(const Roaring& bitmap, F on) const;
  // The index in words_ of the word holding `slot` (past the end if outside the slice).
  uint64_t Word(uint32_t slot) const { return (slot >> 6) - uint64_t{first_chunk_} * kChunkWords; }

  static constexpr size_t kChunkWords = 1024;  // 65,536 slots, a CRoaring container
  uint32_t size_ = 0;
  uint32_t first_chunk_ = 0;
  // The slice's whole chunks; bits at or past size_ stay 0.
  std::vector<uint64_t, Uninitialised<uint64_t>> words_;
};

// Rewrites as bitsets the containers of `bitmap` that a DenseSet meets slowly: runs
// past kBitsetRuns (each run costs about what 20 words of a bitset do, as its ends fall
// in words at random) and arrays past kBitsetMembers (each member a read-modify-write
// of its word: 2,048 of them cost five times a bitset's 1,024 words, for at most twice
// the memory). Call after runOptimize(); the members are unchanged.
constexpr int32_t kBitsetRuns = 128;
constexpr int32_t kBitsetMembers = 2048;
void PreferBitsets(Roaring* bitmap);

// An empty set of the same kind (and size and slice) as `like`, for code written over
// both kinds.
inline Roaring EmptyLike(const Roaring&) { return Roaring(); }
inline DenseSet EmptyLike(const DenseSet& like) { return like.Empty(); }

}  // namespace aidmp::audience
