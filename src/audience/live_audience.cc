#include "audience/live_audience.h"

#include <mutex>

#include "common/status.h"
#include "storage/keys.h"

namespace aidmp::audience {

void LiveAudience::OnProfiles(const std::vector<const profile::Profile*>& changed,
                              const std::vector<uint64_t>& removed) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (index_ == nullptr) return;
  for (uint64_t person : removed) index_->Remove(person);
  for (const profile::Profile* profile : changed) index_->Put(*profile);
}

void LiveAudience::Remove(const std::vector<uint64_t>& persons) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (index_ == nullptr) return;
  for (uint64_t person : persons) index_->Remove(person);
}

absl::Status LiveAudience::Refresh(const std::vector<uint64_t>& persons) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (index_ == nullptr) return absl::OkStatus();
  for (uint64_t person : persons) {
    std::string value;
    absl::Status status = store_->Get(storage::Family::kIdentity, storage::ProfileKey(person), &value);
    if (absl::IsNotFound(status)) {
      index_->Remove(person);
      continue;
    }
    AIDMP_RETURN_IF_ERROR(status);
    profile::Profile profile;
    AIDMP_RETURN_IF_ERROR(profile::Profile::Decode(value, &profile));
    index_->Put(profile);
  }
  return absl::OkStatus();
}

void LiveAudience::Reset() {
  std::unique_lock<std::shared_mutex> lock(mu_);
  index_.reset();
}

absl::Status LiveAudience::EnsureBuilt(int64_t now_us) {
  auto current = [&] {
    return index_ != nullptr && profile::DayOf(index_->now_us()) >= profile::DayOf(now_us);
  };
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (current()) return absl::OkStatus();
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (current()) return absl::OkStatus();
  auto index = std::make_unique<PersonIndex>(model_, now_us);
  AIDMP_RETURN_IF_ERROR(index->Build(store_));
  index_ = std::move(index);
  return absl::OkStatus();
}

absl::StatusOr<AudienceResult> LiveAudience::Evaluate(const Expression& expression, const SegmentDefinitions* segments,
                                                      int64_t now_us, bool explain, std::vector<uint64_t>* members,
                                                      const std::vector<uint64_t>* among,
                                                      PersonIndex::PersonCache* cache) {
  AIDMP_RETURN_IF_ERROR(EnsureBuilt(now_us));
  std::shared_lock<std::shared_mutex> lock(mu_);
  // The live index follows the latest day asked for; an earlier day gets an index of
  // its own for this one answer.
  std::unique_ptr<PersonIndex> past;
  const PersonIndex* index = index_.get();
  if (profile::DayOf(index_->now_us()) != profile::DayOf(now_us)) {
    past = std::make_unique<PersonIndex>(model_, now_us);
    AIDMP_RETURN_IF_ERROR(past->Build(store_));
    index = past.get();
  }
  AudienceResult result;
  result.persons = index->persons();
  result.index_time_us = now_us;
  const ResidualCheck check = index->StoreCheck(store_, segments, now_us, cache);
  std::vector<PlanStep>* plan = explain ? &result.plan : nullptr;
  if (members == nullptr && among == nullptr) {
    AIDMP_ASSIGN_OR_RETURN(result.count, index->Count(expression, segments, check, plan, now_us));
    return result;
  }
  AIDMP_ASSIGN_OR_RETURN(Roaring slots, index->Evaluate(expression, segments, check, plan, among, now_us));
  result.count = slots.cardinality();
  if (members != nullptr) {
    members->reserve(result.count);
    for (uint32_t slot : slots) members->push_back(index->PersonAt(slot));
  }
  return result;
}

}  // namespace aidmp::audience
