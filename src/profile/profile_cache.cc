#include "profile/profile_cache.h"

#include <algorithm>
#include <vector>

#include "common/status.h"

namespace aidmp::profile {

Profile* ProfileCache::Find(uint64_t person) {
  auto it = entries_.find(person);
  if (it == entries_.end()) return nullptr;
  lru_.splice(lru_.end(), lru_, it->second.lru);
  return &it->second.profile;
}

Profile* ProfileCache::Insert(uint64_t person, Profile profile) {
  Erase(person);
  auto [it, inserted] = entries_.try_emplace(person);
  it->second.profile = std::move(profile);
  it->second.lru = lru_.insert(lru_.end(), person);
  return &it->second.profile;
}

void ProfileCache::Charge(uint64_t person, size_t bytes, bool dirty) {
  auto it = entries_.find(person);
  if (it == entries_.end()) return;
  charged_ = charged_ - it->second.charge + bytes;
  it->second.charge = bytes;
  it->second.dirty = dirty;
}

void ProfileCache::Erase(uint64_t person) {
  auto it = entries_.find(person);
  if (it == entries_.end()) return;
  charged_ -= it->second.charge;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

void ProfileCache::Clear() {
  entries_.clear();
  lru_.clear();
  charged_ = 0;
}

absl::Status ProfileCache::Trim(const WriteFn& write) {
  while (charged_ > budget_ && !lru_.empty()) {
    auto it = entries_.find(lru_.front());
    if (it->second.dirty) AIDMP_RETURN_IF_ERROR(write(it->first, it->second.profile));
    Erase(it->first);
  }
  return absl::OkStatus();
}

absl::Status ProfileCache::FlushDirty(const WriteFn& write) {
  std::vector<uint64_t> dirty;
  for (const auto& [person, entry] : entries_) {
    if (entry.dirty) dirty.push_back(person);
  }
  std::sort(dirty.begin(), dirty.end());
  for (uint64_t person : dirty) {
    Entry& entry = entries_.at(person);
    AIDMP_RETURN_IF_ERROR(write(person, entry.profile));
    entry.dirty = false;
  }
  return absl::OkStatus();
}

}  // namespace aidmp::profile
