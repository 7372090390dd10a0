#include "identity/identity_graph.h"

#include <algorithm>

#include "common/json_writer.h"
#include "common/key_coding.h"
#include "common/status.h"
#include "common/strings.h"
#include "event/json_util.h"
#include "simdjson.h"
#include "storage/keys.h"

namespace aidmp::identity {
namespace {

using event::ValueOr;

constexpr size_t kMaxCachedPersons = 1 << 20;
// Identifiers re-pointed eagerly on merge; bigger persons rely on the merged_into chain.
constexpr size_t kMaxRepoint = 64;

std::string OwnerKey(const Identifier& id) {
  return storage::IdentifierKey(static_cast<uint8_t>(id.type), id.value);
}

uint64_t LastNumberUnder(storage::Store* store, char tag) {
  auto it = store->NewIterator(storage::Family::kIdentity);
  std::string upper(1, static_cast<char>(tag + 1));
  it->SeekForPrev(upper);
  uint64_t last = 0;
  if (!it->Valid() || !storage::ParseTaggedNumber(it->key(), tag, &last)) return 0;
  return last;
}

void WriteIdentifiers(JsonWriter* writer, const std::vector<Identifier>& ids) {
  writer->BeginArray();
  for (const auto& id : ids) {
    writer->BeginObject().Key("type").String(IdTypeName(id.type)).Key("value").String(id.value).EndObject();
  }
  writer->EndArray();
}

using JsonField = simdjson::simdjson_result<simdjson::dom::element>;

absl::Status ReadIdentifiers(JsonField field, std::vector<Identifier>* out) {
  simdjson::dom::array items;
  if (field.get_array().get(items) != simdjson::SUCCESS) return absl::OkStatus();
  for (simdjson::dom::element item : items) {
    Identifier id;
    if (!ParseIdType(ValueOr(item["type"].get_string(), std::string_view()), &id.type)) {
      return absl::DataLossError("identity record has an unknown identifier type");
    }
    id.value = std::string(ValueOr(item["value"].get_string(), std::string_view()));
    out->push_back(std::move(id));
  }
  return absl::OkStatus();
}

void ReadNumbers(JsonField field, std::vector<uint64_t>* out) {
  simdjson::dom::array items;
  if (field.get_array().get(items) != simdjson::SUCCESS) return;
  for (simdjson::dom::element item : items) out->push_back(ValueOr(item.get_uint64(), uint64_t{0}));
}

// A merge points the newer person at the older (smaller id), so following merged_into
// strictly decreases and always ends, however long the chain (persons with more than
// kMaxRepoint identifiers are only reached through it). A record that points elsewhere
// is corrupt.
absl::Status MergeChainBroken(uint64_t person, uint64_t merged_into) {
  return absl::DataLossError(StrCat("identity graph: person ", person, " is merged into person ", merged_into,
                                    ", which is not older"));
}

}  // namespace

IdentityGraph::IdentityGraph(storage::Store* store, IdentityRules rules)
    : store_(store),
      rules_(std::move(rules)),
      next_person_(LastNumberUnder(store, storage::kIdentityPerson)),
      next_merge_(LastNumberUnder(store, storage::kIdentityMerge)) {}

void IdentityGraph::BeginBatch() {
  if (persons_.size() + owners_.size() > kMaxCachedPersons) {
    persons_.clear();
    owners_.clear();
  }
}

int IdentityGraph::Priority(IdType type) const {
  auto it = std::find(rules_.priority.begin(), rules_.priority.end(), type);
  return static_cast<int>(it - rules_.priority.begin());
}

absl::StatusOr<PersonRecord*> IdentityGraph::LoadPerson(uint64_t person) {
  auto cached = persons_.find(person);
  if (cached != persons_.end()) return &cached->second;
  std::string value;
  absl::Status status = store_->Get(storage::Family::kIdentity, storage::PersonKey(person), &value);
  if (!status.ok()) return status;
  PersonRecord record;
  AIDMP_RETURN_IF_ERROR(DecodePerson(value, &record));
  return &persons_.emplace(person, std::move(record)).first->second;
}

absl::StatusOr<uint64_t> IdentityGraph::Canonical(uint64_t person) {
  while (true) {
    auto record = LoadPerson(person);
    if (!record.ok()) return record.status();
    uint64_t next = (*record)->merged_into;
    if (next == 0) return person;
    if (next >= person) return MergeChainBroken(person, next);
    person = next;
  }
}

absl::StatusOr<uint64_t> IdentityGraph::Owner(const Identifier& id) {
  std::string key = OwnerKey(id);
  uint64_t person = 0;
  auto cached = owners_.find(key);
  if (cached != owners_.end()) {
    person = cached->second;
  } else {
    std::string value;
    absl::Status status = store_->Get(storage::Family::kIdentity, key, &value);
    if (absl::IsNotFound(status)) return uint64_t{0};
    if (!status.ok()) return status;
    if (value.size() != 8) return absl::DataLossError("identity owner value is not a person id");
    person = DecodeFixed64BE(value.data());
    owners_.emplace(key, person);
  }
  return Canonical(person);
}

int IdentityGraph::CountOfType(const PersonRecord& person, IdType type) const {
  return static_cast<int>(std::count_if(person.identifiers.begin(), person.identifiers.end(),
                                        [&](const Identifier& id) { return id.type == type; }));
}

std::optional<std::string> IdentityGraph::MergeConflict(const PersonRecord& a, const PersonRecord& b) {
  for (const auto& [type, limit] : rules_.max_per_person) {
    int combined = CountOfType(a, type) + CountOfType(b, type);
    if (combined > limit) {
      return StrCat("persons ", a.id, " and ", b.id, " together would hold ", combined, " ",
                    IdTypeName(type), " identifiers; the limit is ", limit);
    }
  }
  if (auto split = SplitConflict(a.identifiers, b.identifiers)) {
    return StrCat("persons ", a.id, " and ", b.id, " were ", *split);
  }
  return std::nullopt;
}

std::optional<std::string> IdentityGraph::SplitConflict(const std::vector<Identifier>& a,
                                                        const std::vector<Identifier>& b) {
  if (!splits_loaded_) {
    splits_loaded_ = true;
    auto stored = ReadSplits(store_);
    if (stored.ok()) {
      for (const auto& split : *stored) {
        ActiveSplit active;
        active.id = split.id;
        for (const auto& id : split.side_a) active.side_a.insert(OwnerKey(id));
        for (const auto& id : split.side_b) active.side_b.insert(OwnerKey(id));
        splits_.push_back(std::move(active));
      }
    }
  }
  if (splits_.empty()) return std::nullopt;
  std::vector<std::string> keys_a, keys_b;
  for (const auto& id : a) keys_a.push_back(OwnerKey(id));
  for (const auto& id : b) keys_b.push_back(OwnerKey(id));
  auto holds = [](const std::vector<std::string>& keys, const std::unordered_set<std::string>& side) {
    return std::any_of(keys.begin(), keys.end(), [&](const std::string& key) { return side.count(key) > 0; });
  };
  for (const auto& split : splits_) {
    if ((holds(keys_a, split.side_a) && holds(keys_b, split.side_b)) ||
        (holds(keys_a, split.side_b) && holds(keys_b, split.side_a))) {
      return StrCat("split apart by an unmerge (split ", split.id, ")");
    }
  }
  return std::nullopt;
}

void IdentityGraph::AddSplit(SplitRule* split, storage::WriteBatch* batch) {
  SplitConflict({}, {});  // loads the stored ones first
  uint64_t last = 0;
  for (const auto& active : splits_) last = std::max(last, active.id);
  split->id = last + 1;
  std::string key("split/");
  PutFixed64BE(&key, split->id);
  batch->Put(storage::Family::kMeta, key, EncodeSplit(*split));
  ActiveSplit active;
  active.id = split->id;
  for (const auto& id : split->side_a) active.side_a.insert(OwnerKey(id));
  for (const auto& id : split->side_b) active.side_b.insert(OwnerKey(id));
  splits_.push_back(std::move(active));
}

std::string IdentityGraph::EncodeSplit(const SplitRule& split) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("id").Uint(split.id);
  writer.Key("merge").Uint(split.merge);
  writer.Key("side_a");
  WriteIdentifiers(&writer, split.side_a);
  writer.Key("side_b");
  WriteIdentifiers(&writer, split.side_b);
  writer.EndObject();
  return writer.Take();
}

