#include "identity/batch_resolver.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <array>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>

#include "common/hash.h"
#include "common/key_coding.h"
#include "common/status.h"
#include "common/strings.h"
#include "storage/keys.h"

namespace aidmp::identity {
namespace {

constexpr uint32_t kNil = std::numeric_limits<uint32_t>::max();
// Identifier handles, person ids and merge ids are uint32; kNil is reserved.
constexpr uint64_t kMaxCount = kNil - 1;
constexpr int kMaxLimit = std::numeric_limits<uint16_t>::max();
// WriteTo's batches stay around this size.
constexpr size_t kWriteBatchBytes = 32 << 20;

bool ValidType(IdType type) {
  auto number = static_cast<int>(type);
  return number >= 1 && number < kIdTypeCount;
}

// A growable array of trivially copyable T in its own anonymous mapping: on huge pages
// where the kernel allows (random access over a gigabyte would otherwise miss the TLB
// on nearly every read), and grown by mremap, which moves page tables, not bytes, so a
// growing table never holds two copies. Fresh elements are zero.
template <typename T>
class FlatArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  FlatArray() = default;
  ~FlatArray() {
    if (data_ != nullptr) munmap(data_, mapped_bytes_);
  }
  FlatArray(const FlatArray&) = delete;
  FlatArray& operator=(const FlatArray&) = delete;
  FlatArray(FlatArray&& other) noexcept { *this = std::move(other); }
  FlatArray& operator=(FlatArray&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
    std::swap(mapped_bytes_, other.mapped_bytes_);
    return *this;
  }

