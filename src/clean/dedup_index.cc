#include "clean/dedup_index.h"

#include "common/key_coding.h"
#include "storage/keys.h"

namespace aidmp::clean {

std::string DedupIndex::Key(std::string_view source, std::string_view message_id) {
  return storage::DedupKey(source, message_id);
}

absl::Status DedupIndex::FindDuplicates(const std::vector<std::string>& keys, int64_t now_us,
                                        std::vector<bool>* duplicate) const {
  std::vector<std::optional<std::string>> values;
  absl::Status status = store_->MultiGet(storage::Family::kDedup, keys, &values);
  if (!status.ok()) return status;
  duplicate->assign(keys.size(), false);
  for (size_t key_idx = 0; key_idx < keys.size(); ++key_idx) {
    const auto& value = values[key_idx];
    if (!value.has_value() || value->size() < 8) continue;
    int64_t seen_at_us = static_cast<int64_t>(DecodeFixed64LE(value->data()));
    (*duplicate)[key_idx] = seen_at_us >= now_us - window_us_;
  }
  return absl::OkStatus();
}

void DedupIndex::Stage(const std::string& key, int64_t received_at_us, uint64_t seq,
                       storage::WriteBatch* batch) const {
  std::string value;
  PutFixed64LE(&value, static_cast<uint64_t>(received_at_us));
  PutFixed64LE(&value, seq);
  batch->Put(storage::Family::kDedup, key, value);
}

}  // namespace aidmp::clean