absl::StatusOr<std::vector<SplitRule>> IdentityGraph::ReadSplits(storage::Store* store) {
  std::vector<SplitRule> splits;
  auto it = store->NewIterator(storage::Family::kMeta);
  const std::string prefix = "split/";
  for (it->Seek(prefix); it->Valid() && it->key().substr(0, prefix.size()) == prefix; it->Next()) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(it->value().data(), it->value().size()).get(root) != simdjson::SUCCESS) {
      return absl::DataLossError("split record is not JSON");
    }
    SplitRule split;
    split.id = ValueOr(root["id"].get_uint64(), uint64_t{0});
    split.merge = ValueOr(root["merge"].get_uint64(), uint64_t{0});
    AIDMP_RETURN_IF_ERROR(ReadIdentifiers(root["side_a"], &split.side_a));
    AIDMP_RETURN_IF_ERROR(ReadIdentifiers(root["side_b"], &split.side_b));
    splits.push_back(std::move(split));
  }
  if (!it->status().ok()) return it->status();
  return splits;
}

void IdentityGraph::StagePerson(const PersonRecord& person, storage::WriteBatch* batch) {
  batch->Put(storage::Family::kIdentity, storage::PersonKey(person.id), EncodePerson(person));
}

void IdentityGraph::StageOwner(const Identifier& id, uint64_t person, storage::WriteBatch* batch) {
  std::string key = OwnerKey(id);
  std::string value;
  PutFixed64BE(&value, person);
  batch->Put(storage::Family::kIdentity, key, value);
  owners_[key] = person;
}

