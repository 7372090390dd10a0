// Hashing: SHA-256 for personal data (stable, one-way, what ad platforms expect for
// hashed emails and phones) and xxHash64 for internal keys (fast, not secret).
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aidmp {

// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

// xxHash64 of `data` with `seed`.
uint64_t Hash64(std::string_view data, uint64_t seed = 0);

}  // namespace aidmp
