#include "audience/segments.h"

#include <set>

#include "common/json_writer.h"
#include "common/status.h"
#include "common/strings.h"
#include "event/json_util.h"
#include "simdjson.h"

namespace aidmp::audience {
namespace {

constexpr std::string_view kPrefix = "segment/";

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<SavedSegment> Decode(std::string_view value) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(value.data(), value.size()).get(root) != simdjson::SUCCESS) {
    return absl::DataLossError("saved segment is not JSON");
  }
  SavedSegment segment;
  segment.name = std::string(event::ValueOr(root["name"].get_string(), std::string_view()));
  segment.expression = std::string(event::ValueOr(root["expression"].get_string(), std::string_view()));
  segment.created_us = event::ValueOr(root["created_us"].get_int64(), int64_t{0});
  segment.updated_us = event::ValueOr(root["updated_us"].get_int64(), int64_t{0});
  return segment;
}

void References(const Node& node, std::set<std::string>* out) {
  if (node.kind == Node::Kind::kInSegment) out->insert(node.name);
  for (const auto& child : node.children) References(*child, out);
}

}  // namespace

std::string SegmentCatalog::Encode(const SavedSegment& segment) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("name").String(segment.name);
  writer.Key("expression").String(segment.expression);
  writer.Key("created_us").Int(segment.created_us);
  writer.Key("updated_us").Int(segment.updated_us);
  writer.EndObject();
  return writer.Take();
}

absl::StatusOr<SavedSegment> SegmentCatalog::Get(const std::string& name) const {
  std::string value;
  absl::Status status = store_->Get(storage::Family::kMeta, StrCat(kPrefix, name), &value);
  if (absl::IsNotFound(status)) return absl::NotFoundError(StrCat("no segment named '", name.substr(0, 64), "'"));
  AIDMP_RETURN_IF_ERROR(status);
  return Decode(value);
}

absl::StatusOr<std::vector<SavedSegment>> SegmentCatalog::List() const {
  std::vector<SavedSegment> segments;
  auto it = store_->NewIterator(storage::Family::kMeta);
  for (it->Seek(kPrefix); it->Valid() && it->key().substr(0, kPrefix.size()) == kPrefix; it->Next()) {
    auto segment = Decode(it->value());
    if (!segment.ok()) return segment.status();
    segments.push_back(std::move(*segment));
  }
  AIDMP_RETURN_IF_ERROR(it->status());
  return segments;
}

absl::StatusOr<SegmentDefinitions> SegmentCatalog::Definitions() const {
  auto segments = List();
  if (!segments.ok()) return segments.status();
  SegmentDefinitions definitions;
  for (const auto& segment : *segments) {
    auto expression = ParseExpression(segment.expression);
    if (!expression.ok()) {
      return absl::DataLossError(StrCat("saved segment '", segment.name, "' no longer parses: ", expression.status().message()));
    }
    definitions.emplace(segment.name, std::move(*expression));
  }
  return definitions;
}

absl::StatusOr<SavedSegment> SegmentCatalog::Save(const std::string& name, std::string_view text,
                                                  const profile::ProfileModel& model, int64_t now_us) {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError("a segment name is 1 to 64 letters, digits, '_' or '-'");
  }
  auto expression = ParseExpression(text);
  if (!expression.ok()) return expression.status();
  std::lock_guard<std::mutex> lock(mu_);
  auto definitions = Definitions();
  if (!definitions.ok()) return definitions.status();
  AIDMP_RETURN_IF_ERROR(Check(*expression->root, model, &*definitions));
  // A cycle: the new expression reaches `name` through the references of others.
  std::set<std::string> seen;
  std::vector<std::string> pending;
  std::set<std::string> direct;
  References(*expression->root, &direct);
  pending.assign(direct.begin(), direct.end());
  while (!pending.empty()) {
    std::string next = pending.back();
    pending.pop_back();
    if (next == name) {
      return absl::InvalidArgumentError(StrCat("segment '", name, "' would refer to itself through in_segment"));
    }
    if (!seen.insert(next).second) continue;
    auto it = definitions->find(next);
    if (it == definitions->end()) continue;
    std::set<std::string> more;
    References(*it->second.root, &more);
    pending.insert(pending.end(), more.begin(), more.end());
  }
  SavedSegment segment;
  segment.name = name;
  segment.expression = expression->ToString();
  segment.created_us = now_us;
  segment.updated_us = now_us;
  auto existing = Get(name);
  if (existing.ok()) segment.created_us = existing->created_us;
  storage::WriteBatch batch(store_);
  batch.Put(storage::Family::kMeta, StrCat(kPrefix, name), Encode(segment));
  AIDMP_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  return segment;
}

absl::Status SegmentCatalog::Delete(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto existing = Get(name);
  if (!existing.ok()) return existing.status();
  auto definitions = Definitions();
  if (!definitions.ok()) return definitions.status();
  std::string users;
  for (const auto& [other, expression] : *definitions) {
    std::set<std::string> refs;
    References(*expression.root, &refs);
    if (other != name && refs.count(name)) StrAppend(&users, users.empty() ? "" : ", ", other);
  }
  if (!users.empty()) {
    return absl::FailedPreconditionError(StrCat("segment '", name, "' is used by: ", users));
  }
  storage::WriteBatch batch(store_);
  batch.Delete(storage::Family::kMeta, StrCat(kPrefix, name));
  return store_->Write(&batch, /*sync=*/true);
}

}  // namespace aidmp::audience
