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

// True for 64 lower-case hex digits: a value already hashed by the sender.
bool IsSha256Hex(std::string_view text);

// The one normalisation of contact data, so hashed traits and identity keys agree:
// the SHA-256 of the trimmed lower-cased email, or of the phone's digits (a leading '+'
// kept). Values that already are SHA-256 hex come back as they are; a phone without
// digits gives "".
std::string HashEmail(std::string_view email);
std::string HashPhone(std::string_view phone);

// xxHash64 of `data` with `seed`.
uint64_t Hash64(std::string_view data, uint64_t seed = 0);

}  // namespace aidmp