  T& operator[](size_t index) { return data_[index]; }
  const T& operator[](size_t index) const { return data_[index]; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity_bytes() const { return mapped_bytes_; }

  // Grows to `size` elements (new ones zero). Throws std::bad_alloc if the kernel
  // refuses memory, as std::vector would.
  void Resize(size_t size) {
    if (size > capacity_) Reserve(std::max(size, capacity_ * 2));
    size_ = size;
  }
  void PushBack(const T& value) {
    Resize(size_ + 1);
    data_[size_ - 1] = value;
  }
  void Reserve(size_t capacity) {
    if (capacity <= capacity_) return;
    size_t bytes = RoundUp(capacity * sizeof(T));
    void* memory = data_ == nullptr
                       ? mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                       : mremap(data_, mapped_bytes_, bytes, MREMAP_MAYMOVE);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    madvise(memory, bytes, MADV_HUGEPAGE);  // advice only: no huge pages is fine
    data_ = static_cast<T*>(memory);
    mapped_bytes_ = bytes;
    capacity_ = bytes / sizeof(T);
  }

 private:
  static size_t RoundUp(size_t bytes) {
    constexpr size_t kPage = 4096, kHugePage = 2 << 20;
    size_t unit = bytes >= kHugePage ? kHugePage : kPage;
    return (bytes + unit - 1) / unit * unit;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t mapped_bytes_ = 0;
};

// Interned identifiers. Each is one record in an arena, with its owner and its link in
// its person's list beside its bytes, so that a sighting costs one probe of the hash
// table and one read of the record. A record's handle is its arena offset / 8.
// The table maps xxHash64 of (type, value) to handles; a hit is confirmed by comparing
// the bytes, so two identifiers with one hash stay two. A slot keeps the upper half of
// the hash, whose top bits are the slot's position: growing re-places slots from what
// they hold, without rehashing or reading a single record.
class IdentifierTable {
 public:
  struct Record {
    uint32_t owner;  // the person it was given to; 0: none (seen only in a refused attach)
    uint32_t next;   // the next identifier in its person's list
    uint32_t size;
    IdType type;
    // `size` bytes of value follow the header.
  };
  static constexpr size_t kHeaderBytes = offsetof(Record, type) + 1;

  explicit IdentifierTable(size_t expected) {
    bits_ = 10;
    while ((size_t{1} << bits_) * kMaxLoadPercent / 100 < expected && bits_ < 32) ++bits_;
    slots_.Resize(size_t{1} << bits_);
    arena_.Reserve(expected * kTypicalRecordBytes);
  }

  static uint64_t HashOf(IdType type, std::string_view value) {
    return Hash64(value, static_cast<uint64_t>(type));
  }
  void PrefetchSlot(uint64_t hash) const { __builtin_prefetch(&slots_[Home(hash >> 32)]); }

  // The handle of (type, value); kNil if absent.
  uint32_t Find(IdType type, std::string_view value, uint64_t hash) const {
    size_t mask = slots_.size() - 1;
    for (size_t pos = Home(hash >> 32);; pos = (pos + 1) & mask) {
      uint64_t slot = slots_[pos];
      if (slot == 0) return kNil;
      if ((slot >> 32) == (hash >> 32) && Matches(static_cast<uint32_t>(slot) - 1, type, value)) {
        return static_cast<uint32_t>(slot) - 1;
      }
    }
  }
  // A guess for prefetching, without reading any record: the first handle whose slot
  // carries the upper half of `hash`; kNil if none.
  uint32_t GuessHandle(uint64_t hash) const {
    size_t mask = slots_.size() - 1;
    for (size_t pos = Home(hash >> 32);; pos = (pos + 1) & mask) {
      uint64_t slot = slots_[pos];
      if (slot == 0) return kNil;
      if ((slot >> 32) == (hash >> 32)) return static_cast<uint32_t>(slot) - 1;
    }
  }
  // A record and its value usually span one or two cache lines.
  void PrefetchRecord(uint32_t handle) const {
    const char* start = arena_.data() + size_t{handle} * 8;
    __builtin_prefetch(start);
    __builtin_prefetch(start + 56);
  }

  // The handle of (type, value), added if new. The caller checks that CanAdd.
  uint32_t Intern(IdType type, std::string_view value, uint64_t hash) {
    size_t mask = slots_.size() - 1;
    size_t pos = Home(hash >> 32);
    for (;; pos = (pos + 1) & mask) {
      uint64_t slot = slots_[pos];
      if (slot == 0) break;
      if ((slot >> 32) == (hash >> 32) && Matches(static_cast<uint32_t>(slot) - 1, type, value)) {
        return static_cast<uint32_t>(slot) - 1;
      }
    }
    size_t offset = arena_.size();
    arena_.Resize(offset + RecordBytes(value.size()));
    auto* record = reinterpret_cast<Record*>(arena_.data() + offset);
    record->owner = 0;
    record->next = kNil;
    record->size = static_cast<uint32_t>(value.size());
    record->type = type;
    std::memcpy(arena_.data() + offset + kHeaderBytes, value.data(), value.size());
    auto handle = static_cast<uint32_t>(offset / 8);
    slots_[pos] = (hash & ~uint64_t{0xffffffff}) | (uint64_t{handle} + 1);
    if (++count_ * 100 > slots_.size() * kMaxLoadPercent && bits_ < 32) Grow();
    return handle;
  }

  // Whether `ids` more identifiers of `bytes` bytes in all fit the handles.
  bool CanAdd(size_t ids, size_t bytes) const {
    return count_ + ids <= kMaxCount && (arena_.size() + ids * RecordBytes(0) + bytes) / 8 < kMaxCount;
  }

  size_t size() const { return count_; }
  Record& record(uint32_t handle) { return *reinterpret_cast<Record*>(arena_.data() + size_t{handle} * 8); }
  const Record& record(uint32_t handle) const {
    return *reinterpret_cast<const Record*>(arena_.data() + size_t{handle} * 8);
  }
  std::string_view value(uint32_t handle) const {
    return {arena_.data() + size_t{handle} * 8 + kHeaderBytes, record(handle).size};
  }
  Identifier Get(uint32_t handle) const { return {record(handle).type, std::string(value(handle))}; }

  // Calls fn(handle) for every identifier, in the order they were first seen.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (size_t offset = 0; offset < arena_.size();) {
      auto handle = static_cast<uint32_t>(offset / 8);
      fn(handle);
      offset += RecordBytes(record(handle).size);
    }
  }

  size_t MemoryBytes() const { return slots_.capacity_bytes() + arena_.capacity_bytes(); }

 private:
  static constexpr size_t kMaxLoadPercent = 70;
  static constexpr size_t kTypicalRecordBytes = 56;  // the header and a 36-byte UUID

  static size_t RecordBytes(size_t value_size) { return (kHeaderBytes + value_size + 7) / 8 * 8; }

  bool Matches(uint32_t handle, IdType type, std::string_view value) const {
    const Record& entry = record(handle);
    return entry.type == type && entry.size == value.size() &&
           std::memcmp(arena_.data() + size_t{handle} * 8 + kHeaderBytes, value.data(), value.size()) == 0;
  }

  // The home slot of a hash whose upper half is `tag`: its top bits_ bits.
  size_t Home(uint64_t tag) const { return static_cast<size_t>(tag >> (32 - bits_)); }

  void Grow() {
    FlatArray<uint64_t> old = std::move(slots_);
    ++bits_;
    slots_.Resize(size_t{1} << bits_);
    size_t mask = slots_.size() - 1;
    for (size_t old_pos = 0; old_pos < old.size(); ++old_pos) {
      uint64_t slot = old[old_pos];
      if (slot == 0) continue;
      size_t pos = Home(slot >> 32);
      while (slots_[pos] != 0) pos = (pos + 1) & mask;
      slots_[pos] = slot;
    }
  }

