#include "jute/writer.h"

namespace corral::jute {

void Writer::WriteInt(int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
               static_cast<char>(u)};
  out_->append(b, 4);
}

void Writer::WriteLong(int64_t v) {
  WriteInt(static_cast<int32_t>(static_cast<uint64_t>(v) >> 32));
  WriteInt(static_cast<int32_t>(static_cast<uint64_t>(v) & 0xffffffffu));
}

void Writer::WriteBuffer(std::string_view v) {
  WriteInt(static_cast<int32_t>(v.size()));
  out_->append(v.data(), v.size());
}

size_t Writer::BeginFrame() {
  size_t start = out_->size();
  out_->append(4, '\0');
  return start;
}

void Writer::EndFrame(size_t frame_start) {
  uint32_t len = static_cast<uint32_t>(out_->size() - frame_start - 4);
  (*out_)[frame_start] = static_cast<char>(len >> 24);
  (*out_)[frame_start + 1] = static_cast<char>(len >> 16);
  (*out_)[frame_start + 2] = static_cast<char>(len >> 8);
  (*out_)[frame_start + 3] = static_cast<char>(len);
}

}  // namespace corral::jute
