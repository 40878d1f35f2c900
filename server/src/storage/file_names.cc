#include "storage/file_names.h"

#include <cstdio>
#include <cstring>

namespace corral::storage {
namespace {

std::string Hex16(int64_t zxid) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(static_cast<uint64_t>(zxid)));
  return buf;
}

std::optional<int64_t> ParseWithPrefix(std::string_view name, std::string_view prefix) {
  if (name.size() != prefix.size() + 16 || name.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (char c : name.substr(prefix.size())) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    value = value * 16 + static_cast<uint64_t>(digit);
  }
  auto zxid = static_cast<int64_t>(value);
  if (zxid < 0) return std::nullopt;
  return zxid;
}

}  // namespace

std::string LogSegmentName(int64_t first_zxid) { return kLogSegmentPrefix + Hex16(first_zxid); }
std::string SnapshotName(int64_t last_zxid) { return kSnapshotPrefix + Hex16(last_zxid); }

std::optional<int64_t> ParseLogSegmentName(std::string_view name) {
  return ParseWithPrefix(name, kLogSegmentPrefix);
}
std::optional<int64_t> ParseSnapshotName(std::string_view name) {
  return ParseWithPrefix(name, kSnapshotPrefix);
}

bool IsTempName(std::string_view name) {
  size_t n = std::strlen(kTempSuffix);
  return name.size() >= n && name.substr(name.size() - n) == kTempSuffix;
}

std::string ZxidString(int64_t zxid) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx",
                static_cast<unsigned long long>(static_cast<uint64_t>(zxid)));
  return buf;
}

}  // namespace corral::storage
