#include "statemachine/path.h"

#include <cstdint>

namespace corral::path {
namespace {

// Decodes one UTF-8 code point starting at s[i]; returns false on malformed input.
bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp) {
  auto b0 = static_cast<uint8_t>(s[*i]);
  int len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
  if (len == 0 || *i + static_cast<size_t>(len) > s.size()) return false;
  uint32_t v = len == 1 ? b0 : len == 2 ? (b0 & 0x1f) : len == 3 ? (b0 & 0x0f) : (b0 & 0x07);
  for (int k = 1; k < len; ++k) {
    auto b = static_cast<uint8_t>(s[*i + static_cast<size_t>(k)]);
    if ((b >> 6) != 2) return false;
    v = (v << 6) | (b & 0x3f);
  }
  // Only the shortest form is UTF-8: Java decodes an overlong one (e.g. C0 AF for '/') to
  // U+FFFD, which validatePath refuses. Without this, "/a\xc0\xafb" would hide a '/'.
  constexpr uint32_t kSmallestOfLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kSmallestOfLength[len]) return false;
  *i += static_cast<size_t>(len);
  *cp = v;
  return true;
}

bool ForbiddenCodePoint(uint32_t c) {
  // Java validates UTF-16 chars: a supplementary code point is a surrogate pair there, and
  // surrogates (0xd800-0xdfff) are refused, so any code point above 0xffff is refused too.
  return c == 0 || (c > 0 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) ||
         (c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff) || c > 0xffff;
}

}  // namespace

bool IsValid(std::string_view p) {
  if (p.empty() || p[0] != '/') return false;
  if (p.size() == 1) return true;
  if (p.back() == '/') return false;
  size_t i = 1;
  size_t segment_start = 1;
  while (i <= p.size()) {
    if (i == p.size() || p[i] == '/') {
      std::string_view seg = p.substr(segment_start, i - segment_start);
      if (seg.empty() || seg == "." || seg == "..") return false;
      segment_start = i + 1;
      ++i;
      continue;
    }
    uint32_t cp = 0;
    if (!NextCodePoint(p, &i, &cp) || ForbiddenCodePoint(cp)) return false;
  }
  return true;
}

std::string_view Parent(std::string_view p) {
  size_t slash = p.rfind('/');
  return slash == 0 ? p.substr(0, 1) : p.substr(0, slash);
}

std::string_view Basename(std::string_view p) { return p.substr(p.rfind('/') + 1); }

bool IsUnder(std::string_view p, std::string_view prefix) {
  if (prefix == "/") return !p.empty() && p[0] == '/';
  return p.size() >= prefix.size() && p.compare(0, prefix.size(), prefix) == 0 &&
         (p.size() == prefix.size() || p[prefix.size()] == '/');
}

std::string Join(std::string_view parent, std::string_view name) {
  std::string joined;
  joined.reserve(parent.size() + 1 + name.size());
  joined.append(parent);
  if (parent != "/") joined.push_back('/');
  joined.append(name);
  return joined;
}

}  // namespace corral::path
