#include "storage/record_format.h"

#include <cstring>

#include "base/assert.h"
#include "base/crc32c.h"

namespace corral::storage {

const char* RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kLogSegmentHeader:
      return "log-segment-header";
    case RecordType::kLogEntry:
      return "log-entry";
    case RecordType::kSnapshotHeader:
      return "snapshot-header";
    case RecordType::kAclList:
      return "acl-list";
    case RecordType::kSession:
      return "session";
    case RecordType::kZnode:
      return "znode";
    case RecordType::kSnapshotFooter:
      return "snapshot-footer";
    case RecordType::kMetadata:
      return "metadata";
  }
  return "unknown";
}

void PutFixed32(char* dst, uint32_t value) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((value >> (8 * i)) & 0xffu);
}

uint32_t GetFixed32(const char* src) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(src[i])) << (8 * i);
  return v;
}

uint32_t RecordCrc(uint8_t type, const char* payload, size_t payload_bytes) {
  uint32_t crc = crc32c::Value(&type, 1);
  return crc32c::Mask(crc32c::Extend(crc, payload, payload_bytes));
}

size_t BeginRecord(std::string* out) {
  size_t start = out->size();
  out->append(kRecordHeaderBytes, '\0');
  return start;
}

void FinishRecord(std::string* out, size_t record_start, RecordType type) {
  CORRAL_ASSERT(out->size() >= record_start + kRecordHeaderBytes, "FinishRecord without Begin");
  size_t payload_bytes = out->size() - record_start - kRecordHeaderBytes;
  CORRAL_ASSERT(payload_bytes <= UINT32_MAX, "record payload over 4 GiB");
  auto type_byte = static_cast<uint8_t>(type);
  char* header = out->data() + record_start;
  PutFixed32(header, static_cast<uint32_t>(payload_bytes));
  header[4] = static_cast<char>(type_byte);
  PutFixed32(header + 5, RecordCrc(type_byte, header + kRecordHeaderBytes, payload_bytes));
  out->push_back(static_cast<char>(kRecordTrailer));
}

void AppendRecord(std::string* out, RecordType type, std::string_view payload) {
  size_t start = BeginRecord(out);
  out->append(payload);
  FinishRecord(out, start, type);
}

}  // namespace corral::storage
