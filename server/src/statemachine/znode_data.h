#pragma once
// ZnodeData: a znode's data bytes, or null (created or set with a null buffer: getData answers
// null, not ""). One word, where a std::string is 32 bytes before its bytes: with half a
// million small znodes that difference is a tenth of the tree.
//
// The word is a pointer, with a length in its top 16 bits when the bytes are *inline*: stored in
// the heap block of the NodeIndex entry that holds the znode, right after its path, so a small
// znode is one allocation (docs/benchmarks.md has the arithmetic). Otherwise the pointer owns a
// block of its own, [uint32 size][bytes]. Empty data holds no block; null is a static marker.
// Inline bytes are rewritten in place when new data is no longer than them; longer data moves
// to a block of its own (the inline room stays unused until the znode goes, or is reloaded from
// a snapshot at a restart). Only data of at most kInlineBytesMax bytes goes inline, which bounds
// that unused room. Copies and moves always own their bytes, so a Znode taken out of its entry
// never points into it; so moving inline data allocates (and, as every allocation failure in
// the server, running out of memory there ends the process).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace corral {

class ZnodeData {
 public:
  // Inline bytes are at most this long (the length must also fit the pointer's top 16 bits).
  // Most znodes are small; a large value gains little from sharing its entry's block.
  static constexpr size_t kInlineBytesMax = 1024;

  ZnodeData() = default;
  explicit ZnodeData(std::string_view bytes, bool is_null = false) { Assign(bytes, is_null); }
  ZnodeData(const ZnodeData& other) { Assign(other.view(), other.is_null()); }
  ZnodeData& operator=(const ZnodeData& other) {
    if (this != &other) Assign(other.view(), other.is_null());
    return *this;
  }
  ZnodeData(ZnodeData&& other) noexcept { *this = std::move(other); }
  ZnodeData& operator=(ZnodeData&& other) noexcept;
  ~ZnodeData() { Free(); }

  // Replaces the bytes; null data must be empty.
  void Assign(std::string_view bytes, bool is_null);

  bool is_null() const { return bits_ == reinterpret_cast<uintptr_t>(NullMarker()); }
  size_t size() const {
    if (uintptr_t tag = bits_ >> kTagShift; tag != 0) return tag;
    if (bits_ == 0 || is_null()) return 0;
    uint32_t size;
    std::memcpy(&size, address(), sizeof size);
    return size;
  }
  bool empty() const { return size() == 0; }
  const char* data() const {
    if (bits_ >> kTagShift != 0) return address();
    return size() == 0 ? "" : address() + sizeof(uint32_t);
  }
  std::string_view view() const { return std::string_view(data(), size()); }
  operator std::string_view() const { return view(); }  // NOLINT: reads as the bytes
  std::string str() const { return std::string(view()); }
  bool is_inline() const { return bits_ >> kTagShift != 0; }

  // For NodeIndex: how many bytes MoveInline needs (0: these bytes stay where they are), and
  // moving them to `room`, which must hold as long as this ZnodeData does.
  size_t inline_bytes() const {
    return is_inline() || is_null() || size() > kInlineBytesMax ? 0 : size();
  }
  void MoveInline(char* room);

  friend bool operator==(const ZnodeData& a, std::string_view b) { return a.view() == b; }

 private:
  static constexpr int kTagShift = 48;
  static constexpr uintptr_t kAddressMask = (uintptr_t{1} << kTagShift) - 1;
  static char* NullMarker();
  char* address() const { return reinterpret_cast<char*>(bits_ & kAddressMask); }
  void Free();

  // 0: empty; NullMarker(): null; tag 0: an owned [uint32 size][bytes] block; tag n > 0: n
  // inline bytes at the address, not owned.
  uintptr_t bits_ = 0;
};

}  // namespace corral
