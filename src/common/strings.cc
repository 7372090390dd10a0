#include "common/strings.h"

#include <cctype>
#include <cmath>

namespace aidmp {

std::string_view StripWhitespace(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size() && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  size_t end = text.size();
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

std::string AsciiToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t char_idx = 0; char_idx < prefix.size(); ++char_idx) {
    if (std::tolower(static_cast<unsigned char>(text[char_idx])) !=
        std::tolower(static_cast<unsigned char>(prefix[char_idx]))) {
      return false;
    }
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view text, char delimiter, bool skip_empty) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  while (true) {
    size_t end = text.find(delimiter, start);
    std::string_view piece = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!skip_empty || !piece.empty()) pieces.push_back(piece);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return pieces;
}

bool ParseInt64(std::string_view text, int64_t* value) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  auto result = std::from_chars(text.data(), text.data() + text.size(), *value);
  return !text.empty() && result.ec == std::errc() && result.ptr == text.data() + text.size();
}

bool ParseUint64(std::string_view text, uint64_t* value) {
  auto result = std::from_chars(text.data(), text.data() + text.size(), *value);
  return !text.empty() && result.ec == std::errc() && result.ptr == text.data() + text.size();
}

bool ParseDouble(std::string_view text, double* value) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  auto result = std::from_chars(text.data(), text.data() + text.size(), *value);
  return !text.empty() && result.ec == std::errc() && result.ptr == text.data() + text.size() &&
         std::isfinite(*value);
}

static constexpr char kBase64Chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t pos = 0;
  while (pos + 2 < data.size()) {
    uint32_t chunk = (static_cast<unsigned char>(data[pos]) << 16) |
                     (static_cast<unsigned char>(data[pos + 1]) << 8) | static_cast<unsigned char>(data[pos + 2]);
    out.push_back(kBase64Chars[(chunk >> 18) & 63]);
    out.push_back(kBase64Chars[(chunk >> 12) & 63]);
    out.push_back(kBase64Chars[(chunk >> 6) & 63]);
    out.push_back(kBase64Chars[chunk & 63]);
    pos += 3;
  }
  size_t rest = data.size() - pos;
  if (rest > 0) {
    uint32_t chunk = static_cast<unsigned char>(data[pos]) << 16;
    if (rest == 2) chunk |= static_cast<unsigned char>(data[pos + 1]) << 8;
    out.push_back(kBase64Chars[(chunk >> 18) & 63]);
    out.push_back(kBase64Chars[(chunk >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Chars[(chunk >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool Base64Decode(std::string_view encoded, std::string* out) {
  while (!encoded.empty() && encoded.back() == '=') encoded.remove_suffix(1);
  if (encoded.size() % 4 == 1) return false;
  std::string decoded;
  decoded.reserve(encoded.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : encoded) {
    int value;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '+' || c == '-') {
      value = 62;
    } else if (c == '/' || c == '_') {
      value = 63;
    } else {
      return false;
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  *out = std::move(decoded);
  return true;
}

std::string Latin1ToUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  return out;
}

}  // namespace aidmp