  int bits_;                   // log2 of the slot count, at most 32
  FlatArray<uint64_t> slots_;  // (upper half of the hash) << 32 | (handle + 1); 0: empty
  FlatArray<char> arena_;
  size_t count_ = 0;
};

enum class MergeKind : uint8_t { kMerge, kBlockedAttach, kBlockedMerge };

}  // namespace

struct BatchResolver::Impl {
  // What resolving an event reads of a person, in half a cache line. Its identifiers
  // are a list through the records' `next` (in the order IdentityGraph keeps them). A
  // merge splices the loser's lists onto the winner's; the loser keeps its head and
  // tail, so its record as it stood when merged can still be read.
  struct alignas(32) Person {
    uint32_t parent;       // union-find, path-compressed; itself while canonical
    uint32_t merged_into;  // the winner of the merge that absorbed it; 0 while canonical
    uint32_t ids_head, ids_tail;
    std::array<uint16_t, kIdTypeCount - 1> counts;  // identifiers per limited type, by type - 1
  };
  // The rest: persons it absorbed (a list through absorbed_next) and the merges it took
  // part in (a list through the merge entries).
  struct PersonHistory {
    uint64_t first_seq;
    uint32_t absorbed_head, absorbed_tail;  // 0: none
    uint32_t absorbed_next;                 // in the absorbing person's list
    uint32_t merges_head, merges_tail;      // merge ids; 0: none
  };

  struct Merge {
    uint64_t seq;
    int64_t ts_us;
    uint32_t winner;
    uint32_t loser;  // 0 for a blocked attach
    uint32_t evidence_begin;
    uint32_t evidence_size;
    // kBlockedAttach: the refused identifier; kBlockedMerge: the combined count.
    uint32_t detail;
    uint32_t next_of_winner, next_of_loser;  // the next merge of each in its list; 0: none
    MergeKind kind;
    IdType type;  // the limited type, for a blocked entry
  };

  Impl(IdentityRules rules_in, const BatchResolverOptions& options)
      : rules(std::move(rules_in)), table(options.expected_identifiers) {
    rank.fill(static_cast<int>(rules.priority.size()));
    for (int type_idx = 1; type_idx < kIdTypeCount; ++type_idx) {
      auto it = std::find(rules.priority.begin(), rules.priority.end(), static_cast<IdType>(type_idx));
      rank[type_idx] = static_cast<int>(it - rules.priority.begin());
    }
    limit.fill(-1);
    for (const auto& [type, max] : rules.max_per_person) {
      limit[static_cast<int>(type)] = max;
      limited_types.push_back(type);  // std::map: IdType order, as IdentityGraph checks them
    }
    persons.PushBack(Person{});  // person 0: nobody
    history.PushBack(PersonHistory{});
    merges.PushBack(Merge{});  // merge 0: none
  }

  // Resolve, with the identifiers' hashes computed already if `known_hashes` is not null.
  absl::StatusOr<Resolution> Resolve(const std::vector<Identifier>& ids, const uint64_t* known_hashes, uint64_t seq,
                                     int64_t ts_us);
  absl::Status ResolveBatch(const std::vector<EventRef>& events, std::vector<Resolution>* out);

  static int Slot(IdType type) { return static_cast<int>(type) - 1; }

  uint32_t Find(uint32_t person) {
    uint32_t root = person;
    while (persons[root].parent != root) root = persons[root].parent;
    while (persons[person].parent != root) {
      uint32_t next = persons[person].parent;
      persons[person].parent = root;
      person = next;
    }
    return root;
  }

  uint32_t FindConst(uint32_t person) const {
    while (persons[person].parent != person) person = persons[person].parent;
    return person;
  }

  // The canonical owner of identifier `handle`, 0 if none; remembers it for next time.
  uint32_t OwnerOf(uint32_t handle) {
    IdentifierTable::Record& record = table.record(handle);
    if (record.owner == 0) return 0;
    record.owner = Find(record.owner);
    return record.owner;
  }

  uint32_t CreatePerson(uint32_t first, uint64_t seq) {
    auto id = static_cast<uint32_t>(persons.size());
    Person person{};
    person.parent = id;
    person.ids_head = person.ids_tail = first;
    IdentifierTable::Record& record = table.record(first);
    if (limit[static_cast<int>(record.type)] >= 0) person.counts[Slot(record.type)] = 1;
    persons.PushBack(person);
    PersonHistory created{};
    created.first_seq = seq;
    history.PushBack(created);
    record.next = kNil;
    record.owner = id;
    return id;
  }

