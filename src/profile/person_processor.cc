#include "profile/person_processor.h"

#include <set>

#include "event/event_codec.h"
#include "identity/person_events.h"
#include "storage/keys.h"

namespace aidmp::profile {

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

absl::StatusOr<Profile*> PersonProcessor::Load(uint64_t person, std::map<uint64_t, Profile>* dirty) {
  auto it = dirty->find(person);
  if (it != dirty->end()) return &it->second;
  auto stored = ReadProfile(store_, person);
  if (!stored.ok()) return stored.status();
  return &dirty->emplace(person, std::move(*stored)).first->second;
}

absl::Status PersonProcessor::Apply(const std::vector<log::LogEntry>& entries, storage::WriteBatch* batch) {
  graph_.BeginBatch();
  std::map<uint64_t, Profile> dirty;
  std::set<uint64_t> merged_away;
  event::Event event;
  for (const auto& entry : entries) {
    absl::Status status = event::DecodeStoredEvent(entry.record, &event);
    if (!status.ok()) return status;
    std::vector<identity::Identifier> ids = identity::ExtractIdentifiers(event);
    if (!event.previous_id.empty()) {
      // An alias's previousId is whoever already answers to it: a known user, else an
      // anonymous visitor.
      auto as_user = graph_.Owner({identity::IdType::kUserId, event.previous_id});
      if (!as_user.ok()) return as_user.status();
      ids.push_back({*as_user != 0 ? identity::IdType::kUserId : identity::IdType::kAnonymousId, event.previous_id});
    }
    if (ids.empty()) continue;  // cleaning guarantees an id; nothing to attribute otherwise
    auto resolution = graph_.Resolve(ids, entry.seq, event.timestamp_us, batch);
    if (!resolution.ok()) return resolution.status();
    for (const auto& [loser, winner] : resolution->absorbed) {
      auto loser_profile = Load(loser, &dirty);
      if (!loser_profile.ok()) return loser_profile.status();
      Profile absorbed = std::move(**loser_profile);
      dirty.erase(loser);
      merged_away.insert(loser);
      auto winner_profile = Load(winner, &dirty);
      if (!winner_profile.ok()) return winner_profile.status();
      (*winner_profile)->Merge(absorbed, *model_);
    }
    auto profile = Load(resolution->person, &dirty);
    if (!profile.ok()) return profile.status();
    (*profile)->Apply(event, *model_);
    identity::StagePersonEvent(resolution->person, event.timestamp_us, entry.seq, batch);
  }
  for (const auto& [person, profile] : dirty) {
    batch->Put(storage::Family::kIdentity, storage::ProfileKey(person), profile.Encode());
  }
  for (uint64_t person : merged_away) batch->Delete(storage::Family::kIdentity, storage::ProfileKey(person));
  return absl::OkStatus();
}

}  // namespace aidmp::profile
