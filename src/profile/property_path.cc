#include "profile/property_path.h"

#include <charconv>

#include "common/strings.h"

namespace aidmp::profile {
namespace {

void Walk(simdjson::dom::element node, std::string_view path,
          const std::function<void(simdjson::dom::element)>& fn, int depth) {
  if (depth > 16) return;
  if (path.empty()) {
    simdjson::dom::array items;
    if (node.get_array().get(items) == simdjson::SUCCESS) {
      for (simdjson::dom::element item : items) fn(item);
    } else {
      fn(node);
    }
    return;
  }
  size_t dot = path.find('.');
  std::string_view part = path.substr(0, dot);
  std::string_view rest = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  bool each = part.size() >= 2 && part.substr(part.size() - 2) == "[]";
  if (each) part.remove_suffix(2);
  simdjson::dom::object object;
  if (node.get_object().get(object) != simdjson::SUCCESS) return;
  simdjson::dom::element child;
  if (object.at_key(part).get(child) != simdjson::SUCCESS) return;
  if (!each) return Walk(child, rest, fn, depth + 1);
  simdjson::dom::array items;
  if (child.get_array().get(items) != simdjson::SUCCESS) return;
  for (simdjson::dom::element item : items) Walk(item, rest, fn, depth + 1);
}

}  // namespace

void ForEachAtPath(simdjson::dom::element root, std::string_view path,
                   const std::function<void(simdjson::dom::element)>& fn) {
  if (!path.empty()) Walk(root, path, fn, 0);
}

bool NumberOf(simdjson::dom::element value, double* out) {
  if (value.is_number()) return value.get_double().get(*out) == simdjson::SUCCESS;
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return false;
  return ParseDouble(text, out);
}

bool ScalarText(simdjson::dom::element value, std::string* out) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    out->assign(text);
    return true;
  }
  bool flag;
  if (value.get_bool().get(flag) == simdjson::SUCCESS) {
    out->assign(flag ? "true" : "false");
    return true;
  }
  if (!value.is_number()) return false;
  int64_t integer;
  if (value.get_int64().get(integer) == simdjson::SUCCESS) {
    out->assign(std::to_string(integer));
    return true;
  }
  double number;
  if (value.get_double().get(number) != simdjson::SUCCESS) return false;
  char buf[32];
  auto result = std::to_chars(buf, buf + sizeof(buf), number);
  out->assign(buf, result.ptr);
  return true;
}

}  // namespace aidmp::profile
