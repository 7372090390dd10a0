// The JSON form profiles were stored in before the binary one (profile_binary.cc).
// Profile::Decode still reads it, so data directories written by older versions stay
// readable; a profile is rewritten in binary the next time an event changes it. Tests
// write it to check that.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "profile/profile.h"

namespace aidmp::profile::internal {

std::string EncodeProfileJson(const Profile& profile);
// DataLoss if `data` is not a JSON object; missing members take their defaults.
absl::Status DecodeProfileJson(std::string_view data, Profile* out);

}  // namespace aidmp::profile::internal
