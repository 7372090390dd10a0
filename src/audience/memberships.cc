#include "audience/memberships.h"

#include "common/clock.h"
#include "common/key_coding.h"
#include "common/status.h"
#include "common/strings.h"
#include "profile/profile.h"

namespace aidmp::audience {
namespace {

constexpr std::string_view kMemberPrefix = "segmember/";
constexpr std::string_view kChangePrefix = "segchange/";
constexpr std::string_view kSizePrefix = "segsize/";

std::string Prefix(std::string_view kind, const std::string& name) { return StrCat(kind, name, "/"); }

// The first key after every key starting with `prefix`.
std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);  // prefixes end in '/'
  return prefix;
}

std::string MemberKey(const std::string& name, uint64_t person) {
  std::string key = Prefix(kMemberPrefix, name);
  PutFixed64BE(&key, person);
  return key;
}

std::string ChangeKey(const std::string& name, int64_t at_us, uint64_t person) {
  std::string key = Prefix(kChangePrefix, name);
  PutOrderedInt64(&key, at_us);
  PutFixed64BE(&key, person);
  return key;
}

std::string SizeKey(const std::string& name, int64_t at_us) {
  std::string key = Prefix(kSizePrefix, name);
  PutOrderedInt64(&key, at_us - at_us % kMicrosPerMinute);
  return key;
}

}  // namespace

absl::Status Memberships::LoadLocked() {
  if (loaded_) return absl::OkStatus();
  members_.clear();
  AIDMP_ASSIGN_OR_RETURN(auto saved, catalog_.List());
  for (const auto& segment : saved) {
    auto& members = members_[segment.name];
    const std::string prefix = Prefix(kMemberPrefix, segment.name);
    auto it = store_->NewIterator(storage::Family::kMeta);
    for (it->Seek(prefix); it->Valid() && it->key().substr(0, prefix.size()) == prefix; it->Next()) {
      if (it->key().size() == prefix.size() + 8) members.insert(DecodeFixed64BE(it->key().data() + prefix.size()));
    }
    AIDMP_RETURN_IF_ERROR(it->status());
  }
  loaded_ = true;
  return absl::OkStatus();
}

void Memberships::ApplyLocked(const std::string& name, const std::vector<uint64_t>& persons,
                              const std::set<uint64_t>& now_in, int64_t now_us, storage::WriteBatch* batch,
                              RefreshReport* report) {
  auto& members = members_[name];
  bool changed = false;
  for (uint64_t person : persons) {
    bool was = members.count(person) > 0;
    bool is = now_in.count(person) > 0;
    if (was == is) continue;
    changed = true;
    if (is) {
      members.insert(person);
      batch->Put(storage::Family::kMeta, MemberKey(name, person), "");
      ++report->entered;
    } else {
      members.erase(person);
      batch->Delete(storage::Family::kMeta, MemberKey(name, person));
      ++report->exited;
    }
    batch->Put(storage::Family::kMeta, ChangeKey(name, now_us, person), is ? "entered" : "exited");
  }
  report->segment = name;
  report->size = members.size();
  if (changed) batch->Put(storage::Family::kMeta, SizeKey(name, now_us), std::to_string(members.size()));
}

absl::Status Memberships::RefreshLocked(const std::string& name, const SegmentDefinitions& definitions,
                                        int64_t now_us, RefreshReport* report) {
  auto definition = definitions.find(name);
  if (definition == definitions.end()) return absl::NotFoundError(StrCat("no segment named '", name.substr(0, 64), "'"));
  std::vector<uint64_t> matching;
  AIDMP_RETURN_IF_ERROR(audience_->Evaluate(definition->second, &definitions, now_us, false, &matching).status());
  std::set<uint64_t> now_in(matching.begin(), matching.end());
  // Everyone who is or was a member.
  std::vector<uint64_t> persons(matching.begin(), matching.end());
  for (uint64_t person : members_[name]) {
    if (!now_in.count(person)) persons.push_back(person);
  }
  storage::WriteBatch batch(store_);
  ApplyLocked(name, persons, now_in, now_us, &batch, report);
  batch.Put(storage::Family::kMeta, SizeKey(name, now_us), std::to_string(report->size));
  return store_->Write(&batch, false);
}

