// Order-preserving key encodings for the store.
//
// Big-endian fixed-width integers sort bytewise in numeric order, which is what RocksDB's
// default comparator uses. Signed values are offset by 2^63 so negatives sort first.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aidmp {

inline void PutFixed64BE(std::string* dst, uint64_t value) {
  char buf[8];
  for (int byte_idx = 7; byte_idx >= 0; --byte_idx) {
    buf[byte_idx] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  dst->append(buf, 8);
}

// Reads 8 bytes at `data`; the caller guarantees they exist.
inline uint64_t DecodeFixed64BE(const char* data) {
  uint64_t value = 0;
  for (int byte_idx = 0; byte_idx < 8; ++byte_idx) {
    value = (value << 8) | static_cast<unsigned char>(data[byte_idx]);
  }
  return value;
}

inline void PutOrderedInt64(std::string* dst, int64_t value) {
  PutFixed64BE(dst, static_cast<uint64_t>(value) ^ (uint64_t{1} << 63));
}

inline int64_t DecodeOrderedInt64(const char* data) {
  return static_cast<int64_t>(DecodeFixed64BE(data) ^ (uint64_t{1} << 63));
}

// Little-endian fixed 64 for values (not keys).
inline void PutFixed64LE(std::string* dst, uint64_t value) {
  char buf[8];
  for (int byte_idx = 0; byte_idx < 8; ++byte_idx) {
    buf[byte_idx] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  dst->append(buf, 8);
}

inline uint64_t DecodeFixed64LE(const char* data) {
  uint64_t value = 0;
  for (int byte_idx = 7; byte_idx >= 0; --byte_idx) {
    value = (value << 8) | static_cast<unsigned char>(data[byte_idx]);
  }
  return value;
}

// Hex encoding, used for opaque cursors in the API.
std::string HexEncode(std::string_view bytes);
// Returns false if `hex` is not valid hex of even length.
bool HexDecode(std::string_view hex, std::string* out);

}  // namespace aidmp
