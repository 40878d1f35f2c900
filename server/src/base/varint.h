#pragma once
// Base-128 varints as protobuf writes them (least significant group first, high bit set on
// every byte but the last): the encoders that write protobuf wire bytes by hand use these
// (storage/log_entry_codec.cc, runtime/peer_codec.cc).
#include <cstddef>
#include <cstdint>
#include <string>

namespace corral {

inline size_t VarintSize(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

inline void PutVarint(uint64_t value, std::string* out) {
  char buffer[10];
  size_t n = 0;
  while (value >= 0x80) {
    buffer[n++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  buffer[n++] = static_cast<char>(value);
  out->append(buffer, n);
}

}  // namespace corral
