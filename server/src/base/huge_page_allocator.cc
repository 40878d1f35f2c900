#include "base/huge_page_allocator.h"

#include <sys/mman.h>

#include <cstdlib>

namespace corral {

void* AllocateHugePageHinted(size_t bytes) {
  // Whole huge pages, aligned: the kernel backs only aligned 2 MiB ranges with huge pages.
  size_t rounded = HugePagesBytes(bytes);
  void* p = std::aligned_alloc(kHugePageBytes, rounded);
  if (p == nullptr) return nullptr;
#ifdef MADV_HUGEPAGE
  // Before the first touch, so the first fault already maps a huge page. A failure (no THP in
  // this kernel) leaves ordinary pages: nothing to report.
  (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
  return p;
}

void FreeHugePageHinted(void* p, size_t /*bytes*/) { std::free(p); }

}  // namespace corral
