// Batch identity resolution: the whole identity graph re-resolved in memory, in one pass
// over the events in log order, for rebuilds (new rules, a repaired log) and for graphs
// too large to resolve event by event against the store in reasonable time.
//
// The outcome is the one IdentityGraph::Resolve gives when fed the same events with the
// same IdentityRules: the same person ids in the same order, the same owner of every
// identifier, the same merge log (ids, winners, losers, blocked merges with their
// reasons, causing events, evidence) and the same person records. The algorithm is the
// streaming one step for step; only the data structures differ: identifiers are interned
// as records in an arena (bytes, owner and list link together) behind an xxHash64 table,
// with the bytes compared on a hit, so a hash collision cannot merge two identifiers;
// persons live in flat arrays with a path-compressed union-find; per-person counts of
// the limited types answer the limits in O(1); identifier and absorbed-person lists are
// spliced in O(1) per merge. Memory: per identifier 13 bytes plus its value, rounded up
// to 8, and 8-13 bytes of hash table; 64 bytes per person; 48 per merge log entry
// (10.4M UUID-like identifiers in 3.9M persons: 924 MiB, docs/benchmarks.md).
//
// Callers: batch jobs that read the log (identity/identifier.h's ExtractIdentifiers, and
// an alias's previousId typed with Owner() as the person processor does), then WriteTo.
//
// Thread-safety: none. One thread resolves; const methods may be called from several
// threads only while no thread resolves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "identity/identifier.h"
#include "identity/identity_graph.h"
#include "storage/store.h"

namespace aidmp::identity {

struct BatchResolverOptions {
  // Expected distinct identifiers; sizes the hash table and the arena up front, so that
  // the table is not re-built as it grows. 0: grow as needed.
  size_t expected_identifiers = 0;
};

class BatchResolver {
 public:
  // InvalidArgument if `rules` limit a type that is not an IdType, or set a limit below
  // 1 or above 65535. (A limit of 0 cannot hold: IdentityGraph creates a person with
  // one identifier of the event before it checks any limit, and then hands the same
  // identifier to a second person; no answer of the batch resolver could equal that.)
  static absl::StatusOr<std::unique_ptr<BatchResolver>> Create(IdentityRules rules,
                                                               BatchResolverOptions options = {});
  ~BatchResolver();
  BatchResolver(const BatchResolver&) = delete;
  BatchResolver& operator=(const BatchResolver&) = delete;

  // Resolves the identifiers of one event (log position `seq`, event time `ts_us`), with
  // IdentityGraph::Resolve's contract and result, on a graph that started empty. Events
  // must come in log order. InvalidArgument if `ids` is empty or holds a type that is
  // not an IdType; ResourceExhausted past 2^32 - 1 identifiers, persons or merges, or
  // 32 GiB of identifier records. On an error the resolver is unchanged.
  absl::StatusOr<Resolution> Resolve(const std::vector<Identifier>& ids, uint64_t seq, int64_t ts_us);

  // One event for ResolveBatch.
  struct EventRef {
    const std::vector<Identifier>* ids;
    uint64_t seq;
    int64_t ts_us;
  };

  // Resolves `events` in order with exactly the outcome of calling Resolve on each, but
  // faster on a large graph: while it resolves one event it already fetches the table
  // entries and persons of the events a few places later. `out` (if not null) receives
  // one Resolution per event. Stops at the first error, with the resolutions of the
  // events before it in `out`. An event whose identifiers depend on the graph (an
  // alias's previousId, typed with Owner) must not come later in the same batch than
  // the events it depends on: start a new batch with it.
  absl::Status ResolveBatch(const std::vector<EventRef>& events, std::vector<Resolution>* out);

  // The canonical person of `id` as the graph stands now; 0 if unknown (never seen, or
  // seen only in a blocked attach). IdentityGraph::Owner's answer, e.g. to type an
  // alias's previousId during the run.
  uint64_t Owner(const Identifier& id) const;

  // Persons created (ids 1..person_count()) and merge log entries (ids
  // 1..merge_count()), blocked ones included.
  uint64_t person_count() const;
  uint64_t merge_count() const;
  // Of those, the blocked ones.
  uint64_t blocked_merge_count() const;
  // Distinct identifiers seen, including those only ever refused by a limit.
  size_t identifier_count() const;

  // Person `person`'s record as IdentityGraph stores it under its 'P' key: for a person
  // merged away, as it stood when it was merged (with merged_into set). NotFound if no
  // such person.
  absl::StatusOr<PersonRecord> StoredPerson(uint64_t person) const;
  // The canonical record (following merged_into), as IdentityGraph::ReadPerson.
  absl::StatusOr<PersonRecord> ReadPerson(uint64_t person) const;
  // Merge log entry `merge`, as IdentityGraph::ReadMerge. NotFound if no such entry.
  absl::StatusOr<MergeRecord> ReadMerge(uint64_t merge) const;

  // Bytes held by the resolver's tables (capacity, not just size): what it costs.
  size_t MemoryBytes() const;

  // Replaces the identity graph in `store` with this one: owner keys (pointing straight
  // at the canonical person, where a streaming graph may leave a chain through merged
  // persons; Lookup answers alike), person records, merge records, and the counters
  // identity_persons, identity_merges, identity_merges_blocked and identity_identifiers
  // (identifiers given to a person; a rebuild's size hint). Keys of the old
  // graph that this one lacks are deleted. Afterwards IdentityGraph's readers answer as
  // they would had IdentityGraph resolved the same events, and an IdentityGraph opened
  // on `store` continues numbering after this graph's persons and merges.
  //
  // Not atomic: written in bounded batches, the last one synced; after a failure the
  // graph in `store` is a mix, and WriteTo should be run again. Per-person data derived
  // from the old persons (event index 'E' and profile 'F' keys, the persons processor's
  // checkpoint) is not touched: a rebuild must redo it. IdentityGraph instances open on
  // `store` hold caches of the old graph and must be discarded.
  absl::Status WriteTo(storage::Store* store) const;

 private:
  struct Impl;
  explicit BatchResolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace aidmp::identity
