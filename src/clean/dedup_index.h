// Exact de-duplication by messageId per source, within a window, persistent across
// restarts and bounded in memory (the index lives in the store's kDedup family, with a
// bloom filter per file; only the block cache is in memory).
//
// Window: an id seen less than `window_us` ago (by receipt time) is a duplicate; older
// entries are ignored on lookup and dropped at compaction.
// Thread-safety: FindDuplicates from any thread; exactness across concurrent
// submissions is the caller's job (the ingest pipeline runs lookups and staging on one
// writer thread and also checks within the group it is writing).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "storage/store.h"

namespace aidmp::clean {

class DedupIndex {
 public:
  DedupIndex(storage::Store* store, int64_t window_us) : store_(store), window_us_(window_us) {}

  // The key of one message; `source` scopes ids (a write key's source id).
  static std::string Key(std::string_view source, std::string_view message_id);

  // Sets (*duplicate)[i] for each key seen within the window before `now_us`.
  absl::Status FindDuplicates(const std::vector<std::string>& keys, int64_t now_us,
                              std::vector<bool>* duplicate) const;

  // Records `key` as seen at `received_at_us`, stored at log position `seq`.
  void Stage(const std::string& key, int64_t received_at_us, uint64_t seq,
             storage::WriteBatch* batch) const;

  int64_t window_us() const { return window_us_; }

 private:
  storage::Store* store_;
  int64_t window_us_;
};

}  // namespace aidmp::clean
