#include "audience/dense_set.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "roaring/containers/containers.h"

namespace aidmp::audience {
namespace {

constexpr size_t kChunkWords = 1024;

// Calls `on(member)` for each member of a sorted array, as four interleaved streams
// from its quarters. Setting or clearing a member's bit is a read-modify-write of its
// word, and members in order often share a word, so one stream waits on each store;
// four streams touch different words and overlap.
template <typename F>
inline __attribute__((always_inline)) void ForEachMember(const array_container_t* array, F on) {
  const uint16_t* members = array->array;
  const int32_t n = array->cardinality, quarter = n / 4;
  for (int32_t i = 0; i < quarter; ++i) {
    on(members[i]);
    on(members[i + quarter]);
    on(members[i + 2 * quarter]);
    on(members[i + 3 * quarter]);
  }
  for (int32_t i = 4 * quarter; i < n; ++i) on(members[i]);
}

// Calls `on(word, mask)` for each word of a chunk that the run container covers, with
// the bits of that word it covers: one call per word, so a run costs what its words do.
template <typename F>
inline __attribute__((always_inline)) void ForEachRunWord(const run_container_t* run, F on) {
  for (int32_t i = 0; i < run->n_runs; ++i) {
    const uint32_t first = run->runs[i].value, last = first + run->runs[i].length;  // [first, last]
    const uint32_t first_word = first >> 6, last_word = last >> 6;
    const uint64_t head = ~uint64_t{0} << (first & 63);         // bits from first on
    const uint64_t tail = ~uint64_t{0} >> (63 - (last & 63));   // bits up to last
    if (first_word == last_word) {
      on(first_word, head & tail);
      continue;
    }
    on(first_word, head);
    for (uint32_t word = first_word + 1; word < last_word; ++word) on(word, ~uint64_t{0});
    on(last_word, tail);
  }
}

__attribute__((target("popcnt"))) uint64_t CountPopcnt(const uint64_t* words, size_t n) {
  uint64_t count = 0;
  for (size_t i = 0; i < n; ++i) count += static_cast<uint64_t>(__builtin_popcountll(words[i]));
  return count;
}

uint64_t CountPortable(const uint64_t* words, size_t n) {
  uint64_t count = 0;
  for (size_t i = 0; i < n; ++i) count += static_cast<uint64_t>(__builtin_popcountll(words[i]));
  return count;
}

// Writes the positions of a chunk's set bits to `out` (room for their count + 4), in
// order; returns the count. Four positions are written for every word whether or not it
// has them (the next word's overwrite the extra), so the branches follow the words, not
// the bits: at array densities a word rarely has more than four. 0.5 ms against 1.3 ms
// for a loop per bit over 360k members.
inline __attribute__((always_inline)) size_t ExtractImpl(const uint64_t* words, uint16_t* out) {
  size_t n = 0;
  for (size_t i = 0; i < kChunkWords; ++i) {
    uint64_t bits = words[i];
    const auto base = static_cast<uint16_t>(i * 64);
    const auto here = static_cast<size_t>(__builtin_popcountll(bits));
    uint16_t* at = out + n;
    for (int k = 0; k < 4; ++k) {
      at[k] = static_cast<uint16_t>(base + __builtin_ctzll(bits | (uint64_t{1} << 63)));
      bits &= bits - 1;
    }
    if (__builtin_expect(here > 4, 0)) {
      for (size_t k = 4; bits != 0; ++k, bits &= bits - 1) at[k] = static_cast<uint16_t>(base + __builtin_ctzll(bits));
    }
    n += here;
  }
  return n;
}

// Both with the popcnt instruction where the CPU has it (Debian's baseline x86-64 does
// not promise it, and the library call costs a fifth of a count).
__attribute__((target("popcnt"))) size_t ExtractPopcnt(const uint64_t* words, uint16_t* out) {
  return ExtractImpl(words, out);
}
size_t ExtractPortable(const uint64_t* words, uint16_t* out) { return ExtractImpl(words, out); }

bool HasPopcnt() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("popcnt") != 0;
  }();
  return has;
}

