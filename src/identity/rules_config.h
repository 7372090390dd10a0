// Identity merge rules from a config file (`--identity-config FILE`), e.g.
//   {"max_per_person": {"userId": 1, "deviceId": 5}, "priority": ["userId", "emailHash"]}
// Types left out of max_per_person keep their default limit (use null for no limit);
// types left out of priority follow the listed ones in the default order. Changing the
// rules changes how new events merge; `aidmp rebuild profiles` applies them to the log.
//
// Thread-safe: pure functions.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "identity/identity_graph.h"

namespace aidmp::identity {

// Unknown members, unknown type names, limits outside 1..65535 and repeated priorities
// are errors naming the member.
absl::StatusOr<IdentityRules> ParseIdentityRules(std::string_view json);

}  // namespace aidmp::identity
