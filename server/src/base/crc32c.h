#pragma once
// CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected; the checksum of iSCSI, ext4 and SCTP).
// Every record Corral writes to disk carries one (see storage/record_format.h).
//
// Uses the SSE4.2 crc32 instruction when the CPU has it and a slicing-by-8 table otherwise; both
// give the same values. Thread-safe, allocation-free and lock-free, so it may run in a child
// forked from a multi-threaded process (the snapshot writer does).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace corral::crc32c {

// The CRC32C of data[0, n) continued from `crc`, the CRC32C of whatever came before it:
// Extend(Value(a), b) == Value(a + b).
uint32_t Extend(uint32_t crc, const void* data, size_t n);

inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

// A CRC stored in a payload that is itself checksummed (or a CRC of bytes that contain CRCs)
// makes CRC-of-CRC patterns with poor error detection. Masking, as the Snappy framing format
// specifies it, breaks that up. Stored checksums are masked; compare after Unmask.
inline uint32_t Mask(uint32_t crc) {
  constexpr uint32_t kMaskDelta = 0xa282ead8u;
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}
inline uint32_t Unmask(uint32_t masked) {
  constexpr uint32_t kMaskDelta = 0xa282ead8u;
  uint32_t rotated = masked - kMaskDelta;
  return (rotated >> 17) | (rotated << 15);
}

namespace internal {
// The two implementations, exposed so tests can check they agree.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);
// Only when HardwareAvailable().
uint32_t ExtendHardware(uint32_t crc, const void* data, size_t n);
bool HardwareAvailable();
}  // namespace internal

}  // namespace corral::crc32c
