#include "common/hash.h"

#include <openssl/evp.h>
#include <xxhash.h>

namespace aidmp {

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(data.data(), data.size(), digest, &digest_len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(digest_len * 2, '0');
  for (unsigned int byte_idx = 0; byte_idx < digest_len; ++byte_idx) {
    out[2 * byte_idx] = kHex[digest[byte_idx] >> 4];
    out[2 * byte_idx + 1] = kHex[digest[byte_idx] & 0xf];
  }
  return out;
}

uint64_t Hash64(std::string_view data, uint64_t seed) {
  return XXH64(data.data(), data.size(), seed);
}

}  // namespace aidmp