uint64_t Count(const uint64_t* words, size_t n) {
  return HasPopcnt() ? CountPopcnt(words, n) : CountPortable(words, n);
}

size_t Extract(const uint64_t* words, uint16_t* out) {
  return HasPopcnt() ? ExtractPopcnt(words, out) : ExtractPortable(words, out);
}

// The container of `bitmap` for chunk `key` and its type, or null.
const void* ContainerAt(const Roaring& bitmap, uint32_t key, uint8_t* type) {
  const roaring_array_t& containers = bitmap.roaring.high_low_container;
  const uint16_t* keys = containers.keys;
  const uint16_t* at = std::lower_bound(keys, keys + containers.size, key);
  if (at == keys + containers.size || *at != key) return nullptr;
  const auto index = static_cast<int32_t>(at - keys);
  *type = containers.typecodes[index];
  return container_unwrap_shared(containers.containers[index], type);
}

// words |= (AddMembers) or &= ~ (SubtractMembers) the members of an array or run
// container; bitsets are left to the callers, which pass over them word by word.
void AddMembers(uint64_t* words, uint8_t type, const void* container) {
  if (type == ARRAY_CONTAINER_TYPE_CODE) {
    ForEachMember(static_cast<const array_container_t*>(container),
                  [words](uint16_t bit) { words[bit >> 6] |= uint64_t{1} << (bit & 63); });
  } else if (type == RUN_CONTAINER_TYPE_CODE) {
    ForEachRunWord(static_cast<const run_container_t*>(container),
                   [words](uint32_t word, uint64_t mask) { words[word] |= mask; });
  }
}

void SubtractMembers(uint64_t* words, uint8_t type, const void* container) {
  if (type == ARRAY_CONTAINER_TYPE_CODE) {
    ForEachMember(static_cast<const array_container_t*>(container),
                  [words](uint16_t bit) { words[bit >> 6] &= ~(uint64_t{1} << (bit & 63)); });
  } else if (type == RUN_CONTAINER_TYPE_CODE) {
    ForEachRunWord(static_cast<const run_container_t*>(container),
                   [words](uint32_t word, uint64_t mask) { words[word] &= ~mask; });
  }
}

}  // namespace

void ChunkBits::Clear() {
  view_ = nullptr;
  std::memset(words_, 0, sizeof(words_));
}

void ChunkBits::Materialize() {
  std::memcpy(words_, view_, sizeof(words_));
  view_ = nullptr;
}

void ChunkBits::Assign(const Roaring& bitmap, uint32_t key) {
  uint8_t type = 0;
  const void* container = ContainerAt(bitmap, key, &type);
  if (container != nullptr && type == BITSET_CONTAINER_TYPE_CODE) {
    view_ = static_cast<const bitset_container_t*>(container)->array;  // read in place until written
    return;
  }
  Clear();
  if (container != nullptr) Add(bitmap, key);
}

// words_ = (the view, or words_) `op` bits, in one pass.
template <typename Op>
inline void ChunkBits::Combine(const uint64_t* bits, Op op) {
  const uint64_t* from = view_ != nullptr ? view_ : words_;
  for (size_t i = 0; i < kWords; ++i) words_[i] = op(from[i], bits[i]);
  view_ = nullptr;
}

void ChunkBits::Add(const Roaring& bitmap, uint32_t key) {
  uint8_t type = 0;
  const void* container = ContainerAt(bitmap, key, &type);
  if (container == nullptr) return;
  if (type == BITSET_CONTAINER_TYPE_CODE) {
    Combine(static_cast<const bitset_container_t*>(container)->array, [](uint64_t a, uint64_t b) { return a | b; });
    return;
  }
  AddMembers(Own(), type, container);
}

void ChunkBits::Subtract(const Roaring& bitmap, uint32_t key) {
  uint8_t type = 0;
  const void* container = ContainerAt(bitmap, key, &type);
  if (container == nullptr) return;
  if (type == BITSET_CONTAINER_TYPE_CODE) {
    Combine(static_cast<const bitset_container_t*>(container)->array, [](uint64_t a, uint64_t b) { return a & ~b; });
    return;
  }
  SubtractMembers(Own(), type, container);
}

