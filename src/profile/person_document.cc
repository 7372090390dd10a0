#include "profile/person_document.h"

#include <map>
#include <optional>
#include <set>

#include "common/parallel.h"
#include "common/status.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "event/event_codec.h"
#include "identity/person_events.h"
#include "profile/person_processor.h"
#include "storage/keys.h"

namespace aidmp::profile {

absl::StatusOr<identity::PersonRecord> FindPerson(storage::Store* store, const identity::Identifier& id) {
  auto person = identity::IdentityGraph::LookupPerson(store, id);
  if (absl::IsNotFound(person.status())) {
    return absl::NotFoundError(StrCat("no person has ", identity::IdTypeName(id.type), " '", id.value.substr(0, 64),
                                      "' (yet: the identity processor may lag)"));
  }
  return person;
}

absl::Status WritePersonDocument(storage::Store* store, const ProfileModel& model,
                                 const identity::PersonRecord& person, const RfmModel* rfm,
                                 const DocumentOptions& options, JsonWriter* writer) {
  size_t limit = std::min<size_t>(std::max<size_t>(options.events_limit, 1), 1000);
  auto seqs = identity::PersonEventSeqs(store, person, options.events_before_us, limit);
  if (!seqs.ok()) return seqs.status();
  auto profile = ReadProfile(store, person.id);
  if (!profile.ok()) return profile.status();
  // The merge records and the events, each in one batched read.
  std::vector<std::string> keys;
  keys.reserve(person.merges.size());
  for (uint64_t merge_id : person.merges) keys.push_back(storage::MergeKey(merge_id));
  std::vector<std::optional<std::string>> merges;
  AIDMP_RETURN_IF_ERROR(store->MultiGet(storage::Family::kIdentity, keys, &merges));
  keys.clear();
  for (const identity::PersonEvent& entry : *seqs) keys.push_back(storage::LogKey(entry.seq));
  std::vector<std::optional<std::string>> events;
  AIDMP_RETURN_IF_ERROR(store->MultiGet(storage::Family::kLog, keys, &events));

  writer->BeginObject();
  writer->Key("person_id").Uint(person.id);
  writer->Key("evaluated_at").String(FormatIso8601Micros(options.now_us));
  writer->Key("identifiers").BeginArray();
  for (const auto& id : person.identifiers) {
    writer->BeginObject().Key("type").String(identity::IdTypeName(id.type)).Key("value").String(id.value).EndObject();
  }
  writer->EndArray();
  writer->Key("absorbed_persons").BeginArray();
  for (uint64_t absorbed : person.absorbed) writer->Uint(absorbed);
  writer->EndArray();
  WriteProfileMembers(*profile, model, options.now_us, rfm, writer);
  writer->Key("merges").BeginArray();
  for (size_t merge_idx = 0; merge_idx < merges.size(); ++merge_idx) {
    if (!merges[merge_idx]) return absl::NotFoundError(StrCat("merge ", person.merges[merge_idx], " not found"));
    identity::MergeRecord merge;
    AIDMP_RETURN_IF_ERROR(identity::IdentityGraph::DecodeMerge(*merges[merge_idx], &merge));
    writer->Raw(identity::IdentityGraph::EncodeMerge(merge));
  }
  writer->EndArray();
  writer->Key("recent_events").BeginArray();
  int64_t oldest_us = 0;
  for (size_t event_idx = 0; event_idx < events.size(); ++event_idx) {
    if (!events[event_idx]) continue;  // erased from the log
    oldest_us = (*seqs)[event_idx].ts_us;
    writer->Raw(*events[event_idx]);
  }
  writer->EndArray();
  writer->Key("next_before");
  if (seqs->size() == limit) {
    writer->String(FormatIso8601Micros(oldest_us));
  } else {
    writer->Null();
  }
  writer->EndObject();
  return absl::OkStatus();
}

namespace {

absl::StatusOr<identity::PersonRecord> ReadRaw(storage::Store* store, uint64_t person) {
  std::string value;
  absl::Status status = store->Get(storage::Family::kIdentity, storage::PersonKey(person), &value);
  if (absl::IsNotFound(status)) return absl::NotFoundError(StrCat("no person ", person));
  if (!status.ok()) return status;
  identity::PersonRecord record;
  AIDMP_RETURN_IF_ERROR(identity::IdentityGraph::DecodePerson(value, &record));
  return record;
}

// The log position of the last event that had arrived by `ts_us` (0 if none): a binary
// search over the log, whose arrival times grow with the position.
absl::StatusOr<uint64_t> SeqArrivedBy(storage::Store* store, int64_t ts_us) {
  auto it = store->NewIterator(storage::Family::kLog);
  it->SeekToLast();
  if (!it->Valid()) {
    if (!it->status().ok()) return it->status();
    return uint64_t{0};
  }
  uint64_t lo = 0, hi = storage::DecodeLogKey(it->key());
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;
    it->Seek(storage::LogKey(mid));
    if (!it->Valid()) {
      hi = mid - 1;
      continue;
    }
    uint64_t found = storage::DecodeLogKey(it->key());
    event::Event event;
    AIDMP_RETURN_IF_ERROR(event::DecodeStoredEvent(it->value(), &event));
    if (event.received_at_us <= ts_us) {
      lo = found;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// The merge that absorbed `person` into its parent, if any.
absl::StatusOr<std::optional<identity::MergeRecord>> AbsorbingMerge(storage::Store* store,
                                                                    const identity::PersonRecord& person) {
  for (auto it = person.merges.rbegin(); it != person.merges.rend(); ++it) {
    auto merge = identity::IdentityGraph::ReadMerge(store, *it);
    if (absl::IsNotFound(merge.status())) continue;
    if (!merge.ok()) return merge.status();
    if (!merge->blocked && merge->loser == person.id && merge->undone_us == 0) return merge;
  }
  return std::optional<identity::MergeRecord>();
}

}  // namespace

absl::StatusOr<uint64_t> OriginalOwner(storage::Store* store, const identity::Identifier& id) {
  auto current = FindPerson(store, id);
  if (!current.ok()) return current.status();
  // Every holder of an identifier is its first owner or an ancestor of it, and the
  // survivor of a merge is the older person: the first owner has the largest number.
  uint64_t owner = current->id;
  for (uint64_t member : current->absorbed) {
    auto record = ReadRaw(store, member);
    if (!record.ok()) continue;
    if (member > owner && std::find(record->identifiers.begin(), record->identifiers.end(), id) != record->identifiers.end()) {
      owner = member;
    }
  }
  return owner;
}

absl::Status WritePersonDocumentAsOf(storage::Store* store, const ProfileModel& model, uint64_t root,
                                     int64_t as_of_us, const DocumentOptions& options, JsonWriter* writer) {
  auto seq_by = SeqArrivedBy(store, as_of_us);
  if (!seq_by.ok()) return seq_by.status();
  auto record = ReadRaw(store, root);
  if (!record.ok()) return record.status();
  // Climb while the merges above had happened by then.
  for (int hop = 0; hop < 64 && record->merged_into != 0; ++hop) {
    auto merge = AbsorbingMerge(store, *record);
    if (!merge.ok()) return merge.status();
    if (!merge->has_value() || (*merge)->seq > *seq_by) break;
    record = ReadRaw(store, record->merged_into);
    if (!record.ok()) return record.status();
  }
  if (record->first_seq > *seq_by) {
    return absl::NotFoundError(StrCat("person ", root, " did not exist yet at ", FormatIso8601Micros(as_of_us)));
  }
  // Descend: the persons merged into it by then. Each absorbed person lists its own merges.
  auto canonical = identity::IdentityGraph::ReadPerson(store, record->id);
  if (!canonical.ok()) return canonical.status();
  std::set<uint64_t> members = {record->id};
  std::vector<identity::MergeRecord> merges;
  bool grew = true;
  std::map<uint64_t, identity::PersonRecord> records;
  for (uint64_t candidate : canonical->absorbed) {
    auto raw = ReadRaw(store, candidate);
    if (raw.ok()) records[candidate] = *raw;
  }
  while (grew) {
    grew = false;
    for (const auto& [candidate, raw] : records) {
      if (members.count(candidate) || !members.count(raw.merged_into)) continue;
      auto merge = AbsorbingMerge(store, raw);
      if (!merge.ok()) return merge.status();
      if (merge->has_value() && (*merge)->seq <= *seq_by) {
        members.insert(candidate);
        grew = true;
      }
    }
  }
  // Their events that had arrived, in log order, folded into a fresh profile.
  std::vector<std::pair<uint64_t, std::string>> events;
  for (uint64_t member : members) {
    std::string prefix = storage::PersonEventPrefix(member);
    auto it = store->NewIterator(storage::Family::kIdentity);
    for (it->Seek(prefix); it->Valid() && it->key().substr(0, prefix.size()) == prefix; it->Next()) {
      uint64_t seq = storage::IndexKeySeq(it->key());
      if (seq > *seq_by) continue;
      std::string value;
      absl::Status status = store->Get(storage::Family::kLog, storage::LogKey(seq), &value);
      if (absl::IsNotFound(status)) continue;
      if (!status.ok()) return status;
      events.emplace_back(seq, std::move(value));
    }
    if (!it->status().ok()) return it->status();
  }
  std::sort(events.begin(), events.end());
  Profile profile;
  profile.person = record->id;
  std::vector<identity::Identifier> identifiers;
  for (const auto& [seq, value] : events) {
    event::Event event;
    AIDMP_RETURN_IF_ERROR(event::DecodeStoredEvent(value, &event));
    profile.Apply(event, model);
    for (auto& id : identity::ExtractIdentifiers(event)) {
      if (std::find(identifiers.begin(), identifiers.end(), id) == identifiers.end()) identifiers.push_back(std::move(id));
    }
  }
  std::set<uint64_t> merge_ids;
  for (uint64_t member : members) {
    const auto& list = member == record->id ? record->merges : records[member].merges;
    merge_ids.insert(list.begin(), list.end());
  }

  writer->BeginObject();
  writer->Key("person_id").Uint(record->id);
  writer->Key("as_of").String(FormatIso8601Micros(as_of_us));
  writer->Key("evaluated_at").String(FormatIso8601Micros(options.now_us));
  writer->Key("current_person_id").Uint(canonical->id);
  writer->Key("identifiers").BeginArray();
  for (const auto& id : identifiers) {
    writer->BeginObject().Key("type").String(identity::IdTypeName(id.type)).Key("value").String(id.value).EndObject();
  }
  writer->EndArray();
  writer->Key("absorbed_persons").BeginArray();
  for (uint64_t member : members) {
    if (member != record->id) writer->Uint(member);
  }
  writer->EndArray();
  WriteProfileMembers(profile, model, options.now_us, nullptr, writer);
  writer->Key("merges").BeginArray();
  for (uint64_t merge_id : merge_ids) {
    auto merge = identity::IdentityGraph::ReadMerge(store, merge_id);
    if (absl::IsNotFound(merge.status())) continue;
    if (!merge.ok()) return merge.status();
    if (merge->seq <= *seq_by) writer->Raw(identity::IdentityGraph::EncodeMerge(*merge));
  }
  writer->EndArray();
  writer->Key("recent_events").BeginArray();
  size_t limit = std::min<size_t>(std::max<size_t>(options.events_limit, 1), 1000);
  for (auto it = events.rbegin(); it != events.rend() && limit > 0; ++it, --limit) writer->Raw(it->second);
  writer->EndArray();
  writer->EndObject();
  return absl::OkStatus();
}

RfmCache::~RfmCache() {
  std::thread refit;
  {
    std::lock_guard<std::mutex> lock(mu_);
    refit = std::move(refit_);
  }
  if (refit.joinable()) refit.join();
}

absl::StatusOr<RfmModel> RfmCache::Get(int64_t now_us) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!fitted_) {
    auto fitted = FitRfm(store_, *model_, now_us);
    if (!fitted.ok()) return fitted.status();
    fitted_ = *fitted;
    return *fitted;
  }
  bool stale = now_us - fitted_->fitted_at_us >= max_age_us_;
  if (stale && !refitting_) {
    refitting_ = true;
    if (refit_.joinable()) refit_.join();  // finished: refitting_ was false
    refit_ = std::thread([this, now_us] {
      NameThisThread("aidmp-rfm-fit");
      auto fitted = FitRfm(store_, *model_, now_us);
      std::lock_guard<std::mutex> lock(mu_);
      if (fitted.ok()) fitted_ = *fitted;
      refitting_ = false;
    });
  }
  return *fitted_;
}

}  // namespace aidmp::profile
