// The suppression list: identifiers of erased persons, whose events are dropped at
// ingest (counted, never stored or quarantined) so an erased person does not come back.
//
// Identifiers are kept as SHA-256 of their value (with the type), in the meta family
// ("suppress/<type>:<sha256>") and in memory. The ingest writer checks a group of events
// under a shared lock and Add takes it exclusively, so once Add returns no event carrying
// an added identifier is written afterwards.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <shared_mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "identity/identifier.h"
#include "storage/store.h"

namespace aidmp::privacy {

class SuppressionList {
 public:
  explicit SuppressionList(storage::Store* store);

  // Loads the stored list.
  absl::Status Load();

  // Adds identifiers, durably, and waits out any ingest group checked before.
  absl::Status Add(const std::vector<identity::Identifier>& ids, int64_t now_us);

  // The keys an event is checked by: one per identifier it carries.
  static std::string KeyOf(const identity::Identifier& id);
  static std::vector<std::string> KeysOf(const event::Event& event);

  // True if nothing was ever suppressed: the ingest path then skips the check.
  bool empty() const { return size_.load(std::memory_order_acquire) == 0; }
  size_t size() const { return size_.load(std::memory_order_acquire); }

  // Hold while checking and writing a group of events.
  std::shared_lock<std::shared_mutex> LockShared() const { return std::shared_lock(mu_); }
  // With the shared lock held: is any of `keys` suppressed?
  bool ContainsAnyLocked(const std::vector<std::string>& keys) const;

 private:
  storage::Store* store_;
  mutable std::shared_mutex mu_;
  std::unordered_set<std::string> keys_;  // guarded by mu_
  std::atomic<size_t> size_{0};
};

}  // namespace aidmp::privacy