void ChunkBits::Meet(const Roaring& bitmap, uint32_t key) {
  uint8_t type = 0;
  const void* container = ContainerAt(bitmap, key, &type);
  if (container == nullptr) {
    Clear();
    return;
  }
  if (type == BITSET_CONTAINER_TYPE_CODE) {
    Combine(static_cast<const bitset_container_t*>(container)->array, [](uint64_t a, uint64_t b) { return a & b; });
    return;
  }
  ChunkBits other;
  other.Clear();
  other.Add(bitmap, key);
  Combine(other.words_, [](uint64_t a, uint64_t b) { return a & b; });
}

bool ChunkBits::Meet(const ChunkBits& other) {
  Combine(other.words(), [](uint64_t a, uint64_t b) { return a & b; });
  uint64_t any = 0;
  for (uint64_t word : words_) any |= word;
  return any != 0;
}

void ChunkBits::Add(const ChunkBits& other) {
  Combine(other.words(), [](uint64_t a, uint64_t b) { return a | b; });
}

void ChunkBits::Flip() {
  Combine(words_, [](uint64_t a, uint64_t) { return ~a; });
}

DenseSet::DenseSet(uint32_t size) : size_(size), words_(Chunks(size) * kChunkWords, 0) {}

DenseSet DenseSet::Empty() const {
  DenseSet set;
  set.size_ = size_;
  set.first_chunk_ = first_chunk_;
  set.words_.resize(words_.size(), 0);
  return set;
}

DenseSet DenseSet::Unfilled() const {
  DenseSet set;
  set.size_ = size_;
  set.first_chunk_ = first_chunk_;
  set.words_.resize(words_.size());
  return set;
}

template <typename F>
void DenseSet::ForEachContainer(const Roaring& bitmap, F on) const {
  const roaring_array_t& containers = bitmap.roaring.high_low_container;
  const size_t chunks = words_.size() / kChunkWords;
  const uint16_t* keys = containers.keys;
  int32_t index = static_cast<int32_t>(std::lower_bound(keys, keys + containers.size, first_chunk_) - keys);
  for (; index < containers.size; ++index) {
    const size_t chunk = containers.keys[index] - size_t{first_chunk_};
    if (chunk >= chunks) break;
    uint8_t type = containers.typecodes[index];
    const void* container = container_unwrap_shared(containers.containers[index], &type);
    on(chunk, type, container);
  }
}

// A new set: the chunks the bitmap has a container for are this set's words met with
// it (`outside` false) or with its complement (true); the other chunks are 0 or this
// set's words. An array or run container is applied member by member (run by run) to
// a zeroed or copied chunk, so it costs what it holds plus one write of the chunk; a
// bitset is one pass over both.
DenseSet DenseSet::Combine(const Roaring& bitmap, bool outside) const {
  DenseSet result = Unfilled();
  const size_t chunks = words_.size() / kChunkWords;
  auto absent = [&](size_t from_chunk, size_t to_chunk) {
    const auto from = static_cast<ptrdiff_t>(from_chunk * kChunkWords), to = static_cast<ptrdiff_t>(to_chunk * kChunkWords);
    if (outside) {
      std::copy(words_.begin() + from, words_.begin() + to, result.words_.begin() + from);
    } else {
      std::fill(result.words_.begin() + from, result.words_.begin() + to, 0);
    }
  };
  size_t next = 0;  // chunks before it are written
  ForEachContainer(bitmap, [&](size_t chunk, uint8_t type, const void* container) {
    absent(next, chunk);
    next = chunk + 1;
    const uint64_t* words = &words_[chunk * kChunkWords];
    uint64_t* out = &result.words_[chunk * kChunkWords];
    if (type == BITSET_CONTAINER_TYPE_CODE) {
      const uint64_t* bits = static_cast<const bitset_container_t*>(container)->array;
      if (outside) {
        for (size_t i = 0; i < kChunkWords; ++i) out[i] = words[i] & ~bits[i];
      } else {
        for (size_t i = 0; i < kChunkWords; ++i) out[i] = words[i] & bits[i];
      }
      return;
    }
    if (outside) {
      std::memcpy(out, words, kChunkWords * sizeof(uint64_t));
    } else {
      std::memset(out, 0, kChunkWords * sizeof(uint64_t));
    }
    if (type == ARRAY_CONTAINER_TYPE_CODE) {
      // Branch-free: a branch on each member's bit would mispredict at array densities.
      const auto* array = static_cast<const array_container_t*>(container);
      if (outside) {
        ForEachMember(array, [out](uint16_t bit) { out[bit >> 6] &= ~(uint64_t{1} << (bit & 63)); });
      } else {
        ForEachMember(array, [out, words](uint16_t bit) { out[bit >> 6] |= words[bit >> 6] & (uint64_t{1} << (bit & 63)); });
      }
    } else if (type == RUN_CONTAINER_TYPE_CODE) {
      const auto* run = static_cast<const run_container_t*>(container);
      if (outside) {
        ForEachRunWord(run, [out](uint32_t word, uint64_t mask) { out[word] &= ~mask; });
      } else {
        ForEachRunWord(run, [out, words](uint32_t word, uint64_t mask) { out[word] |= words[word] & mask; });
      }
    }
  });
  absent(std::min(next, chunks), chunks);
  return result;
}

