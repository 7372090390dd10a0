#include "identity/person_events.h"

#include <algorithm>

#include "common/key_coding.h"
#include "storage/keys.h"

namespace aidmp::identity {

void StagePersonEvent(uint64_t person, int64_t ts_us, uint64_t seq, storage::WriteBatch* batch) {
  batch->Put(storage::Family::kIdentity, storage::IndexKey(storage::PersonEventPrefix(person), ts_us, seq), "");
}

absl::StatusOr<std::vector<PersonEvent>> PersonEventSeqs(storage::Store* store, const PersonRecord& person,
                                                         int64_t before_us, size_t limit, int64_t after_us) {
  std::vector<std::pair<int64_t, uint64_t>> found;  // (time, seq)
  std::vector<uint64_t> persons = person.absorbed;
  persons.push_back(person.id);
  // One iterator for all members: creating one costs more than a seek.
  auto it = store->NewIterator(storage::Family::kIdentity);
  for (uint64_t member : persons) {
    std::string prefix = storage::PersonEventPrefix(member);
    size_t taken = 0;
    for (it->SeekForPrev(storage::IndexKey(prefix, before_us, 0));
         it->Valid() && taken < limit; it->Prev(), ++taken) {
      std::string_view key = it->key();
      if (key.size() != prefix.size() + 16 || key.compare(0, prefix.size(), prefix) != 0) break;
      if (storage::IndexKeyTime(key) < after_us) break;  // older ones follow
      found.emplace_back(storage::IndexKeyTime(key), storage::IndexKeySeq(key));
    }
    if (!it->status().ok()) return it->status();
  }
  std::sort(found.begin(), found.end(), std::greater<>());
  if (found.size() > limit) found.resize(limit);
  std::vector<PersonEvent> events;
  for (const auto& [ts, seq] : found) events.push_back(PersonEvent{ts, seq});
  return events;
}

}  // namespace aidmp::identity
