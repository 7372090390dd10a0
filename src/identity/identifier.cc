#include "identity/identifier.h"

#include <algorithm>

#include "common/hash.h"
#include "common/strings.h"
#include "event/json_util.h"
#include "simdjson.h"

namespace aidmp::identity {
namespace {

void AddContactIds(simdjson::dom::object traits, std::vector<Identifier>* out) {
  std::string_view value;
  for (std::string_view key : {"email", "email_address"}) {
    if (traits[key].get_string().get(value) == simdjson::SUCCESS && !StripWhitespace(value).empty()) {
      out->push_back({IdType::kEmailHash, HashEmail(value)});
    }
  }
  for (std::string_view key : {"phone", "phone_number"}) {
    if (traits[key].get_string().get(value) == simdjson::SUCCESS) {
      std::string hashed = HashPhone(value);
      if (!hashed.empty()) out->push_back({IdType::kPhoneHash, hashed});
    }
  }
}

}  // namespace

std::string_view IdTypeName(IdType type) {
  switch (type) {
    case IdType::kUserId: return "userId";
    case IdType::kAnonymousId: return "anonymousId";
    case IdType::kDeviceId: return "deviceId";
    case IdType::kAdvertisingId: return "advertisingId";
    case IdType::kEmailHash: return "emailHash";
    case IdType::kPhoneHash: return "phoneHash";
  }
  return "unknown";
}

bool ParseIdType(std::string_view name, IdType* type) {
  for (int type_idx = 1; type_idx < kIdTypeCount; ++type_idx) {
    IdType candidate = static_cast<IdType>(type_idx);
    if (IdTypeName(candidate) == name) {
      *type = candidate;
      return true;
    }
  }
  return false;
}

std::vector<Identifier> ExtractIdentifiers(const event::Event& event) {
  std::vector<Identifier> ids;
  if (!event.user_id.empty()) ids.push_back({IdType::kUserId, event.user_id});
  if (!event.anonymous_id.empty()) ids.push_back({IdType::kAnonymousId, event.anonymous_id});
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  // Most contexts (a browser's) hold neither a device nor traits: no parse for them.
  const std::string& context = event.context_json;
  if ((event::MayHoldKey(context, "\"device\"") || event::MayHoldKey(context, "\"traits\"")) &&
      parser.parse(context).get(object) == simdjson::SUCCESS) {
    std::string_view value;
    simdjson::dom::object device;
    if (object["device"].get_object().get(device) == simdjson::SUCCESS) {
      if (device["id"].get_string().get(value) == simdjson::SUCCESS && !value.empty()) {
        ids.push_back({IdType::kDeviceId, std::string(value)});
      }
      if (device["advertisingId"].get_string().get(value) == simdjson::SUCCESS && !value.empty()) {
        ids.push_back({IdType::kAdvertisingId, std::string(value)});
      }
    }
    simdjson::dom::object traits;
    if (object["traits"].get_object().get(traits) == simdjson::SUCCESS) AddContactIds(traits, &ids);
  }
  if (!event.traits_json.empty() && parser.parse(event.traits_json).get(object) == simdjson::SUCCESS) {
    AddContactIds(object, &ids);
  }
  // The same identifier twice (traits and context.traits) counts once.
  std::vector<Identifier> unique;
  for (auto& id : ids) {
    if (std::find(unique.begin(), unique.end(), id) == unique.end()) unique.push_back(std::move(id));
  }
  return unique;
}

}  // namespace aidmp::identity
