#pragma once
// Hexadecimal text of ids and zxids, as ZooKeeper prints them (Long.toHexString: the two's
// complement bits, lower case, no leading zeros).
#include <cstdint>
#include <string>

namespace corral {

std::string HexDigits(int64_t v);                                  // "1000000a2"
inline std::string Hex(int64_t v) { return "0x" + HexDigits(v); }  // "0x1000000a2"

}  // namespace corral
