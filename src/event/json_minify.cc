#include "event/json_minify.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <cstdint>
#include <string_view>

namespace aidmp::event {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The high bit of each byte of `word` (little-endian) that needs an escape: a zero byte
// after xor with '"' or '\\', or a byte below 0x20. Borrows can set bits above a byte
// that needs one, never below it, so the lowest set bit is exact.
uint64_t EscapeMask(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  uint64_t quote = word ^ (kOnes * '"');
  uint64_t backslash = word ^ (kOnes * '\\');
  return (((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
          ((word - kOnes * 0x20) & ~word)) &
         kHighBits;
}

// The position of the first byte at or after `pos` that needs an escape, or the size.
// Eight bytes at a time. The last few bytes are read as the string's last word shifted
// down past the bytes before `pos`, or for a string under eight bytes gathered byte by
// byte, with bytes that need no escape above them (register shifts: a short memcpy
// into a word stalls on store forwarding).
size_t NextEscape(std::string_view text, size_t pos) {
  static_assert(std::endian::native == std::endian::little);
  constexpr uint64_t kPadding = 0x0101010101010101ULL * 'a';
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  uint64_t word;
  while (pos + 8 <= size) {
    std::memcpy(&word, bytes + pos, sizeof(word));
    if (uint64_t mask = EscapeMask(word)) return pos + std::countr_zero(mask) / 8;
    pos += 8;
  }
  if (pos == size) return size;
  if (size >= 8) {
    std::memcpy(&word, bytes + size - 8, sizeof(word));
    const unsigned skipped_bits = 8 * static_cast<unsigned>(pos - (size - 8));  // 8 to 56
    word = (word >> skipped_bits) | (kPadding << (64 - skipped_bits));
  } else {
    word = kPadding;
    for (size_t byte_idx = 0; pos + byte_idx < size; ++byte_idx) {
      word &= ~(uint64_t{0xff} << (8 * byte_idx));
      word |= uint64_t{bytes[pos + byte_idx]} << (8 * byte_idx);
    }
  }
  if (uint64_t mask = EscapeMask(word)) return pos + std::countr_zero(mask) / 8;
  return size;
}

// simdjson's escapes: '"' and '\\' with a backslash, the five short control escapes,
// every other byte below 0x20 as \u00XX; everything else (UTF-8 included) as it is.
std::string_view Escape(unsigned char c) {
  static constexpr std::string_view kControl[32] = {
      "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
      "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
      "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
      "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f"};
  if (c == '"') return "\\\"";
  if (c == '\\') return "\\\\";
  return kControl[c];
}

void AppendString(std::string_view text, std::string* out) {
  out->push_back('"');
  size_t run_start = 0;
  size_t pos;
  while ((pos = NextEscape(text, run_start)) < text.size()) {
    out->append(text.data() + run_start, pos - run_start);
    out->append(Escape(static_cast<unsigned char>(text[pos])));
    run_start = pos + 1;
  }
  out->append(text.data() + run_start, text.size() - run_start);
  out->push_back('"');
}

size_t StringSizeOf(std::string_view text) {
  size_t size = text.size() + 2;
  for (size_t pos = NextEscape(text, 0); pos < text.size(); pos = NextEscape(text, pos + 1)) {
    size += Escape(static_cast<unsigned char>(text[pos])).size() - 1;
  }
  return size;
}

// Numbers as simdjson writes them: integers in decimal, doubles by simdjson's own
// shortest round-trip formatter (which keeps a ".0" that std::to_chars would drop).
std::string_view FormatNumber(element value, char (&buffer)[32]) {
  char* end = buffer;
  switch (value.type()) {
    case element_type::INT64:
      end = std::to_chars(buffer, buffer + sizeof(buffer), value.get_int64().value_unsafe()).ptr;
      break;
    case element_type::UINT64:
      end = std::to_chars(buffer, buffer + sizeof(buffer), value.get_uint64().value_unsafe()).ptr;
      break;
    default:
      end = simdjson::internal::to_chars(buffer, buffer + sizeof(buffer),
                                         value.get_double().value_unsafe());
      break;
  }
  return std::string_view(buffer, static_cast<size_t>(end - buffer));
}

}  // namespace

void AppendMinified(element value, std::string* out) {
  switch (value.type()) {
    case element_type::ARRAY: {
      out->push_back('[');
      bool first = true;
      simdjson::dom::array array = value.get_array().value_unsafe();
      for (element item : array) {
        if (!first) out->push_back(',');
        first = false;
        AppendMinified(item, out);
      }
      out->push_back(']');
      return;
    }
    case element_type::OBJECT: {
      out->push_back('{');
      simdjson::dom::object object = value.get_object().value_unsafe();
      bool first = true;
      for (auto field : object) {
        if (!first) out->push_back(',');
        first = false;
        AppendString(field.key, out);
        out->push_back(':');
        AppendMinified(field.value, out);
      }
      out->push_back('}');
      return;
    }
    case element_type::STRING:
      AppendString(value.get_string().value_unsafe(), out);
      return;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      char buffer[32];
      out->append(FormatNumber(value, buffer));
      return;
    }
    case element_type::BOOL:
      out->append(value.get_bool().value_unsafe() ? "true" : "false");
      return;
    case element_type::NULL_VALUE:
      out->append("null");
      return;
  }
}

size_t MinifiedStringSize(std::string_view text) { return StringSizeOf(text); }

std::string Minified(element value) {
  std::string out;
  AppendMinified(value, &out);
  return out;
}

size_t MinifiedSize(element value) {
  switch (value.type()) {
    case element_type::ARRAY: {
      simdjson::dom::array array = value.get_array().value_unsafe();
      size_t size = 2;
      size_t count = 0;
      for (element item : array) {
        size += MinifiedSize(item);
        ++count;
      }
      return size + (count > 0 ? count - 1 : 0);
    }
    case element_type::OBJECT: {
      simdjson::dom::object object = value.get_object().value_unsafe();
      size_t size = 2;
      size_t count = 0;
      for (auto field : object) {
        size += StringSizeOf(field.key) + 1 + MinifiedSize(field.value);
        ++count;
      }
      return size + (count > 0 ? count - 1 : 0);
    }
    case element_type::STRING:
      return StringSizeOf(value.get_string().value_unsafe());
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      char buffer[32];
      return FormatNumber(value, buffer).size();
    }
    case element_type::BOOL:
      return value.get_bool().value_unsafe() ? 4 : 5;
    case element_type::NULL_VALUE:
      return 4;
  }
  return 0;
}

}  // namespace aidmp::event
