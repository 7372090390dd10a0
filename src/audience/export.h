// Exporting a segment's members to the channels that act on them: a page at a time, each
// member with the identifiers the channel matches on (hashed email for ad platforms,
// userId for a CRM, ...), as CSV or JSON lines.
//
// Consent: for a purpose (default "advertising"), members whose profile records that
// consent as refused are left out and counted; `require_grant` leaves out those with no
// decision recorded too. Erased people are never exported: they left the memberships.
//
// Thread-safety: reads only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audience/memberships.h"
#include "identity/identifier.h"
#include "storage/store.h"

namespace aidmp::audience {

struct ExportOptions {
  std::vector<identity::IdType> identifiers = {identity::IdType::kUserId};
  std::string purpose = "advertising";  // empty: no consent filter
  bool require_grant = false;
  uint64_t after = 0;  // cursor: the last person of the previous page
  size_t limit = 1000;
};

struct ExportRow {
  uint64_t person = 0;
  std::vector<std::vector<std::string>> values;  // per requested identifier type
};

struct ExportPage {
  std::vector<ExportRow> rows;
  uint64_t excluded_by_consent = 0;
  uint64_t without_identifiers = 0;  // members with none of the requested identifiers
  uint64_t next_cursor = 0;          // 0: this was the last page
};

// Parses "userId,emailHash" (IdTypeName names). InvalidArgument naming a bad one.
absl::StatusOr<std::vector<identity::IdType>> ParseIdentifierList(std::string_view text);

absl::StatusOr<ExportPage> ExportMembers(storage::Store* store, Memberships* memberships, const std::string& segment,
                                         const ExportOptions& options);

// The page as CSV (a header "person,<types>"; several values of one type joined by ';')
// or as JSON lines ({"person": N, "<type>": [values]}).
std::string ExportCsv(const ExportPage& page, const ExportOptions& options, bool header);
std::string ExportJsonLines(const ExportPage& page, const ExportOptions& options);

}  // namespace aidmp::audience
