// Exact de-duplication by messageId per source, within a window, persistent across
// restarts and bounded in memory.
//
// Where the ids live: the ids of the latest events in memory (a hash table, at most
// `spill_keys` of them or `spill_age_us` old), all older ones in the store's kDedup
// family, with a bloom filter per file. A full table is sorted and written to the store
// as one file (Store::IngestEntries) by a thread of the index's own, while the writer
// goes on with a fresh table; skip-list inserts of random messageIds in the acknowledgement
// path cost several times more (docs/benchmarks.md, session 13).
//
// Durability: every remembered id belongs to an event already durable in the event log.
// The index records in kMeta the log position up to which its ids are in the store
// (`DurableSeq`); after a crash the owner replays the log past it (`Remember` for each
// stored event) before the first lookup, and the index is exact again.
//
// Window: an id seen less than `window_us` ago (by receipt time) is a duplicate; older
// entries are ignored on lookup and dropped at compaction.
//
// Thread-safety: FindDuplicates and Remember from one writer at a time (the ingest
// pipeline's group-commit thread; exactness within a group is its job too); Spill from
// any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/clock.h"
#include "storage/store.h"

namespace aidmp::clean {

struct DedupMemoryOptions {
  // A table this full, or whose oldest id is this old, goes to the store.
  size_t spill_keys = 250000;
  int64_t spill_age_us = 30'000'000;
  // Reads the age; null means the system clock.
  const Clock* clock = nullptr;
};

class DedupIndex {
 public:
  DedupIndex(storage::Store* store, int64_t window_us, DedupMemoryOptions memory = {});
  // Writes what is in memory to the store (unless read-only), then stops the spill thread.
  ~DedupIndex();
  DedupIndex(const DedupIndex&) = delete;
  DedupIndex& operator=(const DedupIndex&) = delete;

  // The key of one message; `source` scopes ids (a write key's source id).
  static std::string Key(std::string_view source, std::string_view message_id);

  // Sets (*duplicate)[i] for each key seen within the window before `now_us`.
  absl::Status FindDuplicates(const std::vector<std::string>& keys, int64_t now_us,
                              std::vector<bool>* duplicate) const;

  // Records `key` as seen at `received_at_us`, for the event at log position `seq`,
  // which must be durable already. Seqs only grow from one call to the next.
  void Remember(const std::string& key, int64_t received_at_us, uint64_t seq);
  // The same for a group commit's ids, in seq order, under one lock.
  struct Id {
    const std::string* key;
    int64_t received_at_us;
    uint64_t seq;
  };
  void RememberAll(const std::vector<Id>& ids);

  // Every remembered id of an event at or below this log position is in the store; a
  // replay after a crash starts past it.
  uint64_t DurableSeq() const;

  // False for a data directory that has never had an index keeping ids in memory: one
  // new, or one whose every id went to the store with its event (before session 13).
  bool KnowsDurableSeq() const;
  // For such a directory: records that the ids of every event up to `seq` are in the
  // store already, so nothing before it is replayed. Durable when it returns OK.
  absl::Status AdoptStoredIds(uint64_t seq);

  // Writes everything in memory to the store and returns when it is there (erasure
  // needs the ids of the events it erases where its deletes reach them).
  absl::Status Spill();

  int64_t window_us() const { return window_us_; }

  // Ids held in memory now (the active table and one being written): what /metrics shows
  // of the index's bounded memory.
  size_t IdsInMemory() const;

 private:
  struct Seen {
    int64_t received_at_us;
    uint64_t seq;
  };
  using Table = absl::flat_hash_map<std::string, Seen>;

  // Remember's work; mu_ held.
  void RememberLocked(const std::string& key, int64_t received_at_us, uint64_t seq, int64_t now_us);
  // Hands the active table to the spill thread; mu_ held, no spill in flight.
  void StartSpillLocked();
  // Sorts `table` and ingests it, then records `up_to_seq` as durable.
  absl::Status WriteTable(const Table& table, uint64_t up_to_seq);
  void SpillLoop();

  storage::Store* store_;
  int64_t window_us_;
  DedupMemoryOptions memory_;
  const Clock* clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  Table active_;                           // guarded by mu_
  int64_t active_since_us_ = 0;            // clock time of active_'s first id; guarded by mu_
  uint64_t active_last_seq_ = 0;           // guarded by mu_
  std::shared_ptr<const Table> spilling_;  // being written; guarded by mu_
  uint64_t spilling_last_seq_ = 0;         // guarded by mu_
  uint64_t durable_seq_ = 0;               // guarded by mu_
  bool durable_seq_known_ = false;         // guarded by mu_
  absl::Status last_error_;                // of the last spill; guarded by mu_
  bool stopping_ = false;                  // guarded by mu_
  std::thread spiller_;
};

}  // namespace aidmp::clean
