// Decoded profiles kept by the person processor between its steps, so that a person
// touched again soon is not read and decoded from the store again: a bounded cache by
// person, least recently used out first.
//
// Each entry has a charge, its approximate memory (Profile::ApproxBytes), set by the
// caller after changing it; Trim evicts until the charges fit the budget. An entry marked
// dirty holds a change the store does not have yet (a rebuild writes profiles back
// rather than through): Trim and FlushDirty hand those to the caller to write.
//
// Pointers returned by Find and Insert stay valid until that entry is erased, trimmed or
// cleared. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <unordered_map>

#include "absl/status/status.h"
#include "profile/profile.h"

namespace aidmp::profile {

class ProfileCache {
 public:
  explicit ProfileCache(size_t budget_bytes) : budget_(budget_bytes) {}

  // The cached profile of `person`, now the most recently used; null if not cached.
  Profile* Find(uint64_t person);
  // Caches `profile` for `person` (replacing any entry), clean, charged nothing until
  // Charge; most recently used.
  Profile* Insert(uint64_t person, Profile profile);
  // Sets the entry's charge and whether the store lacks its latest state. No-op if
  // `person` is not cached.
  void Charge(uint64_t person, size_t bytes, bool dirty);
  void Erase(uint64_t person);
  void Clear();

  using WriteFn = std::function<absl::Status(uint64_t person, const Profile& profile)>;
  // Evicts least recently used entries until the charges are within the budget; each
  // dirty one is first given to `write` (an error stops the trim, the entry stays).
  absl::Status Trim(const WriteFn& write);
  // Gives every dirty entry to `write`, in person order, and marks it clean.
  absl::Status FlushDirty(const WriteFn& write);

  size_t size() const { return entries_.size(); }
  size_t charged_bytes() const { return charged_; }
  size_t budget_bytes() const { return budget_; }

 private:
  struct Entry {
    Profile profile;
    size_t charge = 0;
    bool dirty = false;
    std::list<uint64_t>::iterator lru;  // position in lru_
  };

  size_t budget_;
  size_t charged_ = 0;
  std::unordered_map<uint64_t, Entry> entries_;  // node-based: entries do not move
  std::list<uint64_t> lru_;                      // least recently used first
};

}  // namespace aidmp::profile
