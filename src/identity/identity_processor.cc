#include "identity/identity_processor.h"

#include <algorithm>

#include "common/key_coding.h"
#include "event/event_codec.h"
#include "storage/keys.h"

namespace aidmp::identity {

absl::Status IdentityProcessor::Apply(const std::vector<log::LogEntry>& entries, storage::WriteBatch* batch) {
  graph_.BeginBatch();
  event::Event event;
  for (const auto& entry : entries) {
    absl::Status status = event::DecodeStoredEvent(entry.record, &event);
    if (!status.ok()) return status;
    std::vector<Identifier> ids = ExtractIdentifiers(event);
    if (!event.previous_id.empty()) {
      // An alias's previousId is whoever already answers to it: a known user, else an
      // anonymous visitor.
      auto as_user = graph_.Owner({IdType::kUserId, event.previous_id});
      if (!as_user.ok()) return as_user.status();
      ids.push_back({*as_user != 0 ? IdType::kUserId : IdType::kAnonymousId, event.previous_id});
    }
    if (ids.empty()) continue;  // cleaning guarantees an id; nothing to attribute otherwise
    auto resolution = graph_.Resolve(ids, entry.seq, event.timestamp_us, batch);
    if (!resolution.ok()) return resolution.status();
    batch->Put(storage::Family::kIdentity,
               storage::IndexKey(storage::PersonEventPrefix(resolution->person), event.timestamp_us, entry.seq), "");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint64_t>> PersonEventSeqs(storage::Store* store, const PersonRecord& person,
                                                      int64_t before_us, size_t limit) {
  std::vector<std::pair<int64_t, uint64_t>> found;  // (time, seq)
  std::vector<uint64_t> persons = person.absorbed;
  persons.push_back(person.id);
  for (uint64_t member : persons) {
    std::string prefix = storage::PersonEventPrefix(member);
    auto it = store->NewIterator(storage::Family::kIdentity);
    size_t taken = 0;
    for (it->SeekForPrev(storage::IndexKey(prefix, before_us, 0));
         it->Valid() && taken < limit; it->Prev(), ++taken) {
      std::string_view key = it->key();
      if (key.size() != prefix.size() + 16 || key.compare(0, prefix.size(), prefix) != 0) break;
      found.emplace_back(storage::IndexKeyTime(key), storage::IndexKeySeq(key));
    }
    if (!it->status().ok()) return it->status();
  }
  std::sort(found.begin(), found.end(), std::greater<>());
  if (found.size() > limit) found.resize(limit);
  std::vector<uint64_t> seqs;
  for (const auto& [ts, seq] : found) seqs.push_back(seq);
  return seqs;
}

}  // namespace aidmp::identity