void IdentityGraph::StageMerge(MergeRecord merge, PersonRecord* winner, PersonRecord* loser,
                               storage::WriteBatch* batch) {
  merge.id = ++next_merge_;
  winner->merges.push_back(merge.id);
  if (loser != nullptr) loser->merges.push_back(merge.id);
  batch->Put(storage::Family::kIdentity, storage::MergeKey(merge.id), EncodeMerge(merge));
  batch->AddCounter(storage::CounterKey(merge.blocked ? "identity_merges_blocked" : "identity_merges"), 1);
}

absl::StatusOr<Resolution> IdentityGraph::Resolve(const std::vector<Identifier>& input, uint64_t seq,
                                                  int64_t ts_us, storage::WriteBatch* batch) {
  if (input.empty()) return absl::InvalidArgumentError("an event with no identifiers cannot be resolved");
  std::vector<Identifier> ids = input;
  std::stable_sort(ids.begin(), ids.end(),
                   [&](const Identifier& a, const Identifier& b) { return Priority(a.type) < Priority(b.type); });
  Resolution resolution;
  std::vector<uint64_t> owners;
  for (const auto& id : ids) {
    auto owner = Owner(id);
    if (!owner.ok()) return owner.status();
    owners.push_back(*owner);
  }
  // The event belongs to the person of its highest-priority known identifier, if the new
  // identifiers ranked above it can join that person within the limits; otherwise (or
  // if none is known) to a new person for its highest-priority identifier.
  size_t known_idx = std::find_if(owners.begin(), owners.end(), [](uint64_t owner) { return owner != 0; }) -
                     owners.begin();
  uint64_t target = 0;
  if (known_idx < ids.size()) {
    auto known = LoadPerson(owners[known_idx]);
    if (!known.ok()) return known.status();
    // Counted as if the new identifiers ranked above the known one had joined.
    bool fits = std::all_of(rules_.max_per_person.begin(), rules_.max_per_person.end(), [&](const auto& rule) {
      auto joining = std::count_if(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(known_idx),
                                   [&](const Identifier& id) { return id.type == rule.first; });
      return CountOfType(**known, rule.first) + joining <= rule.second;
    });
    if (fits) target = owners[known_idx];
  }
  // The persons whose records this event changes: only they are written again.
  std::vector<uint64_t> touched;
  if (target == 0) {
    PersonRecord created;
    created.id = target = ++next_person_;
    created.first_seq = seq;
    created.identifiers.push_back(ids.front());
    persons_[target] = std::move(created);
    StageOwner(ids.front(), target, batch);
    batch->AddCounter(storage::CounterKey("identity_persons"), 1);
    batch->AddCounter(storage::CounterKey("identity_identifiers"), 1);
    resolution.created = true;
    touched.push_back(target);
  }
  // The owners found above hold until an identifier changes hands here.
  bool owners_moved = resolution.created;
  for (size_t id_idx = 0; id_idx < ids.size(); ++id_idx) {
    const Identifier& id = ids[id_idx];
    auto owner = owners_moved ? Owner(id) : absl::StatusOr<uint64_t>(owners[id_idx]);
    if (!owner.ok()) return owner.status();
    auto target_record = LoadPerson(target);
    if (!target_record.ok()) return target_record.status();
    if (*owner == target) continue;
    MergeRecord merge;
    merge.seq = seq;
    merge.ts_us = ts_us;
    merge.evidence = ids;
    if (*owner == 0) {
      auto limit = rules_.max_per_person.find(id.type);
      std::optional<std::string> split;
      if ((limit != rules_.max_per_person.end() && CountOfType(**target_record, id.type) >= limit->second) ||
          (split = SplitConflict((*target_record)->identifiers, {id}))) {
        merge.winner = target;
        merge.blocked = true;
        merge.reason = split ? StrCat(IdTypeName(id.type), " ", id.value.substr(0, 64), " and person ", target,
                                      " were ", *split)
                             : StrCat("person ", target, " already holds ", limit->second, " ", IdTypeName(id.type),
                                      " identifiers (the limit); ", IdTypeName(id.type), " ", id.value.substr(0, 64),
                                      " was not added");
        StageMerge(std::move(merge), *target_record, nullptr, batch);
        touched.push_back(target);
        ++resolution.blocked;
        continue;
      }
      (*target_record)->identifiers.push_back(id);
      touched.push_back(target);
      StageOwner(id, target, batch);
      owners_moved = true;
      batch->AddCounter(storage::CounterKey("identity_identifiers"), 1);
      continue;
    }
    auto other_record = LoadPerson(*owner);
    if (!other_record.ok()) return other_record.status();
    if (auto conflict = MergeConflict(**target_record, **other_record)) {
      merge.winner = target;
      merge.loser = *owner;
      merge.blocked = true;
      merge.reason = *conflict;
      StageMerge(std::move(merge), *target_record, *other_record, batch);
      touched.push_back(target);
      touched.push_back(*owner);
      ++resolution.blocked;
      continue;
    }
    PersonRecord* winner = target < *owner ? *target_record : *other_record;
    PersonRecord* loser = target < *owner ? *other_record : *target_record;
    merge.winner = winner->id;
    merge.loser = loser->id;
    loser->merged_into = winner->id;
    winner->identifiers.insert(winner->identifiers.end(), loser->identifiers.begin(), loser->identifiers.end());
    winner->absorbed.push_back(loser->id);
    winner->absorbed.insert(winner->absorbed.end(), loser->absorbed.begin(), loser->absorbed.end());
    if (loser->identifiers.size() <= kMaxRepoint) {
      for (const auto& moved : loser->identifiers) StageOwner(moved, winner->id, batch);
    }
    StageMerge(std::move(merge), winner, loser, batch);
    owners_moved = true;
    resolution.absorbed.emplace_back(loser->id, winner->id);
    touched.push_back(loser->id);
    target = winner->id;
    touched.push_back(target);
    ++resolution.merges;
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (uint64_t person : touched) {
    auto record = LoadPerson(person);
    if (!record.ok()) return record.status();
    StagePerson(**record, batch);
  }
  resolution.person = target;
  return resolution;
}

absl::StatusOr<uint64_t> IdentityGraph::Lookup(storage::Store* store, const Identifier& id) {
  auto person = LookupPerson(store, id);
  if (!person.ok()) return person.status();
  return person->id;
}

absl::StatusOr<PersonRecord> IdentityGraph::LookupPerson(storage::Store* store, const Identifier& id) {
  std::string value;
  absl::Status status = store->Get(storage::Family::kIdentity, OwnerKey(id), &value);
  if (!status.ok()) return status;
  if (value.size() != 8) return absl::DataLossError("identity owner value is not a person id");
  return ReadPerson(store, DecodeFixed64BE(value.data()));
}

absl::StatusOr<PersonRecord> IdentityGraph::ReadPerson(storage::Store* store, uint64_t person) {
  int replacements = 0;
  while (true) {
    std::string value;
    absl::Status status = store->Get(storage::Family::kIdentity, storage::PersonKey(person), &value);
    if (absl::IsNotFound(status)) return absl::NotFoundError(StrCat("no person ", person));
    if (!status.ok()) return status;
    PersonRecord record;
    AIDMP_RETURN_IF_ERROR(DecodePerson(value, &record));
    if (record.replaced_by != 0) {
      // An unmerge re-created this person under a newer number; each unmerge adds a hop.
      if (++replacements > 1000) return absl::DataLossError(StrCat("identity graph: person ", person, " is replaced in a loop"));
      person = record.replaced_by;
      continue;
    }
    if (record.merged_into == 0) return record;
    if (record.merged_into >= person) return MergeChainBroken(person, record.merged_into);
    person = record.merged_into;
  }
}

absl::StatusOr<MergeRecord> IdentityGraph::ReadMerge(storage::Store* store, uint64_t merge) {
  std::string value;
  absl::Status status = store->Get(storage::Family::kIdentity, storage::MergeKey(merge), &value);
  if (!status.ok()) return status;
  MergeRecord record;
  AIDMP_RETURN_IF_ERROR(DecodeMerge(value, &record));
  return record;
}

std::string IdentityGraph::EncodePerson(const PersonRecord& person) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("id").Uint(person.id);
  if (person.merged_into != 0) writer.Key("merged_into").Uint(person.merged_into);
  if (person.replaced_by != 0) writer.Key("replaced_by").Uint(person.replaced_by);
  writer.Key("first_seq").Uint(person.first_seq);
  writer.Key("identifiers");
  WriteIdentifiers(&writer, person.identifiers);
  writer.Key("absorbed").BeginArray();
  for (uint64_t id : person.absorbed) writer.Uint(id);
  writer.EndArray();
  writer.Key("merges").BeginArray();
  for (uint64_t id : person.merges) writer.Uint(id);
  writer.EndArray();
  writer.EndObject();
  return writer.Take();
}