  void Attach(uint32_t person, uint32_t handle) {
    Person& target = persons[person];
    table.record(target.ids_tail).next = handle;
    IdentifierTable::Record& record = table.record(handle);
    record.next = kNil;
    record.owner = person;
    target.ids_tail = handle;
    if (limit[static_cast<int>(record.type)] >= 0) ++target.counts[Slot(record.type)];
  }

  void LinkMerge(uint32_t person, uint32_t merge_id) {
    PersonHistory& record = history[person];
    if (record.merges_head == 0) {
      record.merges_head = merge_id;
    } else {
      Merge& last = merges[record.merges_tail];
      (last.winner == person ? last.next_of_winner : last.next_of_loser) = merge_id;
    }
    record.merges_tail = merge_id;
  }

  void AddMerge(const Merge& merge) {
    auto merge_id = static_cast<uint32_t>(merges.size());
    merges.PushBack(merge);
    LinkMerge(merge.winner, merge_id);
    if (merge.loser != 0) LinkMerge(merge.loser, merge_id);
    if (merge.kind == MergeKind::kMerge) {
      ++merged;
    } else {
      ++blocked;
    }
  }

  // Folds `loser` into `winner`.
  void Union(uint32_t winner, uint32_t loser) {
    Person& win = persons[winner];
    Person& lose = persons[loser];
    lose.parent = winner;
    lose.merged_into = winner;
    table.record(win.ids_tail).next = lose.ids_head;
    win.ids_tail = lose.ids_tail;
    for (IdType type : limited_types) win.counts[Slot(type)] += lose.counts[Slot(type)];
    // The winner absorbs the loser, then whom the loser had absorbed.
    PersonHistory& win_history = history[winner];
    PersonHistory& lose_history = history[loser];
    lose_history.absorbed_next = lose_history.absorbed_head;
    uint32_t segment_tail = lose_history.absorbed_tail != 0 ? lose_history.absorbed_tail : loser;
    if (win_history.absorbed_head == 0) {
      win_history.absorbed_head = loser;
    } else {
      history[win_history.absorbed_tail].absorbed_next = loser;
    }
    win_history.absorbed_tail = segment_tail;
  }

  std::string Reason(const Merge& merge) const {
    std::string_view type_name = IdTypeName(merge.type);
    int max = limit[static_cast<int>(merge.type)];
    if (merge.kind == MergeKind::kBlockedAttach) {
      return StrCat("person ", uint64_t{merge.winner}, " already holds ", max, " ", type_name,
                    " identifiers (the limit); ", type_name, " ", table.value(merge.detail).substr(0, 64),
                    " was not added");
    }
    return StrCat("persons ", uint64_t{merge.winner}, " and ", uint64_t{merge.loser}, " together would hold ",
                  static_cast<int>(merge.detail), " ", type_name, " identifiers; the limit is ", max);
  }

  PersonRecord StoredPerson(uint32_t id) const {
    const Person& person = persons[id];
    const PersonHistory& past = history[id];
    PersonRecord record;
    record.id = id;
    record.merged_into = person.merged_into;
    record.first_seq = past.first_seq;
    for (uint32_t handle = person.ids_head;; handle = table.record(handle).next) {
      record.identifiers.push_back(table.Get(handle));
      if (handle == person.ids_tail) break;
    }
    if (past.absorbed_head != 0) {
      for (uint32_t absorbed = past.absorbed_head;; absorbed = history[absorbed].absorbed_next) {
        record.absorbed.push_back(absorbed);
        if (absorbed == past.absorbed_tail) break;
      }
    }
    for (uint32_t merge_id = past.merges_head; merge_id != 0;) {
      record.merges.push_back(merge_id);
      const Merge& merge = merges[merge_id];
      merge_id = merge.winner == id ? merge.next_of_winner : merge.next_of_loser;
    }
    return record;
  }

  MergeRecord ReadMerge(uint32_t id) const {
    const Merge& merge = merges[id];
    MergeRecord record;
    record.id = id;
    record.winner = merge.winner;
    record.loser = merge.loser;
    record.blocked = merge.kind != MergeKind::kMerge;
    if (record.blocked) record.reason = Reason(merge);
    record.seq = merge.seq;
    record.ts_us = merge.ts_us;
    record.evidence.reserve(merge.evidence_size);
    for (uint32_t item_idx = 0; item_idx < merge.evidence_size; ++item_idx) {
      record.evidence.push_back(table.Get(evidence[merge.evidence_begin + item_idx]));
    }
    return record;
  }

