#include "identity/batch_resolver.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "common/hash.h"
#include "common/key_coding.h"
#include "common/status.h"
#include "common/strings.h"
#include "storage/keys.h"

namespace aidmp::identity {
namespace {

constexpr uint32_t kNil = std::numeric_limits<uint32_t>::max();
// Identifier indices, person ids and merge ids are uint32; kNil is reserved.
constexpr uint64_t kMaxCount = kNil - 1;
constexpr int kMaxLimit = std::numeric_limits<uint16_t>::max();
// WriteTo's batches stay around this size.
constexpr size_t kWriteBatchBytes = 32 << 20;

bool ValidType(IdType type) {
  auto number = static_cast<int>(type);
  return number >= 1 && number < kIdTypeCount;
}

// Interned identifiers: (type, value) -> dense index, by open addressing over xxHash64.
// A slot holds the index + 1 and the upper half of the hash; a hit is confirmed by
// comparing the bytes, so two identifiers with one hash stay two.
class IdentifierTable {
 public:
  explicit IdentifierTable(size_t expected) {
    size_t capacity = 1024;
    while (capacity * kMaxLoadPercent / 100 < expected) capacity *= 2;
    slots_.assign(capacity, 0);
    entries_.reserve(expected);
  }

  // The index of (type, value); kNil if absent.
  uint32_t Find(IdType type, std::string_view value) const {
    uint64_t hash = HashOf(type, value);
    size_t mask = slots_.size() - 1;
    for (size_t pos = hash & mask;; pos = (pos + 1) & mask) {
      uint64_t slot = slots_[pos];
      if (slot == 0) return kNil;
      if ((slot >> 32) == (hash >> 32)) {
        auto idx = static_cast<uint32_t>(slot) - 1;
        if (Matches(idx, type, value)) return idx;
      }
    }
  }

  // The index of (type, value), added if new. The caller checks size() < kMaxCount.
  uint32_t Intern(IdType type, std::string_view value) {
    uint64_t hash = HashOf(type, value);
    size_t mask = slots_.size() - 1;
    size_t pos = hash & mask;
    for (;; pos = (pos + 1) & mask) {
      uint64_t slot = slots_[pos];
      if (slot == 0) break;
      if ((slot >> 32) == (hash >> 32)) {
        auto idx = static_cast<uint32_t>(slot) - 1;
        if (Matches(idx, type, value)) return idx;
      }
    }
    auto idx = static_cast<uint32_t>(entries_.size());
    entries_.push_back({Store(value), static_cast<uint32_t>(value.size()), type});
    slots_[pos] = (hash & ~uint64_t{0xffffffff}) | (uint64_t{idx} + 1);
    if (entries_.size() * 100 > slots_.size() * kMaxLoadPercent) Grow();
    return idx;
  }

  size_t size() const { return entries_.size(); }
  IdType type(uint32_t idx) const { return entries_[idx].type; }
  std::string_view value(uint32_t idx) const { return {entries_[idx].data, entries_[idx].size}; }
  Identifier Get(uint32_t idx) const { return {type(idx), std::string(value(idx))}; }

  size_t MemoryBytes() const {
    return slots_.capacity() * sizeof(uint64_t) + entries_.capacity() * sizeof(Entry) + arena_bytes_;
  }

 private:
  static constexpr size_t kMaxLoadPercent = 70;
  static constexpr size_t kBlockBytes = 1 << 20;

  struct Entry {
    const char* data;
    uint32_t size;
    IdType type;
  };

  static uint64_t HashOf(IdType type, std::string_view value) {
    return Hash64(value, static_cast<uint64_t>(type));
  }

  bool Matches(uint32_t idx, IdType type, std::string_view value) const {
    const Entry& entry = entries_[idx];
    return entry.type == type && entry.size == value.size() && std::memcmp(entry.data, value.data(), value.size()) == 0;
  }

  // Copies `value` into the arena; blocks never move, so entries keep their pointers.
  const char* Store(std::string_view value) {
    if (value.empty()) return nullptr;
    if (value.size() > kBlockBytes / 4) {
      blocks_.push_back(std::make_unique<char[]>(value.size()));
      arena_bytes_ += value.size();
      std::memcpy(blocks_.back().get(), value.data(), value.size());
      char* data = blocks_.back().get();
      // Keep filling the previous block: swap the big one behind it.
      if (blocks_.size() >= 2) std::swap(blocks_[blocks_.size() - 1], blocks_[blocks_.size() - 2]);
      return data;
    }
    if (blocks_.empty() || block_used_ + value.size() > kBlockBytes) {
      blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
      arena_bytes_ += kBlockBytes;
      block_used_ = 0;
    }
    char* data = blocks_.back().get() + block_used_;
    std::memcpy(data, value.data(), value.size());
    block_used_ += value.size();
    return data;
  }

