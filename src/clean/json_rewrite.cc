#include "clean/json_rewrite.h"

#include "event/json_minify.h"

namespace aidmp::clean {

bool RewriteObjectMembers(std::string_view object_json, const MemberRewriter& rewriter,
                          std::string* out) {
  // A rewriter may rewrite a nested object with this same function; each nesting level
  // gets its own parser so the outer document stays valid while the inner one is parsed.
  constexpr int kMaxDepth = 4;
  thread_local simdjson::dom::parser parsers[kMaxDepth];
  thread_local int depth = 0;
  if (depth >= kMaxDepth) return false;
  struct DepthGuard {
    DepthGuard() { ++depth; }
    ~DepthGuard() { --depth; }
  } guard;
  simdjson::dom::object object;
  if (parsers[depth - 1].parse(object_json.data(), object_json.size()).get(object) != simdjson::SUCCESS) {
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
      writer.Raw(event::Minified(field.value));
    }
  }
  writer.EndObject();
  if (changed) *out = writer.Take();
  return changed;
}

}  // namespace aidmp::clean
