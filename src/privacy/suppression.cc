#include "privacy/suppression.h"

#include <mutex>

#include "common/hash.h"
#include "common/strings.h"

namespace aidmp::privacy {
namespace {
constexpr std::string_view kPrefix = "suppress/";
}  // namespace

SuppressionList::SuppressionList(storage::Store* store) : store_(store) {}

absl::Status SuppressionList::Load() {
  std::unique_lock lock(mu_);
  auto it = store_->NewIterator(storage::Family::kMeta);
  for (it->Seek(kPrefix); it->Valid() && it->key().substr(0, kPrefix.size()) == kPrefix; it->Next()) {
    keys_.emplace(it->key().substr(kPrefix.size()));
  }
  size_ = keys_.size();
  return it->status();
}

std::string SuppressionList::KeyOf(const identity::Identifier& id) {
  return StrCat(static_cast<int>(id.type), ":", Sha256Hex(id.value));
}

std::vector<std::string> SuppressionList::KeysOf(const event::Event& event) {
  std::vector<std::string> keys;
  for (const auto& id : identity::ExtractIdentifiers(event)) keys.push_back(KeyOf(id));
  if (!event.previous_id.empty()) {
    // An alias's previousId may name a user or an anonymous visitor: check both.
    keys.push_back(KeyOf({identity::IdType::kUserId, event.previous_id}));
    keys.push_back(KeyOf({identity::IdType::kAnonymousId, event.previous_id}));
  }
  return keys;
}

absl::Status SuppressionList::Add(const std::vector<identity::Identifier>& ids, int64_t now_us) {
  storage::WriteBatch batch(store_);
  std::vector<std::string> keys;
  for (const auto& id : ids) {
    keys.push_back(KeyOf(id));
    batch.Put(storage::Family::kMeta, StrCat(kPrefix, keys.back()), std::to_string(now_us));
  }
  absl::Status status = store_->Write(&batch, /*sync=*/true);
  if (!status.ok()) return status;
  std::unique_lock lock(mu_);  // waits for the ingest group in flight
  for (auto& key : keys) keys_.insert(std::move(key));
  size_ = keys_.size();
  return absl::OkStatus();
}

bool SuppressionList::ContainsAnyLocked(const std::vector<std::string>& keys) const {
  for (const auto& key : keys) {
    if (keys_.count(key)) return true;
  }
  return false;
}

}  // namespace aidmp::privacy
