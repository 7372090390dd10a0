#include "common/hash.h"

#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include <algorithm>

#include "common/strings.h"
#include <xxhash.h>

namespace aidmp {

namespace {
// OpenSSL 3 looks EVP_sha256() up among its providers at every digest; fetched once,
// the lookup is gone (it was more than half of hashing a short email).
const EVP_MD* Sha256Algorithm() {
#if OPENSSL_VERSION_MAJOR >= 3
  static const EVP_MD* const algorithm = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return algorithm;
#else
  return EVP_sha256();
#endif
}
}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(data.data(), data.size(), digest, &digest_len, Sha256Algorithm(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(digest_len * 2, '0');
  for (unsigned int byte_idx = 0; byte_idx < digest_len; ++byte_idx) {
    out[2 * byte_idx] = kHex[digest[byte_idx] >> 4];
    out[2 * byte_idx + 1] = kHex[digest[byte_idx] & 0xf];
  }
  return out;
}

bool IsSha256Hex(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string HashEmail(std::string_view email) {
  if (IsSha256Hex(email)) return std::string(email);
  return Sha256Hex(AsciiToLower(StripWhitespace(email)));
}

std::string HashPhone(std::string_view phone) {
  if (IsSha256Hex(phone)) return std::string(phone);
  std::string digits;
  for (char c : phone) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  if (digits.empty()) return std::string();
  std::string_view trimmed = StripWhitespace(phone);
  if (!trimmed.empty() && trimmed.front() == '+') digits.insert(digits.begin(), '+');
  return Sha256Hex(digits);
}

uint64_t Hash64(std::string_view data, uint64_t seed) {
  return XXH64(data.data(), data.size(), seed);
}

}  // namespace aidmp