  void Grow() {
    std::vector<uint64_t> slots(slots_.size() * 2, 0);
    size_t mask = slots.size() - 1;
    for (uint32_t idx = 0; idx < entries_.size(); ++idx) {
      uint64_t hash = HashOf(entries_[idx].type, value(idx));
      size_t pos = hash & mask;
      while (slots[pos] != 0) pos = (pos + 1) & mask;
      slots[pos] = (hash & ~uint64_t{0xffffffff}) | (uint64_t{idx} + 1);
    }
    slots_.swap(slots);
  }

  std::vector<uint64_t> slots_;
  std::vector<Entry> entries_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_used_ = 0;
  size_t arena_bytes_ = 0;
};

enum class MergeKind : uint8_t { kMerge, kBlockedAttach, kBlockedMerge };

}  // namespace

struct BatchResolver::Impl {
  // One person. Its identifiers are a list through next_identifier (in the order
  // IdentityGraph keeps them), persons it absorbed a list through absorbed_next, and the
  // merges it took part in a list through the merge entries. A merge splices the
  // loser's lists onto the winner's; the loser keeps its head and tail, so its record
  // as it stood when merged can still be read.
  struct Person {
    uint32_t parent;       // union-find, path-compressed; itself while canonical
    uint32_t merged_into;  // the winner of the merge that absorbed it; 0 while canonical
    uint32_t ids_head, ids_tail;
    uint32_t absorbed_head, absorbed_tail;  // 0: none
    uint32_t absorbed_next;                 // in the absorbing person's list
    uint32_t merges_head, merges_tail;      // merge ids; 0: none
    std::array<uint16_t, kIdTypeCount> counts;  // identifiers per limited type
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
    for (int type_idx = kIdTypeCount - 1; type_idx >= 1; --type_idx) {
      auto it = std::find(rules.priority.begin(), rules.priority.end(), static_cast<IdType>(type_idx));
      rank[type_idx] = static_cast<int>(it - rules.priority.begin());
    }
    limit.fill(-1);
    for (const auto& [type, max] : rules.max_per_person) {
      limit[static_cast<int>(type)] = max;
      limited_types.push_back(type);  // std::map: IdType order, as IdentityGraph checks them
    }
    owner.reserve(options.expected_identifiers);
    next_identifier.reserve(options.expected_identifiers);
    persons.push_back(Person{});  // person 0: nobody
    first_seq.push_back(0);
    merges.push_back(Merge{});  // merge 0: none
  }

  absl::StatusOr<Resolution> Resolve(const std::vector<Identifier>& ids, uint64_t seq, int64_t ts_us);

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

  // The canonical owner of identifier `idx`, 0 if none; remembers it for next time.
  uint32_t OwnerOf(uint32_t idx) {
    uint32_t person = owner[idx];
    if (person == 0) return 0;
    uint32_t root = Find(person);
    owner[idx] = root;
    return root;
  }

  uint32_t CreatePerson(uint32_t first_idx, uint64_t seq) {
    auto id = static_cast<uint32_t>(persons.size());
    Person person{};
    person.parent = id;
    person.ids_head = person.ids_tail = first_idx;
    IdType type = table.type(first_idx);
    if (limit[static_cast<int>(type)] >= 0) person.counts[static_cast<int>(type)] = 1;
    persons.push_back(person);
    first_seq.push_back(seq);
    next_identifier[first_idx] = kNil;
    owner[first_idx] = id;
    return id;
  }

  void Attach(uint32_t person, uint32_t idx) {
    Person& record = persons[person];
    next_identifier[record.ids_tail] = idx;
    next_identifier[idx] = kNil;
    record.ids_tail = idx;
    IdType type = table.type(idx);
    if (limit[static_cast<int>(type)] >= 0) ++record.counts[static_cast<int>(type)];
    owner[idx] = person;
  }