absl::Status IdentityGraph::DecodePerson(std::string_view data, PersonRecord* out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(data.data(), data.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return absl::DataLossError("person record is not a JSON object");
  }
  *out = PersonRecord();
  out->id = ValueOr(root["id"].get_uint64(), uint64_t{0});
  out->merged_into = ValueOr(root["merged_into"].get_uint64(), uint64_t{0});
  out->replaced_by = ValueOr(root["replaced_by"].get_uint64(), uint64_t{0});
  out->first_seq = ValueOr(root["first_seq"].get_uint64(), uint64_t{0});
  ReadNumbers(root["absorbed"], &out->absorbed);
  ReadNumbers(root["merges"], &out->merges);
  return ReadIdentifiers(root["identifiers"], &out->identifiers);
}

std::string IdentityGraph::EncodeMerge(const MergeRecord& merge) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("id").Uint(merge.id);
  writer.Key("winner").Uint(merge.winner);
  writer.Key("loser").Uint(merge.loser);
  writer.Key("blocked").Bool(merge.blocked);
  if (!merge.reason.empty()) writer.Key("reason").String(merge.reason);
  writer.Key("seq").Uint(merge.seq);
  writer.Key("ts_us").Int(merge.ts_us);
  writer.Key("evidence");
  WriteIdentifiers(&writer, merge.evidence);
  if (merge.undone_us != 0) {
    writer.Key("undone_us").Int(merge.undone_us);
    writer.Key("split").Uint(merge.split);
  }
  writer.EndObject();
  return writer.Take();
}

