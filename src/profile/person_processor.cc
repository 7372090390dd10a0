#include "profile/person_processor.h"

#include <set>

#include "event/event_codec.h"
#include "identity/person_events.h"
#include "common/status.h"
#include "common/strings.h"
#include "storage/keys.h"

namespace aidmp::profile {
namespace {

// An alias's previousId is whoever already answers to it: a known user (`owner_as_user`,
// the person holding it as a userId, is not 0), else an anonymous visitor.
identity::Identifier PreviousIdentifier(const std::string& previous_id, uint64_t owner_as_user) {
  return {owner_as_user != 0 ? identity::IdType::kUserId : identity::IdType::kAnonymousId, previous_id};
}

}  // namespace

absl::StatusOr<Profile> ReadProfile(storage::Store* store, uint64_t person) {
  std::string value;
  absl::Status status = store->Get(storage::Family::kIdentity, storage::ProfileKey(person), &value);
  Profile profile;
  profile.person = person;
  if (absl::IsNotFound(status)) return profile;
  if (!status.ok()) return status;
  status = Profile::Decode(value, &profile);
  if (!status.ok()) return status;
  return profile;
}

absl::StatusOr<Profile*> PersonProcessor::Load(uint64_t person, std::set<uint64_t>* touched) {
  touched->insert(person);
  if (Profile* cached = cache_.Find(person)) return cached;
  auto stored = ReadProfile(store_, person);
  if (!stored.ok()) return stored.status();
  return cache_.Insert(person, std::move(*stored));
}

absl::Status PersonProcessor::Fold(const event::Event& event, uint64_t seq, const identity::Resolution& resolution,
                                   std::set<uint64_t>* touched, std::set<uint64_t>* merged_away,
                                   storage::WriteBatch* batch) {
  for (const auto& [loser, winner] : resolution.absorbed) {
    auto loser_profile = Load(loser, touched);
    if (!loser_profile.ok()) return loser_profile.status();
    Profile absorbed = std::move(**loser_profile);
    cache_.Erase(loser);
    touched->erase(loser);
    merged_away->insert(loser);
    auto winner_profile = Load(winner, touched);
    if (!winner_profile.ok()) return winner_profile.status();
    (*winner_profile)->Merge(absorbed, *model_);
  }
  auto profile = Load(resolution.person, touched);
  if (!profile.ok()) return profile.status();
  (*profile)->Apply(event, *model_);
  identity::StagePersonEvent(resolution.person, event.timestamp_us, seq, batch);
  return absl::OkStatus();
}

void PersonProcessor::StageChanges(const std::set<uint64_t>& touched, const std::set<uint64_t>& merged_away) {
  pending_changed_.clear();
  pending_removed_.clear();
  if (!listener_ || resolver_) return;
  for (uint64_t person : touched) pending_changed_.push_back(cache_.Find(person));
  pending_removed_.assign(merged_away.begin(), merged_away.end());
}

absl::Status PersonProcessor::Apply(const std::vector<log::LogEntry>& entries, storage::WriteBatch* batch) {
  // Identifiers, persons, person events and profiles are scattered keys: sorted, the
  // memtable takes them several times cheaper (measured: docs/benchmarks.md).
  batch->SortByKey();
  const bool write_back = resolver_ != nullptr;
  if (uncommitted_) {
    // The last batch was not written. Streaming, the store has every profile the cache
    // lost; a rebuild's cache held profiles the store never had.
    if (write_back) return absl::FailedPreconditionError("a step of the rebuild was not written: start it over");
    cache_.Clear();
  }
  uncommitted_ = true;
  auto write = [batch](uint64_t person, const Profile& profile) {
    thread_local std::string encoded;  // the batch copies it
    profile.EncodeTo(&encoded);
    batch->Put(storage::Family::kIdentity, storage::ProfileKey(person), encoded);
    return absl::OkStatus();
  };
  // Streaming, room for this step is made before it (the listener has seen the last
  // step's profiles, and clean ones leave without a write). Written back, after it: a
  // profile that leaves is staged in this batch, which the next step reads through.
  if (!write_back) AIDMP_RETURN_IF_ERROR(cache_.Trim(write));
  std::set<uint64_t> touched;
  std::set<uint64_t> merged_away;
  if (resolver_) {
    // Kept across steps: decoding reuses the events' strings.
    std::vector<event::Event>& events = rebuild_events_;
    std::vector<identity::Resolution> resolutions;
    AIDMP_RETURN_IF_ERROR(ResolveEntries(entries, &events, &resolutions));
    for (size_t entry_idx = 0; entry_idx < entries.size(); ++entry_idx) {
      if (resolutions[entry_idx].person == 0) continue;
      AIDMP_RETURN_IF_ERROR(
          Fold(events[entry_idx], entries[entry_idx].seq, resolutions[entry_idx], &touched, &merged_away, batch));
    }
  } else {
    graph_.BeginBatch();
    event::Event event;
    for (const auto& entry : entries) {
      absl::Status status = event::DecodeStoredEvent(entry.record, &event);
      if (!status.ok()) return status;
      std::vector<identity::Identifier> ids = identity::ExtractIdentifiers(event);
      if (!event.previous_id.empty()) {
        auto as_user = graph_.Owner({identity::IdType::kUserId, event.previous_id});
        if (!as_user.ok()) return as_user.status();
        ids.push_back(PreviousIdentifier(event.previous_id, *as_user));
      }
      if (ids.empty()) continue;  // cleaning guarantees an id; nothing to attribute otherwise
      auto resolution = graph_.Resolve(ids, entry.seq, event.timestamp_us, batch);
      if (!resolution.ok()) return resolution.status();
      AIDMP_RETURN_IF_ERROR(Fold(event, entry.seq, *resolution, &touched, &merged_away, batch));
    }
  }
  for (uint64_t person : touched) {
    Profile* profile = cache_.Find(person);
    profile->person = person;
    if (!write_back) AIDMP_RETURN_IF_ERROR(write(person, *profile));
    cache_.Charge(person, profile->ApproxBytes(), write_back);
  }
  // Also when written back: an earlier step may have written the merged-away profile.
  for (uint64_t person : merged_away) batch->Delete(storage::Family::kIdentity, storage::ProfileKey(person));
  if (write_back) AIDMP_RETURN_IF_ERROR(cache_.Trim(write));
  StageChanges(touched, merged_away);
  return absl::OkStatus();
}

absl::Status PersonProcessor::ResolveEntries(const std::vector<log::LogEntry>& entries,
                                             std::vector<event::Event>* events,
                                             std::vector<identity::Resolution>* resolutions) {
  events->resize(entries.size());
  std::vector<std::vector<identity::Identifier>> ids(entries.size());
  resolutions->clear();
  resolutions->reserve(entries.size());
  // Resolved in runs; an alias starts a new run, since typing its previousId asks the
  // graph as it stands after every event before it.
  std::vector<identity::BatchResolver::EventRef> run;
  auto resolve_run = [&]() -> absl::Status {
    absl::Status status = resolver_->ResolveBatch(run, resolutions);
    run.clear();
    return status;
  };
  for (size_t entry_idx = 0; entry_idx < entries.size(); ++entry_idx) {
    event::Event& event = (*events)[entry_idx];
    AIDMP_RETURN_IF_ERROR(event::DecodeStoredEvent(entries[entry_idx].record, &event));
    ids[entry_idx] = identity::ExtractIdentifiers(event);
    if (!event.previous_id.empty()) {
      AIDMP_RETURN_IF_ERROR(resolve_run());
      ids[entry_idx].push_back(
          PreviousIdentifier(event.previous_id, resolver_->Owner({identity::IdType::kUserId, event.previous_id})));
    }
    if (ids[entry_idx].empty()) {
      // Nothing to attribute (cleaning guarantees an id): an empty resolution keeps
      // resolutions[i] beside entry i.
      AIDMP_RETURN_IF_ERROR(resolve_run());
      resolutions->push_back(identity::Resolution{});
      continue;
    }
    run.push_back({&ids[entry_idx], entries[entry_idx].seq, event.timestamp_us});
  }
  return resolve_run();
}

absl::Status PersonProcessor::WriteResolvedGraph() {
  if (!resolver_) return absl::FailedPreconditionError("the persons processor is not rebuilding in memory");
  if (uncommitted_) return absl::FailedPreconditionError("a step of the rebuild was not written: start it over");
  // The profiles still only in the cache, in batches of bounded size.
  constexpr size_t kFlushBytes = size_t{32} << 20;
  storage::WriteBatch profiles(store_);
  size_t staged = 0;
  absl::Status status = cache_.FlushDirty([&](uint64_t person, const Profile& profile) {
    std::string value = profile.Encode();
    staged += value.size();
    profiles.Put(storage::Family::kIdentity, storage::ProfileKey(person), std::move(value));
    if (staged < kFlushBytes) return absl::OkStatus();
    staged = 0;
    absl::Status written = store_->Write(&profiles, /*sync=*/false);
    profiles.Clear();
    return written;
  });
  if (status.ok()) status = store_->Write(&profiles, /*sync=*/false);
  if (status.ok()) status = resolver_->WriteTo(store_);
  resolver_.reset();
  if (!status.ok()) cache_.Clear();
  return status;
}

void PersonProcessor::Committed() {
  uncommitted_ = false;
  if (!listener_) return;
  listener_(pending_changed_, pending_removed_);
  pending_changed_.clear();
  pending_removed_.clear();
}

absl::StatusOr<PersonProcessor::UnmergeReport> PersonProcessor::Unmerge(uint64_t merge_id, int64_t now_us) {
  if (resolver_) return absl::FailedPreconditionError("cannot unmerge while the persons are being rebuilt");
  auto merge = identity::IdentityGraph::ReadMerge(store_, merge_id);
  if (absl::IsNotFound(merge.status())) return absl::NotFoundError(StrCat("no merge ", merge_id));
  if (!merge.ok()) return merge.status();
  if (merge->blocked || merge->loser == 0) {
    return absl::FailedPreconditionError(StrCat("merge ", merge_id, " was refused: there is nothing to undo"));
  }
  if (merge->undone_us != 0) return absl::FailedPreconditionError(StrCat("merge ", merge_id, " is undone already"));
  // The loser's own record keeps the identifiers it brought; the canonical person has
  // everything.
  std::string value;
  AIDMP_RETURN_IF_ERROR(store_->Get(storage::Family::kIdentity, storage::PersonKey(merge->loser), &value));
  identity::PersonRecord loser;
  AIDMP_RETURN_IF_ERROR(identity::IdentityGraph::DecodePerson(value, &loser));
  auto person = identity::IdentityGraph::ReadPerson(store_, merge->winner);
  if (!person.ok()) return person.status();

  identity::SplitRule split;
  split.merge = merge_id;
  split.side_a = loser.identifiers;
  for (const auto& id : person->identifiers) {
    if (std::find(split.side_a.begin(), split.side_a.end(), id) == split.side_a.end()) split.side_b.push_back(id);
  }

  // The person's events, in log order.
  std::vector<uint64_t> members = person->absorbed;
  members.push_back(person->id);
  std::vector<log::LogEntry> entries;
  std::vector<std::string> event_keys;  // deleted one by one: kIdentity takes no range deletes
  for (uint64_t member : members) {
    std::string prefix = storage::PersonEventPrefix(member);
    auto it = store_->NewIterator(storage::Family::kIdentity);
    for (it->Seek(prefix); it->Valid() && it->key().substr(0, prefix.size()) == prefix; it->Next()) {
      entries.push_back(log::LogEntry{storage::IndexKeySeq(it->key()), std::string()});
      event_keys.emplace_back(it->key());
    }
    if (!it->status().ok()) return it->status();
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  for (auto& entry : entries) {
    absl::Status status = store_->Get(storage::Family::kLog, storage::LogKey(entry.seq), &entry.record);
    if (!status.ok()) return status;
  }

  // Wipe the person's identity state and record the split, in one write.
  storage::WriteBatch wipe(store_);
  for (const auto& id : person->identifiers) {
    wipe.Delete(storage::Family::kIdentity, storage::IdentifierKey(static_cast<uint8_t>(id.type), id.value));
  }
  for (const auto& key : event_keys) wipe.Delete(storage::Family::kIdentity, key);
  for (uint64_t member : members) {
    wipe.Delete(storage::Family::kIdentity, storage::ProfileKey(member));
    cache_.Erase(member);
  }
  graph_.Forget(*person);
  graph_.AddSplit(&split, &wipe);
  merge->undone_us = now_us;
  merge->split = split.id;
  wipe.Put(storage::Family::kIdentity, storage::MergeKey(merge_id), identity::IdentityGraph::EncodeMerge(*merge));
  AIDMP_RETURN_IF_ERROR(store_->Write(&wipe, /*sync=*/true));

  // Replay: resolution and profiles as if the events arrived now, under the split.
  storage::WriteBatch replay(store_);
  graph_.BeginBatch();
  AIDMP_RETURN_IF_ERROR(Apply(entries, &replay));
  AIDMP_RETURN_IF_ERROR(store_->Write(&replay, /*sync=*/true));
  uncommitted_ = false;  // the engine refreshes the segments of these persons itself
  pending_changed_.clear();
  pending_removed_.clear();

  // The old person numbers lead to whoever now holds their first identifier.
  UnmergeReport report;
  report.merge = merge_id;
  report.split = split.id;
  report.events = entries.size();
  storage::WriteBatch redirect(store_);
  std::set<uint64_t> now_persons;
  for (uint64_t member : members) {
    std::string record;
    AIDMP_RETURN_IF_ERROR(store_->Get(storage::Family::kIdentity, storage::PersonKey(member), &record));
    identity::PersonRecord old;
    AIDMP_RETURN_IF_ERROR(identity::IdentityGraph::DecodePerson(record, &old));
    if (old.identifiers.empty()) continue;
    auto owner = identity::IdentityGraph::Lookup(store_, old.identifiers.front());
    if (!owner.ok()) return owner.status();
    identity::PersonRecord pointer;
    pointer.id = member;
    pointer.replaced_by = *owner;
    pointer.first_seq = old.first_seq;
    redirect.Put(storage::Family::kIdentity, storage::PersonKey(member), identity::IdentityGraph::EncodePerson(pointer));
  }
  for (const auto& id : person->identifiers) {
    auto owner = identity::IdentityGraph::Lookup(store_, id);
    if (owner.ok()) now_persons.insert(*owner);
  }
  AIDMP_RETURN_IF_ERROR(store_->Write(&redirect, /*sync=*/true));
  graph_.Forget(*person);  // the cached old records are stale now
  report.persons.assign(now_persons.begin(), now_persons.end());
  return report;
}

}  // namespace aidmp::profile