  IdentityRules rules;
  std::array<int, kIdTypeCount> rank;   // by IdType: position in rules.priority
  std::array<int, kIdTypeCount> limit;  // by IdType: max per person, -1 for none
  std::vector<IdType> limited_types;
  IdentifierTable table;
  FlatArray<Person> persons;         // by person id
  FlatArray<PersonHistory> history;  // by person id
  FlatArray<Merge> merges;           // by merge id
  FlatArray<uint32_t> evidence;      // identifier handles, per event with a merge entry
  uint64_t merged = 0;
  uint64_t blocked = 0;
  // Per event, reused: the event's identifiers in priority order, their hashes and
  // handles.
  std::vector<uint32_t> order;
  std::vector<uint64_t> hashes;
  std::vector<uint32_t> sorted;
  // Per ResolveBatch call, reused: the events' hashes and the handles found ahead.
  std::vector<size_t> batch_hash_begin;
  std::vector<uint64_t> batch_hashes;
  std::vector<uint32_t> batch_handles;
};

absl::Status BatchResolver::Impl::ResolveBatch(const std::vector<EventRef>& events, std::vector<Resolution>* out) {
  // Four stages run ahead of the event being resolved: hash the identifiers and fetch
  // their table slots (kSlotsAhead events later), look the slots up and fetch the
  // records (kRecordsAhead), read the records' owners and fetch those persons
  // (kPersonsAhead), and fetch the person each of those merged into, if any
  // (kRootsAhead). By the time an event is resolved most of its reads hit the cache.
  // Fetches are hints: a guess that was wrong or went stale (the table grew, a person
  // merged) costs a miss, never a wrong answer.
  constexpr size_t kSlotsAhead = 16, kRecordsAhead = 10, kPersonsAhead = 5, kRootsAhead = 2;
  batch_hash_begin.resize(events.size() + 1);
  batch_hash_begin[0] = 0;
  for (size_t event_idx = 0; event_idx < events.size(); ++event_idx) {
    batch_hash_begin[event_idx + 1] = batch_hash_begin[event_idx] + events[event_idx].ids->size();
  }
  batch_hashes.resize(batch_hash_begin.back());
  batch_handles.assign(batch_hash_begin.back(), kNil);
  auto fetch_slots = [&](size_t event_idx) {
    const std::vector<Identifier>& ids = *events[event_idx].ids;
    for (size_t id_idx = 0; id_idx < ids.size(); ++id_idx) {
      uint64_t hash = IdentifierTable::HashOf(ids[id_idx].type, ids[id_idx].value);
      batch_hashes[batch_hash_begin[event_idx] + id_idx] = hash;
      table.PrefetchSlot(hash);
    }
  };
  auto fetch_records = [&](size_t event_idx) {
    const std::vector<Identifier>& ids = *events[event_idx].ids;
    for (size_t id_idx = 0; id_idx < ids.size(); ++id_idx) {
      size_t at = batch_hash_begin[event_idx] + id_idx;
      uint32_t handle = table.GuessHandle(batch_hashes[at]);
      batch_handles[at] = handle;
      if (handle != kNil) table.PrefetchRecord(handle);
    }
  };
  auto fetch_persons = [&](size_t event_idx) {
    for (size_t at = batch_hash_begin[event_idx]; at < batch_hash_begin[event_idx + 1]; ++at) {
      if (batch_handles[at] == kNil) continue;
      uint32_t owner = table.record(batch_handles[at]).owner;
      if (owner != 0 && owner < persons.size()) __builtin_prefetch(&persons[owner]);
    }
  };
  // A person merged since its identifier was last seen: fetch the one it merged into.
  auto fetch_roots = [&](size_t event_idx) {
    for (size_t at = batch_hash_begin[event_idx]; at < batch_hash_begin[event_idx + 1]; ++at) {
      if (batch_handles[at] == kNil) continue;
      uint32_t owner = table.record(batch_handles[at]).owner;
      if (owner != 0 && persons[owner].parent != owner) __builtin_prefetch(&persons[persons[owner].parent]);
    }
  };
  for (size_t event_idx = 0; event_idx < std::min(events.size(), kSlotsAhead); ++event_idx) fetch_slots(event_idx);
  for (size_t event_idx = 0; event_idx < std::min(events.size(), kRecordsAhead); ++event_idx) {
    fetch_records(event_idx);
  }
  for (size_t event_idx = 0; event_idx < events.size(); ++event_idx) {
    if (event_idx + kSlotsAhead < events.size()) fetch_slots(event_idx + kSlotsAhead);
    if (event_idx + kRecordsAhead < events.size()) fetch_records(event_idx + kRecordsAhead);
    if (event_idx + kPersonsAhead < events.size()) fetch_persons(event_idx + kPersonsAhead);
    if (event_idx + kRootsAhead < events.size()) fetch_roots(event_idx + kRootsAhead);
    const EventRef& event = events[event_idx];
    auto resolution = Resolve(*event.ids, batch_hashes.data() + batch_hash_begin[event_idx], event.seq, event.ts_us);
    if (!resolution.ok()) return resolution.status();
    if (out != nullptr) out->push_back(std::move(*resolution));
  }
  return absl::OkStatus();
}