DenseSet DenseSet::MeetBuilt(const ChunkFill& fill) const {
  DenseSet result = Unfilled();
  ChunkBits bits;
  for (size_t chunk = 0; chunk * kChunkWords < words_.size(); ++chunk) {
    fill(static_cast<uint32_t>(first_chunk_ + chunk), bits);
    const uint64_t* in = &words_[chunk * kChunkWords];
    const uint64_t* x = bits.words();
    uint64_t* out = &result.words_[chunk * kChunkWords];
    for (size_t i = 0; i < kChunkWords; ++i) out[i] = in[i] & x[i];
  }
  return result;
}

DenseSet DenseSet::Meet(const Roaring& bitmap) const { return Combine(bitmap, false); }

DenseSet DenseSet::Outside(const Roaring& bitmap) const { return Combine(bitmap, true); }

DenseSet DenseSet::Of(const Roaring& bitmap, uint32_t size) { return Of(bitmap, size, 0, Chunks(size)); }

DenseSet DenseSet::Of(const Roaring& bitmap, uint32_t size, uint32_t first_chunk, uint32_t chunks) {
  DenseSet set;
  set.size_ = size;
  set.first_chunk_ = std::min(first_chunk, Chunks(size));
  set.words_.resize(std::min<size_t>(chunks, Chunks(size) - set.first_chunk_) * kChunkWords, 0);
  set |= bitmap;
  return set;
}

bool DenseSet::isEmpty() const {
  return std::all_of(words_.begin(), words_.end(), [](uint64_t word) { return word == 0; });
}

uint64_t DenseSet::cardinality() const { return Count(words_.data(), words_.size()); }

DenseSet& DenseSet::operator&=(const DenseSet& other) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] &= other.words_[i];
  return *this;
}

DenseSet& DenseSet::operator|=(const DenseSet& other) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
  return *this;
}

DenseSet& DenseSet::operator-=(const DenseSet& other) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] &= ~other.words_[i];
  return *this;
}

DenseSet DenseSet::operator-(const DenseSet& other) const {
  DenseSet result = *this;
  result -= other;
  return result;
}

DenseSet DenseSet::operator|(const DenseSet& other) const {
  DenseSet result = *this;
  result |= other;
  return result;
}

DenseSet& DenseSet::operator&=(const Roaring& bitmap) {
  *this = Meet(bitmap);
  return *this;
}

DenseSet& DenseSet::operator|=(const Roaring& bitmap) {
  ForEachContainer(bitmap, [&](size_t chunk, uint8_t type, const void* container) {
    uint64_t* words = &words_[chunk * kChunkWords];
    if (type == BITSET_CONTAINER_TYPE_CODE) {
      const uint64_t* bits = static_cast<const bitset_container_t*>(container)->array;
      for (size_t i = 0; i < kChunkWords; ++i) words[i] |= bits[i];
    } else {
      AddMembers(words, type, container);
    }
  });
  // Drop what lies at or past size_ (in the last chunk).
  uint64_t word = Word(size_);
  if (word < words_.size()) {
    if (size_ % 64 != 0) words_[word++] &= (uint64_t{1} << (size_ % 64)) - 1;
    std::fill(words_.begin() + static_cast<ptrdiff_t>(word), words_.end(), 0);
  }
  return *this;
}

