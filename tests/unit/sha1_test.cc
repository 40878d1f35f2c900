// SHA-1 against FIPS 180's examples and values computed by another implementation (Python's
// hashlib) at every padding boundary: 55 bytes is the longest tail that pads within one block,
// 56-63 need a second, 64 is a whole block with a padding block of its own.
#include "base/sha1.h"

#include <gtest/gtest.h>

#include <string>

#include "base/base64.h"

namespace corral {
namespace {

std::string HexOf(const Sha1Digest& digest) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// Bytes (i * 7) mod 256 for i in [0, n).
std::string Pattern(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>((i * 7) & 255);
  return s;
}

TEST(Sha1, Fips180Examples) {
  EXPECT_EQ(HexOf(Sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(HexOf(Sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexOf(Sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(HexOf(Sha1(std::string(1000000, 'a'))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1, EveryPaddingBoundary) {
  EXPECT_EQ(HexOf(Sha1(Pattern(55))), "aecd1643c9903b9bae8cb94f53c50f8a4e18605b");
  EXPECT_EQ(HexOf(Sha1(Pattern(56))), "f5d65c621c02cc8e785159feff8088e3072da1bc");
  EXPECT_EQ(HexOf(Sha1(Pattern(63))), "4952f0fe097e4d6410ae9eab4855aa836caf3bff");
  EXPECT_EQ(HexOf(Sha1(Pattern(64))), "1e17ae1fc093e5daca033553c97a5192ca164486");
  EXPECT_EQ(HexOf(Sha1(Pattern(65))), "ac44f5dbe3e9b5d2733fc9537fcad715c3c20bc3");
  EXPECT_EQ(HexOf(Sha1(Pattern(119))), "b4a4e69060d0b1e7e8ebbf7041a4211c63438b57");
  EXPECT_EQ(HexOf(Sha1(Pattern(120))), "b651390c2996406336a3f6647e4b590c18cdd6f8");
}

TEST(Base64, Rfc4648Vectors) {
  using namespace std::string_literals;
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("\xff\xfe\x00"s), "//4A");
}

}  // namespace
}  // namespace corral
