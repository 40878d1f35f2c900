// CRC32C against published vectors (RFC 3720 appendix B.4 and the common "123456789" check
// value), and the table and SSE4.2 paths against each other.
#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

namespace corral::crc32c {
namespace {

TEST(Crc32c, CheckValue) { EXPECT_EQ(Value("123456789"), 0xE3069283u); }

TEST(Crc32c, Rfc3720Vectors) {
  char buf[32];
  std::memset(buf, 0, sizeof buf);
  EXPECT_EQ(Value(buf, sizeof buf), 0x8A9136AAu);
  std::memset(buf, 0xff, sizeof buf);
  EXPECT_EQ(Value(buf, sizeof buf), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(i);
  EXPECT_EQ(Value(buf, sizeof buf), 0x46DD794Eu);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(31 - i);
  EXPECT_EQ(Value(buf, sizeof buf), 0x113FDB5Cu);
  // An iSCSI read command PDU.
  const unsigned char pdu[48] = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
                                 0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(Value(pdu, sizeof pdu), 0xD9963A56u);
}

TEST(Crc32c, EmptyIsZero) { EXPECT_EQ(Value("", 0), 0u); }

TEST(Crc32c, ExtendEqualsWhole) {
  std::string s = "hello world, this is more than eight bytes long";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    EXPECT_EQ(Extend(Value(s.data(), cut), s.data() + cut, s.size() - cut), Value(s)) << cut;
  }
}

TEST(Crc32c, MaskRoundTripsAndDiffers) {
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xffffffffu}) {
    EXPECT_EQ(Unmask(Mask(crc)), crc);
    EXPECT_NE(Mask(crc), crc);
    EXPECT_NE(Mask(Mask(crc)), Mask(crc));
  }
}

TEST(Crc32c, PortableAndHardwareAgree) {
  if (!internal::HardwareAvailable()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937_64 random(7);
  std::string data(4096 + 16, '\0');
  for (auto& c : data) c = static_cast<char>(random());
  // Every length up to 300 at every alignment up to 16, then a few long ones.
  for (size_t start = 0; start < 16; ++start) {
    for (size_t n = 0; n < 300; ++n) {
      ASSERT_EQ(internal::ExtendPortable(0x1234u, data.data() + start, n),
                internal::ExtendHardware(0x1234u, data.data() + start, n))
          << start << " " << n;
    }
  }
  EXPECT_EQ(internal::ExtendPortable(0, data.data(), 4096),
            internal::ExtendHardware(0, data.data(), 4096));
  EXPECT_EQ(internal::ExtendPortable(0, "123456789", 9), 0xE3069283u);
}

}  // namespace
}  // namespace corral::crc32c