DenseSet& DenseSet::operator-=(const Roaring& bitmap) {
  ForEachContainer(bitmap, [&](size_t chunk, uint8_t type, const void* container) {
    uint64_t* words = &words_[chunk * kChunkWords];
    if (type == BITSET_CONTAINER_TYPE_CODE) {
      const uint64_t* bits = static_cast<const bitset_container_t*>(container)->array;
      for (size_t i = 0; i < kChunkWords; ++i) words[i] &= ~bits[i];
    } else {
      SubtractMembers(words, type, container);
    }
  });
  return *this;
}

Roaring DenseSet::ToRoaring() const {
  // Container by container, as CRoaring would hold them: a bitset above 4,096 members,
  // else an array.
  Roaring result;
  roaring_array_t* containers = &result.roaring.high_low_container;
  for (size_t chunk = 0; chunk * kChunkWords < words_.size(); ++chunk) {
    const uint64_t* words = &words_[chunk * kChunkWords];
    const uint64_t count = Count(words, kChunkWords);
    if (count == 0) continue;
    if (count > DEFAULT_MAX_SIZE) {
      bitset_container_t* bitset = bitset_container_create();
      if (bitset == nullptr) throw std::bad_alloc();
      std::memcpy(bitset->array, words, kChunkWords * sizeof(uint64_t));
      bitset->cardinality = static_cast<int32_t>(count);
      ra_append(containers, static_cast<uint16_t>(first_chunk_ + chunk), bitset, BITSET_CONTAINER_TYPE_CODE);
    } else {
      array_container_t* array = array_container_create_given_capacity(static_cast<int32_t>(count) + 4);
      if (array == nullptr) throw std::bad_alloc();
      array->cardinality = static_cast<int32_t>(Extract(words, array->array));
      ra_append(containers, static_cast<uint16_t>(first_chunk_ + chunk), array, ARRAY_CONTAINER_TYPE_CODE);
    }
  }
  return result;
}

void PreferBitsets(Roaring* bitmap) {
  roaring_array_t& containers = bitmap->roaring.high_low_container;
  for (int32_t index = 0; index < containers.size; ++index) {
    const uint8_t type = containers.typecodes[index];  // shared containers are left as they are
    void* container = containers.containers[index];
    bitset_container_t* bitset = nullptr;
    if (type == RUN_CONTAINER_TYPE_CODE && static_cast<run_container_t*>(container)->n_runs > kBitsetRuns) {
      bitset = bitset_container_from_run(static_cast<run_container_t*>(container));
      if (bitset == nullptr) throw std::bad_alloc();
      run_container_free(static_cast<run_container_t*>(container));
    } else if (type == ARRAY_CONTAINER_TYPE_CODE &&
               static_cast<array_container_t*>(container)->cardinality > kBitsetMembers) {
      bitset = bitset_container_from_array(static_cast<array_container_t*>(container));
      if (bitset == nullptr) throw std::bad_alloc();
      array_container_free(static_cast<array_container_t*>(container));
    }
    if (bitset != nullptr) {
      containers.containers[index] = bitset;
      containers.typecodes[index] = BITSET_CONTAINER_TYPE_CODE;
    }
  }
}

DenseSet::Iterator::Iterator(const DenseSet* set, size_t word)
    : set_(set),
      base_(size_t{set->first_chunk_} * kChunkWords),
      word_(word),
      bits_(word < set->words_.size() ? set->words_[word] : 0) {
  Skip();
}

DenseSet::Iterator& DenseSet::Iterator::operator++() {
  bits_ &= bits_ - 1;
  Skip();
  return *this;
}

void DenseSet::Iterator::Skip() {
  while (bits_ == 0 && word_ < set_->words_.size()) {
    ++word_;
    bits_ = word_ < set_->words_.size() ? set_->words_[word_] : 0;
  }
}

}  // namespace aidmp::audience
