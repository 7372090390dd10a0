// The flags that name one person on the command line (--person, --user-id, ...), shared
// by the commands that act on one person.
#pragma once

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "common/hash.h"
#include "common/strings.h"
#include "identity/identity_graph.h"
#include "profile/person_document.h"

namespace aidmp::cli {

// The flags that name one person.
struct PersonFlags {
  uint64_t person = 0;
  std::string user_id, anonymous_id, email, id_type, id_value;

  void Declare(CLI::App* command) {
    command->add_option("--person", person, "Canonical person id");
    command->add_option("--user-id", user_id, "Find the person by userId");
    command->add_option("--anonymous-id", anonymous_id, "Find the person by anonymousId");
    command->add_option("--email", email, "Find the person by email (hashed as ingest hashes it)");
    command->add_option("--id-type", id_type, "Find by another identifier type (deviceId, advertisingId, ...)");
    command->add_option("--id-value", id_value, "... and its value");
  }

  absl::StatusOr<identity::PersonRecord> Find(storage::Store* store) const {
    if (person != 0) return identity::IdentityGraph::ReadPerson(store, person);
    if (!user_id.empty()) return profile::FindPerson(store, {identity::IdType::kUserId, user_id});
    if (!anonymous_id.empty()) return profile::FindPerson(store, {identity::IdType::kAnonymousId, anonymous_id});
    if (!email.empty()) return profile::FindPerson(store, {identity::IdType::kEmailHash, HashEmail(email)});
    if (!id_type.empty()) {
      identity::Identifier id;
      id.value = id_value;
      if (!identity::ParseIdType(id_type, &id.type)) {
        return absl::InvalidArgumentError(StrCat("--id-type: unknown identifier type '", id_type, "'"));
      }
      return profile::FindPerson(store, id);
    }
    return absl::InvalidArgumentError(
        "name the person: --person, --user-id, --anonymous-id, --email, or --id-type with --id-value");
  }
};


}  // namespace aidmp::cli