absl::StatusOr<Resolution> BatchResolver::Impl::Resolve(const std::vector<Identifier>& ids,
                                                        const uint64_t* known_hashes, uint64_t seq, int64_t ts_us) {
  if (ids.empty()) return absl::InvalidArgumentError("an event with no identifiers cannot be resolved");
  size_t bytes = 0;
  for (const auto& id : ids) {
    if (!ValidType(id.type)) {
      return absl::InvalidArgumentError(
          StrCat("identifier type ", static_cast<int>(id.type), " is not an identity type"));
    }
    bytes += id.value.size();
  }
  size_t count = ids.size();
  if (!table.CanAdd(count, bytes) || persons.size() + 1 > kMaxCount || merges.size() + count > kMaxCount ||
      evidence.size() + count > kMaxCount) {
    return absl::ResourceExhaustedError(
        "batch identity resolver: more than 2^32 persons, merges or identifiers, or 32 GiB of identifiers");
  }
  // IdentityGraph stable-sorts by priority; an insertion sort is stable too. The
  // hashes go first so that the table's cache lines are on their way meanwhile.
  hashes.resize(count);
  for (size_t pos = 0; pos < count; ++pos) {
    hashes[pos] = known_hashes != nullptr ? known_hashes[pos] : IdentifierTable::HashOf(ids[pos].type, ids[pos].value);
    table.PrefetchSlot(hashes[pos]);
  }
  order.resize(count);
  for (uint32_t pos = 0; pos < count; ++pos) {
    int moving_rank = rank[static_cast<int>(ids[pos].type)];
    uint32_t slot = pos;
    while (slot > 0 && rank[static_cast<int>(ids[order[slot - 1]].type)] > moving_rank) {
      order[slot] = order[slot - 1];
      --slot;
    }
    order[slot] = pos;
  }
  sorted.resize(count);
  for (size_t pos = 0; pos < count; ++pos) {
    const Identifier& id = ids[order[pos]];
    sorted[pos] = table.Intern(id.type, id.value, hashes[order[pos]]);
  }

  // The event joins the person of its highest-priority known identifier if the new
  // identifiers ranked above it fit that person's limits (IdentityGraph::Resolve).
  size_t known_idx = count;
  uint32_t known = 0;
  for (size_t pos = 0; pos < count; ++pos) {
    known = OwnerOf(sorted[pos]);
    if (known != 0) {
      known_idx = pos;
      break;
    }
  }
  uint32_t target = 0;
  if (known_idx < count) {
    bool fits = true;
    for (IdType type : limited_types) {
      int total = persons[known].counts[Slot(type)];
      for (size_t pos = 0; pos < known_idx; ++pos) total += ids[order[pos]].type == type;
      if (total > limit[static_cast<int>(type)]) {
        fits = false;
        break;
      }
    }
    if (fits) target = known;
  }
  Resolution resolution;
  if (target == 0) {
    // Here the first identifier is unknown: it is the one before the known one, or no
    // identifier is known.
    target = CreatePerson(sorted[0], seq);
    resolution.created = true;
  }
  uint32_t evidence_begin = kNil;
  auto stage = [&](Merge merge) {
    if (evidence_begin == kNil) {
      evidence_begin = static_cast<uint32_t>(evidence.size());
      for (uint32_t handle : sorted) evidence.PushBack(handle);
    }
    merge.seq = seq;
    merge.ts_us = ts_us;
    merge.evidence_begin = evidence_begin;
    merge.evidence_size = static_cast<uint32_t>(count);
    AddMerge(merge);
  };
  for (size_t pos = 0; pos < count; ++pos) {
    uint32_t handle = sorted[pos];
    uint32_t other = OwnerOf(handle);
    if (other == target) continue;
    IdType type = ids[order[pos]].type;
    if (other == 0) {
      int max = limit[static_cast<int>(type)];
      if (max >= 0 && persons[target].counts[Slot(type)] >= max) {
        Merge merge{};
        merge.winner = target;
        merge.kind = MergeKind::kBlockedAttach;
        merge.type = type;
        merge.detail = handle;
        stage(merge);
        ++resolution.blocked;
        continue;
      }
      Attach(target, handle);
      continue;
    }
    bool conflict = false;
    for (IdType limited : limited_types) {
      int combined = persons[target].counts[Slot(limited)] + persons[other].counts[Slot(limited)];
      if (combined > limit[static_cast<int>(limited)]) {
        Merge merge{};
        merge.winner = target;
        merge.loser = other;
        merge.kind = MergeKind::kBlockedMerge;
        merge.type = limited;
        merge.detail = static_cast<uint32_t>(combined);
        stage(merge);
        ++resolution.blocked;
        conflict = true;
        break;
      }
    }
    if (conflict) continue;
    uint32_t winner = std::min(target, other);
    uint32_t loser = std::max(target, other);
    Union(winner, loser);
    Merge merge{};
    merge.winner = winner;
    merge.loser = loser;
    merge.kind = MergeKind::kMerge;
    stage(merge);
    resolution.absorbed.emplace_back(loser, winner);
    ++resolution.merges;
    target = winner;
  }
  resolution.person = target;
  return resolution;
}

