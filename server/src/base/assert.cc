#include "base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace corral::internal {

void AssertFailed(const char* expr, const char* file, int line, const char* why) {
  std::fprintf(stderr, "FATAL %s:%d assertion failed: %s (%s)\n", file, line, expr, why);
  std::fflush(stderr);
  std::abort();
}

}  // namespace corral::internal
