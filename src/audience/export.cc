#include "audience/export.h"

#include "common/json_writer.h"
#include "common/status.h"
#include "common/strings.h"
#include "identity/identity_graph.h"
#include "profile/person_processor.h"

namespace aidmp::audience {
namespace {

constexpr size_t kMaxExportPage = 10000;

// A CSV field: quoted when it holds a comma, quote or line break (RFC 4180).
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

absl::StatusOr<std::vector<identity::IdType>> ParseIdentifierList(std::string_view text) {
  std::vector<identity::IdType> types;
  for (std::string_view name : Split(text, ',')) {
    identity::IdType type;
    if (!identity::ParseIdType(name, &type)) {
      return absl::InvalidArgumentError(StrCat("unknown identifier type '", name.substr(0, 40),
                                               "' (known: userId, anonymousId, deviceId, advertisingId, emailHash, phoneHash)"));
    }
    types.push_back(type);
  }
  if (types.empty()) return absl::InvalidArgumentError("name at least one identifier type");
  return types;
}

absl::StatusOr<ExportPage> ExportMembers(storage::Store* store, Memberships* memberships, const std::string& segment,
                                         const ExportOptions& options) {
  const size_t limit = std::min(std::max<size_t>(options.limit, 1), kMaxExportPage);
  AIDMP_ASSIGN_OR_RETURN(std::vector<uint64_t> members, memberships->Members(segment, options.after, limit));
  ExportPage page;
  for (uint64_t person : members) {
    if (!options.purpose.empty()) {
      AIDMP_ASSIGN_OR_RETURN(profile::Profile profile, profile::ReadProfile(store, person));
      auto consent = profile.consent.find(options.purpose);
      bool refused = consent != profile.consent.end() && !consent->second.granted;
      bool unknown = consent == profile.consent.end();
      if (refused || (options.require_grant && unknown)) {
        ++page.excluded_by_consent;
        continue;
      }
    }
    auto record = identity::IdentityGraph::ReadPerson(store, person);
    if (absl::IsNotFound(record.status())) continue;  // erased between the two reads
    AIDMP_RETURN_IF_ERROR(record.status());
    ExportRow row;
    row.person = person;
    row.values.resize(options.identifiers.size());
    bool any = false;
    for (const auto& id : record->identifiers) {
      for (size_t idx = 0; idx < options.identifiers.size(); ++idx) {
        if (id.type == options.identifiers[idx]) {
          row.values[idx].push_back(id.value);
          any = true;
        }
      }
    }
    if (!any) {
      ++page.without_identifiers;
      continue;
    }
    page.rows.push_back(std::move(row));
  }
  if (members.size() == limit) page.next_cursor = members.back();
  return page;
}

std::string ExportCsv(const ExportPage& page, const ExportOptions& options, bool header) {
  std::string out;
  if (header) {
    out = "person";
    for (identity::IdType type : options.identifiers) StrAppend(&out, ",", identity::IdTypeName(type));
    out += "\n";
  }
  for (const ExportRow& row : page.rows) {
    out += std::to_string(row.person);
    for (const auto& values : row.values) {
      std::string joined;
      for (const std::string& value : values) StrAppend(&joined, joined.empty() ? "" : ";", value);
      StrAppend(&out, ",", CsvField(joined));
    }
    out += "\n";
  }
  return out;
}

std::string ExportJsonLines(const ExportPage& page, const ExportOptions& options) {
  std::string out;
  for (const ExportRow& row : page.rows) {
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("person").Uint(row.person);
    for (size_t idx = 0; idx < options.identifiers.size(); ++idx) {
      writer.Key(identity::IdTypeName(options.identifiers[idx])).BeginArray();
      for (const std::string& value : row.values[idx]) writer.String(value);
      writer.EndArray();
    }
    writer.EndObject();
    StrAppend(&out, writer.Take(), "\n");
  }
  return out;
}

}  // namespace aidmp::audience