  void LinkMerge(uint32_t person, uint32_t merge_id) {
    Person& record = persons[person];
    if (record.merges_head == 0) {
      record.merges_head = merge_id;
    } else {
      Merge& last = merges[record.merges_tail];
      (last.winner == person ? last.next_of_winner : last.next_of_loser) = merge_id;
    }
    record.merges_tail = merge_id;
  }

  void AddMerge(Merge merge) {
    auto merge_id = static_cast<uint32_t>(merges.size());
    merges.push_back(merge);
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
    next_identifier[win.ids_tail] = lose.ids_head;
    win.ids_tail = lose.ids_tail;
    // The winner absorbs the loser, then whom the loser had absorbed.
    lose.absorbed_next = lose.absorbed_head;
    uint32_t segment_tail = lose.absorbed_tail != 0 ? lose.absorbed_tail : loser;
    if (win.absorbed_head == 0) {
      win.absorbed_head = loser;
    } else {
      persons[win.absorbed_tail].absorbed_next = loser;
    }
    win.absorbed_tail = segment_tail;
    for (IdType type : limited_types) win.counts[static_cast<int>(type)] += lose.counts[static_cast<int>(type)];
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
    PersonRecord record;
    record.id = id;
    record.merged_into = person.merged_into;
    record.first_seq = first_seq[id];
    for (uint32_t idx = person.ids_head;; idx = next_identifier[idx]) {
      record.identifiers.push_back(table.Get(idx));
      if (idx == person.ids_tail) break;
    }
    if (person.absorbed_head != 0) {
      for (uint32_t absorbed = person.absorbed_head;; absorbed = persons[absorbed].absorbed_next) {
        record.absorbed.push_back(absorbed);
        if (absorbed == person.absorbed_tail) break;
      }
    }
    for (uint32_t merge_id = person.merges_head; merge_id != 0;) {
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
  std::vector<uint32_t> owner;            // by identifier: the person it was given to, 0: none
  std::vector<uint32_t> next_identifier;  // by identifier: the next in its person's list
  std::vector<Person> persons;            // by person id
  std::vector<uint64_t> first_seq;        // by person id
  std::vector<Merge> merges;              // by merge id
  std::vector<uint32_t> evidence;         // identifier indices, per event with a merge entry
  uint64_t merged = 0;
  uint64_t blocked = 0;
  // Per event, reused: the event's identifiers in priority order, as indices and owners.
  std::vector<uint32_t> order;
  std::vector<uint32_t> sorted;
  std::vector<uint32_t> owners;
};

absl::StatusOr<Resolution> BatchResolver::Impl::Resolve(const std::vector<Identifier>& ids, uint64_t seq,
                                                        int64_t ts_us) {
  if (ids.empty()) return absl::InvalidArgumentError("an event with no identifiers cannot be resolved");
  for (const auto& id : ids) {
    if (!ValidType(id.type)) {
      return absl::InvalidArgumentError(
          StrCat("identifier type ", static_cast<int>(id.type), " is not an identity type"));
    }
  }
  if (table.size() + ids.size() > kMaxCount || persons.size() + 1 > kMaxCount ||
      merges.size() + ids.size() > kMaxCount || evidence.size() + ids.size() > kMaxCount) {
    return absl::ResourceExhaustedError("batch identity resolver: more than 2^32 identifiers, persons or merges");
  }
  // IdentityGraph stable-sorts by priority; an insertion sort is stable too.
  size_t count = ids.size();
  order.resize(count);
  for (uint32_t pos = 0; pos < count; ++pos) {
    uint32_t moving = pos;
    int moving_rank = rank[static_cast<int>(ids[pos].type)];
    uint32_t slot = pos;
    while (slot > 0 && rank[static_cast<int>(ids[order[slot - 1]].type)] > moving_rank) {
      order[slot] = order[slot - 1];
      --slot;
    }
    order[slot] = moving;
  }
  sorted.resize(count);
  for (size_t pos = 0; pos < count; ++pos) {
    const Identifier& id = ids[order[pos]];
    sorted[pos] = table.Intern(id.type, id.value);
  }
  if (owner.size() < table.size()) {
    owner.resize(table.size(), 0);
    next_identifier.resize(table.size(), kNil);
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
      int total = persons[known].counts[static_cast<int>(type)];
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
      evidence.insert(evidence.end(), sorted.begin(), sorted.end());
    }
    merge.seq = seq;
    merge.ts_us = ts_us;
    merge.evidence_begin = evidence_begin;
    merge.evidence_size = static_cast<uint32_t>(count);
    AddMerge(merge);
  };
  for (size_t pos = 0; pos < count; ++pos) {
    uint32_t idx = sorted[pos];
    uint32_t other = OwnerOf(idx);
    if (other == target) continue;
    IdType type = ids[order[pos]].type;
    if (other == 0) {
      int max = limit[static_cast<int>(type)];
      if (max >= 0 && persons[target].counts[static_cast<int>(type)] >= max) {
        Merge merge{};
        merge.winner = target;
        merge.kind = MergeKind::kBlockedAttach;
        merge.type = type;
        merge.detail = idx;
        stage(merge);
        ++resolution.blocked;
        continue;
      }
      Attach(target, idx);
      continue;
    }
    bool conflict = false;
    for (IdType limited : limited_types) {
      int combined = persons[target].counts[static_cast<int>(limited)] + persons[other].counts[static_cast<int>(limited)];
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
  return impl_->Resolve(ids, seq, ts_us);
}

uint64_t BatchResolver::Owner(const Identifier& id) const {
  if (!ValidType(id.type)) return 0;
  uint32_t idx = impl_->table.Find(id.type, id.value);
  if (idx == kNil || impl_->owner[idx] == 0) return 0;
  return impl_->FindConst(impl_->owner[idx]);
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
  return sizeof(Impl) + impl.table.MemoryBytes() + impl.owner.capacity() * sizeof(uint32_t) +
         impl.next_identifier.capacity() * sizeof(uint32_t) + impl.persons.capacity() * sizeof(Impl::Person) +
         impl.first_seq.capacity() * sizeof(uint64_t) + impl.merges.capacity() * sizeof(Impl::Merge) +
         impl.evidence.capacity() * sizeof(uint32_t);
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
  std::string value;
  for (uint32_t idx = 0; idx < impl.table.size(); ++idx) {
    if (impl.owner[idx] == 0) continue;
    value.clear();
    PutFixed64BE(&value, impl.FindConst(impl.owner[idx]));
    batch.Put(storage::Family::kIdentity,
              storage::IdentifierKey(static_cast<uint8_t>(impl.table.type(idx)), impl.table.value(idx)), value);
    AIDMP_RETURN_IF_ERROR(flush_if_full());
  }
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
                             {"identity_merges_blocked", impl.blocked}}) {
    value.clear();
    PutFixed64LE(&value, count);
    batch.Put(storage::Family::kMeta, storage::CounterKey(name), value);
  }
  AIDMP_RETURN_IF_ERROR(store->Write(&batch, /*sync=*/false));
  batch.Clear();

  // What the old graph had and this one lacks.
  auto it = store->NewIterator(storage::Family::kIdentity);
  for (it->Seek(std::string(1, storage::kIdentityOwner));
       it->Valid() && !it->key().empty() && it->key()[0] == storage::kIdentityOwner; it->Next()) {
    std::string_view key = it->key();
    bool keep = false;
    if (key.size() >= 6) {
      auto type = static_cast<IdType>(key[1]);
      std::string_view id_value = key.substr(6);
      if (ValidType(type) && key.size() - 6 == ((uint64_t{static_cast<unsigned char>(key[2])} << 24) |
                                                (uint64_t{static_cast<unsigned char>(key[3])} << 16) |
                                                (uint64_t{static_cast<unsigned char>(key[4])} << 8) |
                                                uint64_t{static_cast<unsigned char>(key[5])})) {
        keep = Owner({type, std::string(id_value)}) != 0;
      }
    }
    if (!keep) batch.Delete(storage::Family::kIdentity, key);
    AIDMP_RETURN_IF_ERROR(flush_if_full());
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  for (auto [tag, last] : {std::pair<char, uint64_t>{storage::kIdentityPerson, person_count()},
                           {storage::kIdentityMerge, merge_count()}}) {
    for (it->Seek(std::string(1, tag)); it->Valid() && !it->key().empty() && it->key()[0] == tag; it->Next()) {
      std::string_view key = it->key();
      if (key.size() == 9 && DecodeFixed64BE(key.data() + 1) <= last) continue;
      batch.Delete(storage::Family::kIdentity, key);
      AIDMP_RETURN_IF_ERROR(flush_if_full());
    }
    AIDMP_RETURN_IF_ERROR(it->status());
  }
  return store->Write(&batch, /*sync=*/true);
}

}  // namespace aidmp::identity
