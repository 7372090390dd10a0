// String helpers used across modules.
//
// Debian's abseil is built with its own string_view type, distinct from
// std::string_view, so absl's string functions do not accept ours; these small
// std::string_view versions are what the codebase uses instead. Thread-safe: pure.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace aidmp {

namespace strings_internal {

template <typename T>
void AppendPiece(std::string* out, const T& value) {
  if constexpr (std::is_same_v<T, char>) {
    out->push_back(value);
  } else if constexpr (std::is_same_v<T, bool>) {
    out->append(value ? "true" : "false");
  } else if constexpr (std::is_integral_v<T>) {
    char buf[24];
    auto result = std::to_chars(buf, buf + sizeof(buf), value);
    out->append(buf, result.ptr);
  } else if constexpr (std::is_floating_point_v<T>) {
    char buf[32];
    auto result = std::to_chars(buf, buf + sizeof(buf), value);
    out->append(buf, result.ptr);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out->append(std::string_view(value));
  } else {
    // Other string views (absl's): anything with data() and size().
    out->append(value.data(), value.size());
  }
}

}  // namespace strings_internal

// Concatenates strings, string views, characters and numbers.
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (strings_internal::AppendPiece(&out, args), ...);
  return out;
}

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (strings_internal::AppendPiece(out, args), ...);
}

std::string_view StripWhitespace(std::string_view text);
std::string AsciiToLower(std::string_view text);
bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix);

// Splits on `delimiter`; empty pieces are kept unless `skip_empty`.
std::vector<std::string_view> Split(std::string_view text, char delimiter, bool skip_empty = false);

// Whole-string numeric parsing (no surrounding junk); false on failure or overflow.
bool ParseInt64(std::string_view text, int64_t* value);
template <std::integral T>
bool ParseNumber(std::string_view text, T* value) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  auto result = std::from_chars(text.data(), text.data() + text.size(), *value);
  return !text.empty() && result.ec == std::errc() && result.ptr == text.data() + text.size();
}
bool ParseUint64(std::string_view text, uint64_t* value);
bool ParseDouble(std::string_view text, double* value);

std::string Base64Encode(std::string_view data);

// Latin-1 (ISO-8859-1) bytes to UTF-8 (MovieLens titles are Latin-1).
std::string Latin1ToUtf8(std::string_view text);
// False if `encoded` is not valid base64 (padding optional).
bool Base64Decode(std::string_view encoded, std::string* out);

}  // namespace aidmp