BatchResolver::BatchResolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BatchResolver::~BatchResolver() = default;

absl::StatusOr<std::unique_ptr<BatchResolver>> BatchResolver::Create(IdentityRules rules,
                                                                     BatchResolverOptions options) {
  for (const auto& [type, max] : rules.max_per_person) {
    if (!ValidType(type)) {
      return absl::InvalidArgumentError(StrCat("identity rules limit type ", static_cast<int>(type),
                                               ", which is not an identity type"));
    }
    if (max < 1 || max > kMaxLimit) {
      return absl::InvalidArgumentError(StrCat("identity rules: the limit of ", IdTypeName(type), " is ", max,
                                               "; the batch resolver takes limits from 1 to ", kMaxLimit));
    }
  }
  if (options.expected_identifiers > kMaxCount) options.expected_identifiers = kMaxCount;
  return std::unique_ptr<BatchResolver>(new BatchResolver(std::make_unique<Impl>(std::move(rules), options)));
}

absl::StatusOr<Resolution> BatchResolver::Resolve(const std::vector<Identifier>& ids, uint64_t seq,
                                                  int64_t ts_us) {
  return impl_->Resolve(ids, nullptr, seq, ts_us);
}

absl::Status BatchResolver::ResolveBatch(const std::vector<EventRef>& events, std::vector<Resolution>* out) {
  return impl_->ResolveBatch(events, out);
}

uint64_t BatchResolver::Owner(const Identifier& id) const {
  if (!ValidType(id.type)) return 0;
  uint32_t handle = impl_->table.Find(id.type, id.value, IdentifierTable::HashOf(id.type, id.value));
  if (handle == kNil || impl_->table.record(handle).owner == 0) return 0;
  return impl_->FindConst(impl_->table.record(handle).owner);
}

uint64_t BatchResolver::person_count() const { return impl_->persons.size() - 1; }
uint64_t BatchResolver::merge_count() const { return impl_->merges.size() - 1; }
uint64_t BatchResolver::blocked_merge_count() const { return impl_->blocked; }
size_t BatchResolver::identifier_count() const { return impl_->table.size(); }

absl::StatusOr<PersonRecord> BatchResolver::StoredPerson(uint64_t person) const {
  if (person == 0 || person > person_count()) return absl::NotFoundError(StrCat("no person ", person));
  return impl_->StoredPerson(static_cast<uint32_t>(person));
}

absl::StatusOr<PersonRecord> BatchResolver::ReadPerson(uint64_t person) const {
  if (person == 0 || person > person_count()) return absl::NotFoundError(StrCat("no person ", person));
  return impl_->StoredPerson(impl_->FindConst(static_cast<uint32_t>(person)));
}

absl::StatusOr<MergeRecord> BatchResolver::ReadMerge(uint64_t merge) const {
  if (merge == 0 || merge > merge_count()) return absl::NotFoundError(StrCat("no merge ", merge));
  return impl_->ReadMerge(static_cast<uint32_t>(merge));
}

size_t BatchResolver::MemoryBytes() const {
  const Impl& impl = *impl_;
  return sizeof(Impl) + impl.table.MemoryBytes() + impl.persons.capacity_bytes() + impl.history.capacity_bytes() +
         impl.merges.capacity_bytes() + impl.evidence.capacity_bytes();
}