absl::Status IdentityGraph::DecodeMerge(std::string_view data, MergeRecord* out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(data.data(), data.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return absl::DataLossError("merge record is not a JSON object");
  }
  *out = MergeRecord();
  out->id = ValueOr(root["id"].get_uint64(), uint64_t{0});
  out->winner = ValueOr(root["winner"].get_uint64(), uint64_t{0});
  out->loser = ValueOr(root["loser"].get_uint64(), uint64_t{0});
  out->blocked = ValueOr(root["blocked"].get_bool(), false);
  out->reason = std::string(ValueOr(root["reason"].get_string(), std::string_view()));
  out->seq = ValueOr(root["seq"].get_uint64(), uint64_t{0});
  out->ts_us = ValueOr(root["ts_us"].get_int64(), int64_t{0});
  out->undone_us = ValueOr(root["undone_us"].get_int64(), int64_t{0});
  out->split = ValueOr(root["split"].get_uint64(), uint64_t{0});
  return ReadIdentifiers(root["evidence"], &out->evidence);
}

void IdentityGraph::Forget(const PersonRecord& person) {
  for (const auto& id : person.identifiers) owners_.erase(OwnerKey(id));
  persons_.erase(person.id);
  for (uint64_t absorbed : person.absorbed) persons_.erase(absorbed);
  // Split rules may have been erased with the person: reload them when next needed.
  splits_loaded_ = false;
  splits_.clear();
}

void IdentityGraph::ForgetRecords(const std::vector<uint64_t>& persons) {
  for (uint64_t person : persons) persons_.erase(person);
}

}  // namespace aidmp::identity
