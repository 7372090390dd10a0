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
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "roaring/roaring.hh"

namespace aidmp::audience {

class DenseSet {
 public:
  DenseSet() = default;
  explicit DenseSet(uint32_t size);  // empty

  // The members of `bitmap` below `size`.
  static DenseSet Of(const Roaring& bitmap, uint32_t size);

  uint32_t size() const { return size_; }
  bool isEmpty() const;
  uint64_t cardinality() const;
  bool contains(uint32_t slot) const { return slot < size_ && (words_[slot >> 6] >> (slot & 63) & 1) != 0; }
  void add(uint32_t slot) {
    if (slot < size_) words_[slot >> 6] |= uint64_t{1} << (slot & 63);
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
  // this |= bitmap & mask, without building the intersection.
  void AddMet(const Roaring& bitmap, const DenseSet& mask);
  // this & bitmap and this - bitmap as new sets, in one pass over this.
  DenseSet Meet(const Roaring& bitmap) const;
  DenseSet Outside(const Roaring& bitmap) const;

  Roaring ToRoaring() const;

  class Iterator {
   public:
    Iterator(const DenseSet* set, size_t word);
    uint32_t operator*() const { return static_cast<uint32_t>(word_ * 64 + __builtin_ctzll(bits_)); }
    Iterator& operator++();
    bool operator!=(const Iterator& other) const { return word_ != other.word_ || bits_ != other.bits_; }

   private:
    void Skip();
    const DenseSet* set_;
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
  static DenseSet Unfilled(uint32_t size);
  template <typename Op>
  DenseSet Combine(const Roaring& bitmap, bool absent_kept, Op op) const;

  static constexpr size_t kChunkWords = 1024;  // 65,536 slots, a CRoaring container
  uint32_t size_ = 0;
  std::vector<uint64_t, Uninitialised<uint64_t>> words_;  // whole chunks; bits at or past size_ stay 0
};

// An empty set of the same kind (and size) as `like`, for code written over both kinds.
inline Roaring EmptyLike(const Roaring&) { return Roaring(); }
inline DenseSet EmptyLike(const DenseSet& like) { return DenseSet(like.size()); }

}  // namespace aidmp::audience
