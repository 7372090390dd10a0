// Erasing a person from the store: every stored event of theirs with its index, dedup
// and person-index entries, their identifiers and person records, merge records (those
// they list, and any other whose parties or evidence name them: one an unmerge undid, a
// refusal listed by someone else; a refused one also leaves the merge list of the other
// person in it, who stays; a merge in force between two persons who stay keeps its place
// without their identifiers in its evidence), their
// profile, quarantined payloads and unmerge split rules that name them; then compaction,
// so the bytes leave the files on disk and not only the key space. What was erased is
// logged without the personal data (person number, counts, time) under "erasure/" in the
// meta family.
//
// Thread-safety: the caller stops every processor that writes derived data (they must
// have caught up with the log, so no event of the person is unattributed) and suppresses
// the person's identifiers first (suppression.h), so nothing of theirs arrives meanwhile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "identity/identity_graph.h"
#include "storage/store.h"

namespace aidmp::privacy {

struct ErasureReport {
  uint64_t person = 0;
  int64_t at_us = 0;
  uint64_t events = 0;
  uint64_t identifiers = 0;
  uint64_t persons = 0;  // the person and those merged into them
  uint64_t merges = 0;
  uint64_t quarantine_records = 0;
  // Persons who stay whose records were rewritten: a refused or undone merge naming the
  // erased person left their merge list. Whoever caches person records drops theirs. Not
  // logged.
  std::vector<uint64_t> rewritten;
};

// Erases canonical person `person` (as IdentityGraph::ReadPerson returns it).
absl::StatusOr<ErasureReport> EraseStoredPerson(storage::Store* store, const identity::PersonRecord& person,
                                                int64_t now_us);

// The erasure log, oldest first.
absl::StatusOr<std::vector<std::string>> ListErasures(storage::Store* store, size_t limit);

std::string EncodeErasure(const ErasureReport& report);

}  // namespace aidmp::privacy