absl::Status BatchResolver::WriteTo(storage::Store* store) const {
  const Impl& impl = *impl_;
  storage::WriteBatch batch(store);
  auto flush_if_full = [&]() -> absl::Status {
    if (batch.ByteSize() < kWriteBatchBytes) return absl::OkStatus();
    AIDMP_RETURN_IF_ERROR(store->Write(&batch, /*sync=*/false));
    batch.Clear();
    return absl::OkStatus();
  };
  // Whether there is an old graph to replace; a fresh store needs no scan for stale keys.
  bool had_graph = false;
  {
    auto it = store->NewIterator(storage::Family::kIdentity);
    for (char tag : {storage::kIdentityOwner, storage::kIdentityPerson, storage::kIdentityMerge}) {
      it->Seek(std::string(1, tag));
      had_graph |= it->Valid() && !it->key().empty() && it->key()[0] == tag;
    }
    AIDMP_RETURN_IF_ERROR(it->status());
  }
  // Owner keys in key order: the memtable then appends instead of searching, several
  // times faster than first-seen (random) order. Sorted by a 64-bit prefix of the key
  // (type, length, first value bytes), ties by the whole key.
  std::vector<std::pair<uint64_t, uint32_t>> owned;
  impl.table.ForEach([&](uint32_t handle) {
    const IdentifierTable::Record& record = impl.table.record(handle);
    if (record.owner == 0) return;
    std::string_view id_value = impl.table.value(handle);
    uint64_t prefix = uint64_t{static_cast<uint8_t>(record.type)} << 56 |
                      uint64_t{std::min<uint32_t>(record.size, 0xff)} << 48;
    for (size_t byte_idx = 0; byte_idx < 6 && byte_idx < id_value.size(); ++byte_idx) {
      prefix |= uint64_t{static_cast<unsigned char>(id_value[byte_idx])} << (40 - 8 * byte_idx);
    }
    owned.emplace_back(prefix, handle);
  });
  std::sort(owned.begin(), owned.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    const IdentifierTable::Record& left = impl.table.record(a.second);
    const IdentifierTable::Record& right = impl.table.record(b.second);
    if (left.size != right.size) return left.size < right.size;
    return impl.table.value(a.second) < impl.table.value(b.second);
  });
  std::string value;
  for (const auto& [prefix, handle] : owned) {
    value.clear();
    PutFixed64BE(&value, impl.FindConst(impl.table.record(handle).owner));
    batch.Put(storage::Family::kIdentity,
              storage::IdentifierKey(static_cast<uint8_t>(impl.table.record(handle).type), impl.table.value(handle)),
              value);
    AIDMP_RETURN_IF_ERROR(flush_if_full());
  }
  const uint64_t owned_count = owned.size();
  owned.clear();
  owned.shrink_to_fit();
  for (uint32_t person = 1; person <= person_count(); ++person) {
    batch.Put(storage::Family::kIdentity, storage::PersonKey(person),
              IdentityGraph::EncodePerson(impl.StoredPerson(person)));
    AIDMP_RETURN_IF_ERROR(flush_if_full());
  }
  for (uint32_t merge = 1; merge <= merge_count(); ++merge) {
    batch.Put(storage::Family::kIdentity, storage::MergeKey(merge), IdentityGraph::EncodeMerge(impl.ReadMerge(merge)));
    AIDMP_RETURN_IF_ERROR(flush_if_full());
  }
  for (auto [name, count] : {std::pair<const char*, uint64_t>{"identity_persons", person_count()},
                             {"identity_merges", impl.merged},
                             {"identity_merges_blocked", impl.blocked},
                             {"identity_identifiers", owned_count}}) {
    value.clear();
    PutFixed64LE(&value, count);
    batch.Put(storage::Family::kMeta, storage::CounterKey(name), value);
  }
  if (!had_graph) return store->Write(&batch, /*sync=*/true);
  AIDMP_RETURN_IF_ERROR(store->Write(&batch, /*sync=*/false));
  batch.Clear();

  // What the old graph had and this one lacks.
  auto it = store->NewIterator(storage::Family::kIdentity);
  for (it->Seek(std::string(1, storage::kIdentityOwner));
       it->Valid() && !it->key().empty() && it->key()[0] == storage::kIdentityOwner; it->Next()) {
    std::string_view key = it->key();
    bool keep = false;
    uint8_t type = 0;
    std::string_view id_value;
    if (storage::ParseIdentifierKey(key, &type, &id_value) && ValidType(static_cast<IdType>(type))) {
      keep = Owner({static_cast<IdType>(type), std::string(id_value)}) != 0;
    }
    if (!keep) batch.Delete(storage::Family::kIdentity, key);
    AIDMP_RETURN_IF_ERROR(flush_if_full());
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  for (auto [tag, last] : {std::pair<char, uint64_t>{storage::kIdentityPerson, person_count()},
                           {storage::kIdentityMerge, merge_count()}}) {
    for (it->Seek(std::string(1, tag)); it->Valid() && !it->key().empty() && it->key()[0] == tag; it->Next()) {
      std::string_view key = it->key();
      uint64_t number = 0;
      if (storage::ParseTaggedNumber(key, tag, &number) && number <= last) continue;
      batch.Delete(storage::Family::kIdentity, key);
      AIDMP_RETURN_IF_ERROR(flush_if_full());
    }
    AIDMP_RETURN_IF_ERROR(it->status());
  }
  return store->Write(&batch, /*sync=*/true);
}

}  // namespace aidmp::identity
