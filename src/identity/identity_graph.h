// The identity graph: which identifiers belong to one person, with merge rules, a merge
// log, and a stable canonical person id.
//
// Persistent, incremental union-find over the store's kIdentity family (keys.h): each
// identifier points at the person that first claimed it; a person merged into another
// points at it (`merged_into`), so a merge touches two person records, not every
// identifier (the identifiers of persons with up to 64 of them are re-pointed too).
// The survivor of a merge is the older person (smaller id), so established ids stay
// canonical, and lookups follow a chain that strictly descends: usually short, one hop
// per merge where large persons were merged in succession.
//
// Rules, as Segment Unify has them: per-type limits (at most one userId per person, ...)
// and a priority order. An event whose identifiers would break a limit by joining two
// people does not join them: the merge is recorded as blocked with its reason, and the
// event goes to the person of its highest-priority identifier. So one shared family
// tablet, or a login on a friend's phone, does not fuse two people.
//
// Counters (meta family): identity_persons, identity_merges, identity_merges_blocked, and
// identity_identifiers, the identifiers given to a person: a size hint for a rebuild's
// tables (identity/batch_resolver.h), not an exact count (erasures do not lower it, and
// an unmerge's replay counts the identifiers it re-attributes again).
//
// Thread-safety: Resolve by one writer (the identity processor); the static readers from
// any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "identity/identifier.h"
#include "storage/store.h"

namespace aidmp::identity {

struct IdentityRules {
  // Most distinct identifiers of a type one person may hold; types not listed: no limit.
  std::map<IdType, int> max_per_person = {{IdType::kUserId, 1},        {IdType::kEmailHash, 3},
                                          {IdType::kPhoneHash, 3},     {IdType::kDeviceId, 10},
                                          {IdType::kAdvertisingId, 10}};
  // Highest first: the person of the first identifier present owns the event.
  std::vector<IdType> priority = {IdType::kUserId,        IdType::kEmailHash, IdType::kPhoneHash,
                                  IdType::kAdvertisingId, IdType::kDeviceId,  IdType::kAnonymousId};
};

struct PersonRecord {
  uint64_t id = 0;
  uint64_t merged_into = 0;               // 0 while canonical
  uint64_t replaced_by = 0;               // set when an unmerge re-created the person
  std::vector<Identifier> identifiers;    // own and absorbed
  std::vector<uint64_t> absorbed;         // persons merged into this one (transitively)
  std::vector<uint64_t> merges;           // merge log entries involving this person
  uint64_t first_seq = 0;                 // the event that created it
};

struct MergeRecord {
  uint64_t id = 0;
  uint64_t winner = 0;
  uint64_t loser = 0;        // 0 for a blocked attach of a new identifier
  bool blocked = false;
  std::string reason;        // why blocked; empty for a merge
  uint64_t seq = 0;          // the event that caused it
  int64_t ts_us = 0;         // its event time
  std::vector<Identifier> evidence;  // the identifiers that event carried together
  // Set when an admin undid the merge (unmerge): when, and the split rule it made.
  int64_t undone_us = 0;
  uint64_t split = 0;
};

// An admin's unmerge: from now on no person may hold identifiers of both sides. Kept in
// the meta family ("split/<id>"), so a rebuild honours it too.
struct SplitRule {
  uint64_t id = 0;
  uint64_t merge = 0;  // the merge it undid
  std::vector<Identifier> side_a;  // the merged-away person's identifiers
  std::vector<Identifier> side_b;  // the rest of the person
};

struct Resolution {
  uint64_t person = 0;
  // Persons merged into another by this event, with who absorbed them, in order.
  std::vector<std::pair<uint64_t, uint64_t>> absorbed;  // (loser, winner)
  int merges = 0;
  int blocked = 0;
  bool created = false;
};

class IdentityGraph {
 public:
  IdentityGraph(storage::Store* store, IdentityRules rules);

  // Resolves the identifiers one event carries (log position `seq`, event time `ts_us`),
  // staging every change into `batch`. `ids` must not be empty.
  absl::StatusOr<Resolution> Resolve(const std::vector<Identifier>& ids, uint64_t seq, int64_t ts_us,
                                     storage::WriteBatch* batch);

  // Call before staging a new batch (the previous one is committed): bounds the caches.
  void BeginBatch();

  // Puts a split in force now and stages it into `batch`; assigns split.id.
  void AddSplit(SplitRule* split, storage::WriteBatch* batch);
  // The splits in force, from the store.
  static absl::StatusOr<std::vector<SplitRule>> ReadSplits(storage::Store* store);
  static std::string EncodeSplit(const SplitRule& split);

  // Drops what the caches hold about `person` (canonical, with everyone merged into it),
  // after it was erased from the store.
  void Forget(const PersonRecord& person);
  // Drops the cached records of `persons`, which someone else rewrote in the store (an
  // erasure took a refused merge out of their merge lists): the next use reads them.
  void ForgetRecords(const std::vector<uint64_t>& persons);

  // The canonical person of `id` as the graph stands now (staged changes included);
  // 0 if unknown. For the writer (alias handling).
  absl::StatusOr<uint64_t> Owner(const Identifier& id);

  // Readers over committed data. NotFound if unknown.
  static absl::StatusOr<uint64_t> Lookup(storage::Store* store, const Identifier& id);
  // The canonical record of the person holding `id` (Lookup then ReadPerson, reading the
  // person once).
  static absl::StatusOr<PersonRecord> LookupPerson(storage::Store* store, const Identifier& id);
  // The canonical record (following merged_into from `person`).
  static absl::StatusOr<PersonRecord> ReadPerson(storage::Store* store, uint64_t person);
  static absl::StatusOr<MergeRecord> ReadMerge(storage::Store* store, uint64_t merge);

  static std::string EncodePerson(const PersonRecord& person);
  static absl::Status DecodePerson(std::string_view data, PersonRecord* out);
  static std::string EncodeMerge(const MergeRecord& merge);
  static absl::Status DecodeMerge(std::string_view data, MergeRecord* out);

 private:
  absl::StatusOr<PersonRecord*> LoadPerson(uint64_t person);
  absl::StatusOr<uint64_t> Canonical(uint64_t person);
  int CountOfType(const PersonRecord& person, IdType type) const;
  // Why `a` and `b` may not be one person; nullopt if they may.
  std::optional<std::string> MergeConflict(const PersonRecord& a, const PersonRecord& b);
  void StagePerson(const PersonRecord& person, storage::WriteBatch* batch);
  void StageOwner(const Identifier& id, uint64_t person, storage::WriteBatch* batch);
  void StageMerge(MergeRecord merge, PersonRecord* winner, PersonRecord* loser, storage::WriteBatch* batch);
  int Priority(IdType type) const;
  // Why identifiers `a` and `b` may not be one person by a split rule; nullopt if none.
  std::optional<std::string> SplitConflict(const std::vector<Identifier>& a, const std::vector<Identifier>& b);

  storage::Store* store_;
  IdentityRules rules_;
  uint64_t next_person_ = 0;
  uint64_t next_merge_ = 0;
  // Write-through caches of what is committed or staged.
  absl::flat_hash_map<std::string, uint64_t> owners_;
  absl::node_hash_map<uint64_t, PersonRecord> persons_;  // nodes: LoadPerson hands out pointers
  struct ActiveSplit {
    uint64_t id = 0;
    std::unordered_set<std::string> side_a, side_b;  // owner keys
  };
  bool splits_loaded_ = false;
  std::vector<ActiveSplit> splits_;
};

}  // namespace aidmp::identity
