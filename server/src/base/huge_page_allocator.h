#pragma once
// HugePageAllocator: a std::allocator for large, randomly accessed arrays (the path index's slot
// array) that asks the kernel to back them with transparent huge pages.
//
// Why: a lookup in a hash table far larger than the cache lands on a random 4 KiB page, and in a
// virtual machine every TLB miss costs a two-dimensional page walk; it was most of the time of
// inserting into the 16 MiB slot array of a 500,000-znode tree during a restore. With 2 MiB
// pages the whole array fits in a handful of TLB entries.
//
// Allocations of at least kHugePageBytes are aligned to it and madvise(MADV_HUGEPAGE)d before
// anything touches them; smaller ones are plain operator new. Only a hint: where transparent huge
// pages are off ("never") or the kernel has none to give, the memory is ordinary pages and
// everything works the same. Contents, and so every result, are unaffected; this is a memory-
// layout hint, not OS state a state machine could observe.
#include <cstddef>
#include <new>

namespace corral {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// What an allocation of `bytes` (at least kHugePageBytes) really takes: whole huge pages, all
// resident once touched.
inline constexpr size_t HugePagesBytes(size_t bytes) {
  return (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
}

// The raw calls (base/huge_page_allocator.cc): Allocate returns nullptr when out of memory.
void* AllocateHugePageHinted(size_t bytes);
void FreeHugePageHinted(void* p, size_t bytes);

template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: converting, as std's

  T* allocate(size_t n) {
    size_t bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) return static_cast<T*>(::operator new(bytes));
    void* p = AllocateHugePageHinted(bytes);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    size_t bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) {
      ::operator delete(p);
    } else {
      FreeHugePageHinted(p, bytes);
    }
  }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace corral
