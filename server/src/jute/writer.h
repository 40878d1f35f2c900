#pragma once
// JuteWriter appends ZooKeeper's jute encoding (big-endian ints, length-prefixed buffers) to a
// string. It never fails; bounds are enforced where frames are read, not where they are built.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral::jute {

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void WriteInt(int32_t v);
  void WriteLong(int64_t v);
  void WriteBool(bool v) { out_->push_back(v ? 1 : 0); }
  void WriteBuffer(std::string_view v);
  void WriteNullBuffer() { WriteInt(-1); }
  void WriteString(std::string_view v) { WriteBuffer(v); }

  // For length-prefixed frames: reserve 4 bytes, then patch them once the body is written.
  size_t BeginFrame();
  void EndFrame(size_t frame_start);

 private:
  std::string* out_;
};

}  // namespace corral::jute
