#include "common/hash.h"

#include <gtest/gtest.h>

namespace aidmp {
namespace {

// FIPS 180-2's test vectors: the algorithm fetched once is SHA-256.
TEST(HashTest, Sha256HexGivesTheStandardDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("jane@example.com")));
}

}  // namespace
}  // namespace aidmp
