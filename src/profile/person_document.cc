#include "profile/person_document.h"

#include "common/strings.h"
#include "common/time_format.h"
#include "event/event_codec.h"
#include "identity/person_events.h"
#include "profile/person_processor.h"
#include "storage/keys.h"

namespace aidmp::profile {

absl::StatusOr<identity::PersonRecord> FindPerson(storage::Store* store, const identity::Identifier& id) {
  auto person_id = identity::IdentityGraph::Lookup(store, id);
  if (absl::IsNotFound(person_id.status())) {
    return absl::NotFoundError(StrCat("no person has ", identity::IdTypeName(id.type), " '", id.value.substr(0, 64),
                                      "' (yet: the identity processor may lag)"));
  }
  if (!person_id.ok()) return person_id.status();
  return identity::IdentityGraph::ReadPerson(store, *person_id);
}

absl::Status WritePersonDocument(storage::Store* store, const ProfileModel& model,
                                 const identity::PersonRecord& person, const RfmModel* rfm,
                                 const DocumentOptions& options, JsonWriter* writer) {
  size_t limit = std::min<size_t>(std::max<size_t>(options.events_limit, 1), 1000);
  auto seqs = identity::PersonEventSeqs(store, person, options.events_before_us, limit);
  if (!seqs.ok()) return seqs.status();
  auto profile = ReadProfile(store, person.id);
  if (!profile.ok()) return profile.status();

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
  for (uint64_t merge_id : person.merges) {
    auto merge = identity::IdentityGraph::ReadMerge(store, merge_id);
    if (!merge.ok()) return merge.status();
    writer->Raw(identity::IdentityGraph::EncodeMerge(*merge));
  }
  writer->EndArray();
  writer->Key("recent_events").BeginArray();
  int64_t oldest_us = 0;
  for (uint64_t seq : *seqs) {
    std::string record;
    absl::Status status = store->Get(storage::Family::kLog, storage::LogKey(seq), &record);
    if (absl::IsNotFound(status)) continue;
    if (!status.ok()) return status;
    event::Event event;
    if (event::DecodeStoredEvent(record, &event).ok()) oldest_us = event.timestamp_us;
    writer->Raw(record);
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

absl::StatusOr<RfmModel> RfmCache::Get(storage::Store* store, const ProfileModel& model, int64_t now_us) {
  std::lock_guard<std::mutex> lock(mu_);
  if (model_ && now_us - model_->fitted_at_us < max_age_us_ && now_us >= model_->fitted_at_us) return *model_;
  auto fitted = FitRfm(store, model, now_us);
  if (!fitted.ok()) return fitted.status();
  model_ = *fitted;
  return *fitted;
}

}  // namespace aidmp::profile
