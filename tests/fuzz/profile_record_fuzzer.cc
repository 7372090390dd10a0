// Fuzzes the stored profile record (Profile::Decode): the binary format of
// profile_binary.cc, and the JSON one earlier versions wrote (still read). A record comes
// from the store, where a torn write, a bad disk or an old version may leave anything.
//
// Invariants: nothing crashes or allocates without bound; a record that decodes encodes
// to a binary record that decodes and encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "profile/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  aidmp::profile::Profile profile;
  if (!aidmp::profile::Profile::Decode(std::string_view(reinterpret_cast<const char*>(data), size), &profile).ok()) {
    return 0;
  }
  const std::string encoded = profile.Encode();
  aidmp::profile::Profile again;
  auto status = aidmp::profile::Profile::Decode(encoded, &again);
  AIDMP_FUZZ_CHECK_MSG(status.ok(), std::string(status.message()));
  AIDMP_FUZZ_CHECK(again.Encode() == encoded);
  return 0;
}
