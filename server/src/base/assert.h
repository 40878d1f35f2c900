#pragma once
// CORRAL_ASSERT checks an invariant in every build, release included (TigerBeetle's rule: a
// broken invariant means the code is wrong, and the only safe answer is to stop).

namespace corral::internal {
[[noreturn]] void AssertFailed(const char* expr, const char* file, int line, const char* why);
}  // namespace corral::internal

#define CORRAL_ASSERT(cond, why)                                          \
  do {                                                                    \
    if (!(cond)) [[unlikely]]                                             \
      ::corral::internal::AssertFailed(#cond, __FILE__, __LINE__, (why)); \
  } while (0)
