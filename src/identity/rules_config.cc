#include "identity/rules_config.h"

#include <algorithm>

#include "common/strings.h"
#include "simdjson.h"

namespace aidmp::identity {
namespace {

absl::Status Bad(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("identity config: ", where, ": ", what));
}

}  // namespace

absl::StatusOr<IdentityRules> ParseIdentityRules(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  auto error = parser.parse(json.data(), json.size()).get(root);
  if (error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(StrCat("identity config is not a JSON object: ", simdjson::error_message(error)));
  }
  IdentityRules rules;
  for (auto field : root) {
    if (field.key == "max_per_person") {
      simdjson::dom::object limits;
      if (field.value.get_object().get(limits) != simdjson::SUCCESS) return Bad("max_per_person", "must be an object");
      for (auto limit : limits) {
        IdType type;
        if (!ParseIdType(limit.key, &type)) {
          return Bad(StrCat("max_per_person.", limit.key),
                     "unknown identifier type (userId, anonymousId, deviceId, advertisingId, emailHash, phoneHash)");
        }
        if (limit.value.is_null()) {
          rules.max_per_person.erase(type);
          continue;
        }
        int64_t count;
        if (limit.value.get_int64().get(count) != simdjson::SUCCESS || count < 1 || count > 65535) {
          return Bad(StrCat("max_per_person.", limit.key), "must be a whole number from 1 to 65535, or null for no limit");
        }
        rules.max_per_person[type] = static_cast<int>(count);
      }
    } else if (field.key == "priority") {
      simdjson::dom::array names;
      if (field.value.get_array().get(names) != simdjson::SUCCESS) return Bad("priority", "must be an array of type names");
      std::vector<IdType> priority;
      for (simdjson::dom::element name : names) {
        std::string_view text;
        IdType type;
        if (name.get_string().get(text) != simdjson::SUCCESS || !ParseIdType(text, &type)) {
          return Bad("priority", StrCat("'", simdjson::minify(name).substr(0, 40), "' is not an identifier type"));
        }
        if (std::find(priority.begin(), priority.end(), type) != priority.end()) {
          return Bad("priority", StrCat("'", text, "' is listed twice"));
        }
        priority.push_back(type);
      }
      for (IdType type : rules.priority) {
        if (std::find(priority.begin(), priority.end(), type) == priority.end()) priority.push_back(type);
      }
      rules.priority = std::move(priority);
    } else {
      return Bad("top level", StrCat("unknown member '", field.key, "' (max_per_person, priority)"));
    }
  }
  return rules;
}

}  // namespace aidmp::identity
