#include "statemachine/znode_data.h"

#include <new>

#include "base/assert.h"

namespace corral {

char* ZnodeData::NullMarker() {
  static char marker;
  return &marker;
}

ZnodeData& ZnodeData::operator=(ZnodeData&& other) noexcept {
  if (this == &other) return *this;
  if (other.is_inline()) {
    // Inline bytes belong to the entry block that holds `other`: copy them out.
    Assign(other.view(), false);
    return *this;
  }
  Free();
  bits_ = other.bits_;
  other.bits_ = 0;
  return *this;
}

void ZnodeData::Free() {
  if (bits_ != 0 && !is_null() && !is_inline()) {
    ::operator delete(address(), sizeof(uint32_t) + size());
  }
  bits_ = 0;
}

void ZnodeData::Assign(std::string_view bytes, bool is_null) {
  CORRAL_ASSERT(!is_null || bytes.empty(), "null data has no bytes");
  CORRAL_ASSERT(bytes.size() <= UINT32_MAX, "znode data over 4 GiB");
  if (is_inline() && !is_null && !bytes.empty() && bytes.size() <= size()) {
    std::memmove(address(), bytes.data(), bytes.size());
    bits_ = (bits_ & kAddressMask) | (uintptr_t{bytes.size()} << kTagShift);
    return;
  }
  uintptr_t bits = 0;
  if (is_null) {
    bits = reinterpret_cast<uintptr_t>(NullMarker());
  } else if (!bytes.empty()) {
    auto size = static_cast<uint32_t>(bytes.size());
    char* block = static_cast<char*>(::operator new(sizeof size + size));
    std::memcpy(block, &size, sizeof size);
    std::memcpy(block + sizeof size, bytes.data(), size);
    bits = reinterpret_cast<uintptr_t>(block);
    CORRAL_ASSERT((bits & ~kAddressMask) == 0, "a heap address does not fit 48 bits");
  }
  Free();  // after the copy: `bytes` may be these very bytes
  bits_ = bits;
}

void ZnodeData::MoveInline(char* room) {
  size_t size = inline_bytes();
  CORRAL_ASSERT(size > 0, "MoveInline of data that cannot be inline");
  auto address = reinterpret_cast<uintptr_t>(room);
  CORRAL_ASSERT((address & ~kAddressMask) == 0, "a heap address does not fit 48 bits");
  std::memcpy(room, data(), size);
  Free();
  bits_ = address | (uintptr_t{size} << kTagShift);
}

}  // namespace corral
