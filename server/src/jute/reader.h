#pragma once
// JuteReader decodes ZooKeeper's jute encoding from one in-memory frame. Every length and count
// is checked against what is left in the frame, so a hostile length can never make it allocate
// or read past the frame. Errors are sticky: after the first failure every read fails and
// ok() is false, so callers decode a whole record and check once.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::jute {

// The length prefix of a frame on a ZooKeeper connection: 4 bytes, big-endian, before the
// frame's body (read apart from it: the body is not in memory yet).
inline uint32_t FrameLength(const void* prefix) {
  const auto* b = static_cast<const unsigned char*>(prefix);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

class Reader {
 public:
  explicit Reader(std::string_view frame) : data_(frame) {}

  int32_t ReadInt();
  int64_t ReadLong();
  bool ReadBool();
  // buffer and ustring share one encoding: int32 length (-1 = null) then bytes.
  // A null decodes as an empty string; ReadNullableBuffer tells them apart.
  std::string ReadBuffer();
  std::optional<std::string> ReadNullableBuffer();
  std::string ReadString() { return ReadBuffer(); }
  // A string that must be present: a null fails the read (ZooKeeper answers a request whose
  // path is null with MARSHALLINGERROR, as for any record that does not decode).
  std::string ReadNonNullString();
  // A vector's count; -1 (null) and any other negative count read as 0, as Java's jute does
  // (its loop over a negative count runs zero times). Fails if the count cannot fit in what is
  // left, assuming each element takes at least min_element_bytes.
  int32_t ReadCount(size_t min_element_bytes);

  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  bool AtEnd() const { return ok_ && pos_ == data_.size(); }
  void Fail() { ok_ = false; }

 private:
  bool Need(size_t n);
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace corral::jute