absl::StatusOr<const SegmentDefinitions*> Memberships::DefinitionsLocked() {
  if (!definitions_) {
    AIDMP_ASSIGN_OR_RETURN(SegmentDefinitions definitions, catalog_.Definitions());
    definitions_ = std::move(definitions);
  }
  return &*definitions_;
}

absl::StatusOr<std::vector<RefreshReport>> Memberships::Refresh(const std::string& name, int64_t now_us) {
  std::lock_guard<std::mutex> lock(mu_);
  AIDMP_RETURN_IF_ERROR(LoadLocked());
  definitions_.reset();  // a segment may just have been saved
  AIDMP_ASSIGN_OR_RETURN(const SegmentDefinitions* saved, DefinitionsLocked());
  const SegmentDefinitions& definitions = *saved;
  std::vector<RefreshReport> reports;
  for (const auto& [segment, expression] : definitions) {
    if (!name.empty() && segment != name) continue;
    RefreshReport report;
    AIDMP_RETURN_IF_ERROR(RefreshLocked(segment, definitions, now_us, &report));
    reports.push_back(report);
  }
  if (!name.empty() && reports.empty()) return absl::NotFoundError(StrCat("no segment named '", name.substr(0, 64), "'"));
  if (name.empty()) refreshed_day_ = profile::DayOf(now_us);
  return reports;
}

absl::Status Memberships::Update(const std::vector<uint64_t>& persons, int64_t now_us) {
  std::lock_guard<std::mutex> lock(mu_);
  AIDMP_RETURN_IF_ERROR(LoadLocked());
  // Read once, not per batch: saves and deletes go through Refresh and Drop.
  AIDMP_ASSIGN_OR_RETURN(const SegmentDefinitions* saved, DefinitionsLocked());
  const SegmentDefinitions& definitions = *saved;
  if (definitions.empty()) return absl::OkStatus();
  if (refreshed_day_ != profile::DayOf(now_us)) {
    // First update since opening, or a new day: everyone, since windows moved.
    for (const auto& [segment, expression] : definitions) {
      RefreshReport report;
      AIDMP_RETURN_IF_ERROR(RefreshLocked(segment, definitions, now_us, &report));
    }
    refreshed_day_ = profile::DayOf(now_us);
    return absl::OkStatus();
  }
  storage::WriteBatch batch(store_);
  PersonIndex::PersonCache cache;  // each changed person is read at most once for all segments
  for (const auto& [segment, expression] : definitions) {
    std::vector<uint64_t> matching;
    AIDMP_RETURN_IF_ERROR(
        audience_->Evaluate(expression, &definitions, now_us, false, &matching, &persons, &cache).status());
    RefreshReport report;
    ApplyLocked(segment, persons, std::set<uint64_t>(matching.begin(), matching.end()), now_us, &batch, &report);
  }
  if (batch.Count() == 0) return absl::OkStatus();
  return store_->Write(&batch, false);
}

absl::Status Memberships::Drop(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  members_.erase(name);
  definitions_.reset();
  storage::WriteBatch batch(store_);
  for (std::string_view kind : {kMemberPrefix, kChangePrefix, kSizePrefix}) {
    std::string prefix = Prefix(kind, name);
    batch.DeleteRange(storage::Family::kMeta, prefix, PrefixEnd(prefix));
  }
  return store_->Write(&batch, false);
}

