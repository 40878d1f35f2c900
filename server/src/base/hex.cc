#include "base/hex.h"

#include <cstdio>

namespace corral {

std::string HexDigits(int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace corral
