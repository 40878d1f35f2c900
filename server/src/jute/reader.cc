#include "jute/reader.h"

namespace corral::jute {

bool Reader::Need(size_t n) {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}

int32_t Reader::ReadInt() {
  if (!Need(4)) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_++]);
  return static_cast<int32_t>(v);
}

int64_t Reader::ReadLong() {
  if (!Need(8)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_++]);
  return static_cast<int64_t>(v);
}

bool Reader::ReadBool() {
  if (!Need(1)) return false;
  return data_[pos_++] != 0;
}

std::optional<std::string> Reader::ReadNullableBuffer() {
  int32_t len = ReadInt();
  if (!ok_) return std::nullopt;
  if (len == -1) return std::nullopt;
  if (len < -1 || !Need(static_cast<size_t>(len < 0 ? 0 : len))) {
    ok_ = false;
    return std::nullopt;
  }
  std::string out(data_.substr(pos_, static_cast<size_t>(len)));
  pos_ += static_cast<size_t>(len);
  return out;
}

std::string Reader::ReadBuffer() {
  auto v = ReadNullableBuffer();
  return v ? std::move(*v) : std::string();
}

std::string Reader::ReadNonNullString() {
  auto v = ReadNullableBuffer();
  if (!v) {
    ok_ = false;
    return {};
  }
  return std::move(*v);
}

int32_t Reader::ReadCount(size_t min_element_bytes) {
  int32_t count = ReadInt();
  if (!ok_) return 0;
  if (count < 0) return 0;
  if (min_element_bytes > 0 &&
      static_cast<uint64_t>(count) * min_element_bytes > data_.size() - pos_) {
    ok_ = false;
    return 0;
  }
  return count;
}

}  // namespace corral::jute