absl::Status Memberships::Forget(const std::vector<uint64_t>& persons) {
  std::lock_guard<std::mutex> lock(mu_);
  AIDMP_RETURN_IF_ERROR(LoadLocked());
  std::set<uint64_t> gone(persons.begin(), persons.end());
  storage::WriteBatch batch(store_);
  for (auto& [name, members] : members_) {
    for (uint64_t person : persons) {
      if (members.erase(person)) batch.Delete(storage::Family::kMeta, MemberKey(name, person));
    }
  }
  // Their change records, in every segment's log.
  auto it = store_->NewIterator(storage::Family::kMeta);
  for (it->Seek(kChangePrefix); it->Valid() && it->key().substr(0, kChangePrefix.size()) == kChangePrefix; it->Next()) {
    std::string_view key = it->key();
    if (key.size() >= 8 && gone.count(DecodeFixed64BE(key.data() + key.size() - 8))) {
      batch.Delete(storage::Family::kMeta, key);
    }
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  return store_->Write(&batch, true);
}

absl::Status Memberships::CheckKnown(const std::string& name) {
  AIDMP_RETURN_IF_ERROR(LoadLocked());
  if (!members_.count(name)) {
    // Saved since loading?
    AIDMP_RETURN_IF_ERROR(catalog_.Get(name).status());
    members_[name];
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Memberships::IsMember(const std::string& name, uint64_t person) {
  std::lock_guard<std::mutex> lock(mu_);
  AIDMP_RETURN_IF_ERROR(CheckKnown(name));
  return members_[name].count(person) > 0;
}

absl::StatusOr<std::vector<uint64_t>> Memberships::Members(const std::string& name, uint64_t after, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  AIDMP_RETURN_IF_ERROR(CheckKnown(name));
  const auto& members = members_[name];
  std::vector<uint64_t> page;
  for (auto it = members.upper_bound(after); it != members.end() && page.size() < limit; ++it) page.push_back(*it);
  return page;
}

absl::StatusOr<Memberships::OverlapCounts> Memberships::Overlap(const std::string& a, const std::string& b) {
  std::lock_guard<std::mutex> lock(mu_);
  AIDMP_RETURN_IF_ERROR(CheckKnown(a));
  AIDMP_RETURN_IF_ERROR(CheckKnown(b));
  const auto& left = members_[a];
  const auto& right = members_[b];
  OverlapCounts counts;
  counts.a = left.size();
  counts.b = right.size();
  const auto& small = left.size() <= right.size() ? left : right;
  const auto& large = left.size() <= right.size() ? right : left;
  for (uint64_t person : small) counts.both += large.count(person);
  return counts;
}

absl::StatusOr<uint64_t> Memberships::Size(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  AIDMP_RETURN_IF_ERROR(CheckKnown(name));
  return members_[name].size();
}

absl::StatusOr<std::vector<SizePoint>> Memberships::Sizes(const std::string& name, int64_t from_us, int64_t to_us) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    AIDMP_RETURN_IF_ERROR(CheckKnown(name));
  }
  const std::string prefix = Prefix(kSizePrefix, name);
  std::string start = prefix;
  PutOrderedInt64(&start, from_us - from_us % kMicrosPerMinute);
  std::vector<SizePoint> points;
  auto it = store_->NewIterator(storage::Family::kMeta);
  for (it->Seek(start); it->Valid() && it->key().substr(0, prefix.size()) == prefix; it->Next()) {
    if (it->key().size() != prefix.size() + 8) continue;
    SizePoint point;
    point.at_us = DecodeOrderedInt64(it->key().data() + prefix.size());
    if (point.at_us > to_us) break;
    ParseNumber(it->value(), &point.size);
    points.push_back(point);
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  return points;
}

absl::StatusOr<std::vector<MembershipChange>> Memberships::Changes(const std::string& name, int64_t from_us,
                                                                    size_t limit) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    AIDMP_RETURN_IF_ERROR(CheckKnown(name));
  }
  const std::string prefix = Prefix(kChangePrefix, name);
  std::string start = prefix;
  PutOrderedInt64(&start, from_us);
  std::vector<MembershipChange> changes;
  auto it = store_->NewIterator(storage::Family::kMeta);
  for (it->Seek(start); it->Valid() && it->key().substr(0, prefix.size()) == prefix && changes.size() < limit;
       it->Next()) {
    if (it->key().size() != prefix.size() + 16) continue;
    MembershipChange change;
    change.at_us = DecodeOrderedInt64(it->key().data() + prefix.size());
    change.person = DecodeFixed64BE(it->key().data() + prefix.size() + 8);
    change.entered = it->value() == "entered";
    changes.push_back(change);
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  return changes;
}

}  // namespace aidmp::audience
