#include "privacy/erasure.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/key_coding.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "clean/quarantine.h"
#include "event/event_codec.h"
#include "index/event_indexer.h"
#include "simdjson.h"
#include "storage/keys.h"

namespace aidmp::privacy {
namespace {

constexpr std::string_view kErasurePrefix = "erasure/";

bool IsHashType(identity::IdType type) {
  return type == identity::IdType::kEmailHash || type == identity::IdType::kPhoneHash;
}

// Does this quarantined payload name the person? Any string in it equal to one of their
// identifiers, or an email or phone whose hash is one of theirs; unparsable payloads by
// substring.
class PayloadMatcher {
 public:
  explicit PayloadMatcher(const std::vector<identity::Identifier>& ids) {
    for (const auto& id : ids) (IsHashType(id.type) ? hashes_ : plain_).insert(id.value);
  }

  bool Matches(std::string_view text) const {
    simdjson::dom::element root;
    if (parser_.parse(text.data(), text.size()).get(root) == simdjson::SUCCESS) return Walk(root, 0);
    for (const auto& value : plain_) {
      if (!value.empty() && text.find(value) != std::string_view::npos) return true;
    }
    return false;
  }

 private:
  bool MatchesString(std::string_view value) const {
    if (plain_.count(std::string(value))) return true;
    if (hashes_.empty()) return false;
    return hashes_.count(std::string(value)) || hashes_.count(HashEmail(value)) || hashes_.count(HashPhone(value));
  }

  bool Walk(simdjson::dom::element node, int depth) const {
    if (depth > 64) return false;
    std::string_view text;
    if (node.get_string().get(text) == simdjson::SUCCESS) return MatchesString(text);
    simdjson::dom::object object;
    if (node.get_object().get(object) == simdjson::SUCCESS) {
      for (auto field : object) {
        if (Walk(field.value, depth + 1)) return true;
      }
      return false;
    }
    simdjson::dom::array array;
    if (node.get_array().get(array) == simdjson::SUCCESS) {
      for (simdjson::dom::element item : array) {
        if (Walk(item, depth + 1)) return true;
      }
    }
    return false;
  }

  std::set<std::string> plain_, hashes_;
  mutable simdjson::dom::parser parser_;
};

}  // namespace

std::string EncodeErasure(const ErasureReport& report) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("person").Uint(report.person);
  writer.Key("at").String(FormatIso8601Micros(report.at_us));
  writer.Key("events").Uint(report.events);
  writer.Key("identifiers").Uint(report.identifiers);
  writer.Key("persons").Uint(report.persons);
  writer.Key("merges").Uint(report.merges);
  writer.Key("quarantine_records").Uint(report.quarantine_records);
  writer.EndObject();
  return writer.Take();
}

