#include "common/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace aidmp {
namespace {

// Length of the valid UTF-8 sequence starting at s[0], or 0 if invalid.
size_t Utf8SequenceLength(const unsigned char* s, size_t remaining) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t min_code;
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    min_code = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    min_code = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    min_code = 0x10000;
  } else {
    return 0;
  }
  if (remaining < len) return 0;
  uint32_t code = c & (0x7f >> len);
  for (size_t byte_idx = 1; byte_idx < len; ++byte_idx) {
    if ((s[byte_idx] & 0xc0) != 0x80) return 0;
    code = (code << 6) | (s[byte_idx] & 0x3f);
  }
  if (code < min_code || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return len;
}

}  // namespace

bool IsValidUtf8(std::string_view data) {
  const auto* s = reinterpret_cast<const unsigned char*>(data.data());
  size_t pos = 0;
  while (pos < data.size()) {
    size_t len = Utf8SequenceLength(s + pos, data.size() - pos);
    if (len == 0) return false;
    pos += len;
  }
  return true;
}

namespace {
uint64_t LoadWord(const unsigned char* bytes) {
  uint64_t word;
  std::memcpy(&word, bytes, sizeof(word));
  return word;
}

// Whether any of the eight bytes in `word` is below 0x20, a quote, a backslash or not
// ASCII. (Bit tricks that answer "any byte ...?" exactly; which byte is not told.)
bool NeedsEscapeOrUtf8Check(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const uint64_t below_space = (word - 0x20 * kOnes) & ~word & kHigh;
  return ((word & kHigh) | below_space | has_zero(word ^ ('"' * kOnes)) | has_zero(word ^ ('\\' * kOnes))) != 0;
}
}  // namespace

void AppendJsonString(std::string* out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + value.size() + 2);
  out->push_back('"');
  const auto* s = reinterpret_cast<const unsigned char*>(value.data());
  size_t pos = 0;
  while (pos < value.size()) {
    // Most bytes need no escaping: find such runs eight bytes at a time, and copy them
    // at once.
    size_t run_end = pos;
    while (run_end + 8 <= value.size() && !NeedsEscapeOrUtf8Check(LoadWord(s + run_end))) run_end += 8;
    while (run_end < value.size() && s[run_end] >= 0x20 && s[run_end] < 0x80 && s[run_end] != '"' &&
           s[run_end] != '\\') {
      ++run_end;
    }
    if (run_end > pos) {
      out->append(value.data() + pos, run_end - pos);
      pos = run_end;
      continue;
    }
    unsigned char c = s[pos];
    if (c >= 0x80) {
      size_t len = Utf8SequenceLength(s + pos, value.size() - pos);
      if (len == 0) {
        out->append("\xef\xbf\xbd");  // U+FFFD for an invalid byte.
        ++pos;
      } else {
        out->append(value.data() + pos, len);
        pos += len;
      }
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++pos;
  }
  out->push_back('"');
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_element_.empty()) {
    if (has_element_.back()) out_.push_back(',');
    has_element_.back() = true;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_.push_back('}');
  has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_.push_back(']');
  has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendJsonString(&out_, key);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendJsonString(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  out_.append(std::to_string(value));
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  out_.append(std::to_string(value));
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  BeforeValue();
  if (!std::isfinite(value)) {
    out_.append("null");
    return *this;
  }
  char buf[32];
  // Shortest round-trip form, but never an integer too large for a 64-bit integer:
  // simdjson (and many readers) reject those, where 1.2e+20 reads fine.
  auto result = std::fabs(value) >= 1e18
                    ? std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific)
                    : std::to_chars(buf, buf + sizeof(buf), value);
  out_.append(buf, result.ptr);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_.append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_.append(json);
  return *this;
}

}  // namespace aidmp
