#include "clean/json_rewrite.h"

namespace aidmp::clean {

bool RewriteObjectMembers(std::string_view object_json, const MemberRewriter& rewriter,
                          std::string* out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(object_json.data(), object_json.size()).get(object) != simdjson::SUCCESS) {
    return false;
  }
  JsonWriter writer;
  writer.BeginObject();
  bool changed = false;
  for (auto field : object) {
    writer.Key(field.key);
    if (rewriter(field.key, field.value, &writer)) {
      changed = true;
    } else {
      writer.Raw(simdjson::minify(field.value));
    }
  }
  writer.EndObject();
  if (changed) *out = writer.Take();
  return changed;
}

}  // namespace aidmp::clean