absl::StatusOr<ErasureReport> EraseStoredPerson(storage::Store* store, const identity::PersonRecord& person,
                                                int64_t now_us) {
  ErasureReport report;
  report.person = person.id;
  report.at_us = now_us;
  storage::WriteBatch batch(store);

  std::vector<uint64_t> members = person.absorbed;
  members.push_back(person.id);
  std::set<uint64_t> merges(person.merges.begin(), person.merges.end());
  for (uint64_t member : members) {
    // Absorbed persons' own records list the merges they took part in before.
    if (member != person.id) {
      std::string value;
      absl::Status status = store->Get(storage::Family::kIdentity, storage::PersonKey(member), &value);
      if (status.ok()) {
        identity::PersonRecord record;
        if (identity::IdentityGraph::DecodePerson(value, &record).ok()) merges.insert(record.merges.begin(), record.merges.end());
      } else if (!absl::IsNotFound(status)) {
        return status;
      }
    }
    // The member's events, through the person-event index.
    std::string prefix = storage::PersonEventPrefix(member);
    std::vector<std::string> index_keys;
    auto it = store->NewIterator(storage::Family::kIdentity);
    for (it->Seek(prefix); it->Valid() && it->key().substr(0, prefix.size()) == prefix; it->Next()) {
      // One by one: the identity family takes no range deletes (storage/store.h).
      batch.Delete(storage::Family::kIdentity, it->key());
      uint64_t seq = storage::IndexKeySeq(it->key());
      std::string record;
      absl::Status status = store->Get(storage::Family::kLog, storage::LogKey(seq), &record);
      if (absl::IsNotFound(status)) continue;
      if (!status.ok()) return status;
      event::Event event;
      status = event::DecodeStoredEvent(record, &event);
      if (!status.ok()) return status;
      batch.Delete(storage::Family::kLog, storage::LogKey(seq));
      index_keys.clear();
      index::AppendIndexKeys(event, seq, &index_keys);
      for (const auto& key : index_keys) batch.Delete(storage::Family::kIndex, key);
      batch.Delete(storage::Family::kDedup, storage::DedupKey(event.source, event.message_id));
      ++report.events;
    }
    if (!it->status().ok()) return it->status();
    batch.Delete(storage::Family::kIdentity, storage::PersonKey(member));
    batch.Delete(storage::Family::kIdentity, storage::ProfileKey(member));
    ++report.persons;
  }
  for (const auto& id : person.identifiers) {
    batch.Delete(storage::Family::kIdentity, storage::IdentifierKey(static_cast<uint8_t>(id.type), id.value));
    ++report.identifiers;
  }
  // Merges no one of them lists that still name them: the evidence of a merge an unmerge
  // undid, and of the merges of the persons it re-created, names the identifiers of the
  // events that caused them (the persons after the split are new, and list only the
  // merges of the replay); a new identifier refused because its person held the most of
  // its type is listed by that person only, and may be the erased person's now. Merge
  // records are few next to events: scan them all. A merge in force between two persons
  // who stay is their history: it keeps its place, without the erased identifiers.
  const std::set<uint64_t> erased(members.begin(), members.end());
  auto is_erased_id = [&person](const identity::Identifier& id) {
    return std::find(person.identifiers.begin(), person.identifiers.end(), id) != person.identifiers.end();
  };
  // The records of the merges that go, as this scan decodes them, so the mending below
  // does not read them again. A merge listed but missing or unreadable has none.
  std::map<uint64_t, identity::MergeRecord> doomed;
  {
    const std::string prefix(1, storage::kIdentityMerge);
    auto it = store->NewIterator(storage::Family::kIdentity);
    for (it->Seek(prefix); it->Valid() && it->key().substr(0, prefix.size()) == prefix; it->Next()) {
      identity::MergeRecord merge;
      if (!identity::IdentityGraph::DecodeMerge(it->value(), &merge).ok()) continue;
      if (merges.count(merge.id)) {
        doomed.emplace(merge.id, std::move(merge));
        continue;
      }
      bool party = erased.count(merge.winner) || erased.count(merge.loser);
      if (!party && std::none_of(merge.evidence.begin(), merge.evidence.end(), is_erased_id)) continue;
      if (!party && !merge.blocked && merge.loser != 0 && merge.undone_us == 0) {
        std::erase_if(merge.evidence, is_erased_id);
        batch.Put(storage::Family::kIdentity, std::string(it->key()), identity::IdentityGraph::EncodeMerge(merge));
      } else {
        merges.insert(merge.id);
        doomed.emplace(merge.id, std::move(merge));
      }
    }
    if (!it->status().ok()) return it->status();
  }
  // A refused merge names a person who stays (two userIds on one family tablet): it is in
  // their merge list too, and so may be a merge found above. The record goes (its evidence
  // holds the erased identifiers), so it leaves their list, or their profile would point
  // at a merge that is gone.
  std::map<uint64_t, identity::PersonRecord> staying;
  std::set<uint64_t> mended;
  for (uint64_t merge_id : merges) {
    auto found = doomed.find(merge_id);
    if (found != doomed.end()) {
      const identity::MergeRecord& merge = found->second;
      for (uint64_t party : {merge.winner, merge.loser}) {
        if (party == 0 || erased.count(party)) continue;
        auto other = staying.find(party);
        if (other == staying.end()) {
          // The party's own record (merged away or not): that is where the merge is listed.
          // An unreadable one cannot be mended here, and must not stop the erasure.
          std::string stored;
          absl::Status status = store->Get(storage::Family::kIdentity, storage::PersonKey(party), &stored);
          if (absl::IsNotFound(status)) continue;
          if (!status.ok()) return status;
          identity::PersonRecord record;
          if (!identity::IdentityGraph::DecodePerson(stored, &record).ok()) continue;
          other = staying.emplace(party, std::move(record)).first;
        }
        if (std::erase(other->second.merges, merge_id) > 0) mended.insert(party);
      }
    }
    batch.Delete(storage::Family::kIdentity, storage::MergeKey(merge_id));
    ++report.merges;
  }
  // Only records that listed a merge are rewritten: an unmerge's old persons, now pointers
  // to the new ones, list nothing.
  for (uint64_t id : mended) {
    batch.Put(storage::Family::kIdentity, storage::PersonKey(id), identity::IdentityGraph::EncodePerson(staying[id]));
    report.rewritten.push_back(id);
  }

  PayloadMatcher matcher(person.identifiers);
  auto it = store->NewIterator(storage::Family::kQuarantine);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    clean::QuarantineRecord record;
    if (!clean::Quarantine::DecodeRecord(it->value(), &record).ok()) continue;
    if (matcher.Matches(record.raw) || matcher.Matches(record.message)) {
      batch.Delete(storage::Family::kQuarantine, it->key());
      ++report.quarantine_records;
    }
  }
  if (!it->status().ok()) return it->status();

  // Split rules (unmerges) that name them.
  const std::string split_prefix = "split/";
  auto splits = store->NewIterator(storage::Family::kMeta);
  for (splits->Seek(split_prefix); splits->Valid() && splits->key().substr(0, split_prefix.size()) == split_prefix;
       splits->Next()) {
    if (matcher.Matches(splits->value())) batch.Delete(storage::Family::kMeta, splits->key());
  }
  if (!splits->status().ok()) return splits->status();

  std::string log_key(kErasurePrefix);
  PutFixed64BE(&log_key, static_cast<uint64_t>(now_us));
  PutFixed64BE(&log_key, person.id);
  batch.Put(storage::Family::kMeta, log_key, EncodeErasure(report));
  batch.AddCounter(storage::CounterKey("erasures"), 1);
  absl::Status status = store->Write(&batch, /*sync=*/true);
  if (!status.ok()) return status;
  // Tombstones hide the data; compaction removes it from the files.
  status = store->PurgeDeleted();
  if (!status.ok()) return status;
  return report;
}

absl::StatusOr<std::vector<std::string>> ListErasures(storage::Store* store, size_t limit) {
  std::vector<std::string> out;
  auto it = store->NewIterator(storage::Family::kMeta);
  for (it->Seek(kErasurePrefix); it->Valid() && out.size() < limit && it->key().substr(0, kErasurePrefix.size()) == kErasurePrefix;
       it->Next()) {
    out.emplace_back(it->value());
  }
  if (!it->status().ok()) return it->status();
  return out;
}

}  // namespace aidmp::privacy
