// Typed identifiers of a person, and how they are read off an event.
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "event/event.h"

namespace aidmp::identity {

// Do not change the numbers: stored on disk in identity keys.
enum class IdType : uint8_t {
  kUserId = 1,
  kAnonymousId = 2,
  kDeviceId = 3,       // context.device.id
  kAdvertisingId = 4,  // context.device.advertisingId
  kEmailHash = 5,      // SHA-256 of the normalised email
  kPhoneHash = 6,      // SHA-256 of the normalised phone
};
constexpr int kIdTypeCount = 7;

// "userId", "anonymousId", "deviceId", "advertisingId", "emailHash", "phoneHash".
std::string_view IdTypeName(IdType type);
bool ParseIdType(std::string_view name, IdType* type);

struct Identifier {
  IdType type = IdType::kUserId;
  std::string value;
  bool operator==(const Identifier& other) const = default;
};

// The identifiers an event carries: userId, anonymousId, context.device.id and
// advertisingId, and hashed emails and phones from traits and context.traits (hashed
// here if the sender's were not). An alias's previousId is returned separately, since
// whether it names a user or an anonymous visitor depends on the graph.
std::vector<Identifier> ExtractIdentifiers(const event::Event& event);

}  // namespace aidmp::identity
