#pragma once
// The framing of every record Corral writes to disk (log segments, snapshots, metadata files).
// LevelDB's log format is the inspiration; the layout and the tail rules are our own.
//
//   offset 0   length   u32 little-endian: payload bytes
//   offset 4   type     u8  (RecordType; never 0)
//   offset 5   crc      u32 little-endian: crc32c::Mask(CRC32C of type byte + payload)
//   offset 9   payload  `length` bytes
//   then       trailer  u8 = kRecordTrailer
//
// Why a trailer: files are preallocated with zeros, and a write cut short by a crash leaves a
// prefix of the record followed by those zeros (or by the end of the file). A record whose
// last byte is a fixed non-zero marker lets the reader tell "the write never finished" (the
// marker is missing: a torn tail, safe to drop) from "the record was complete and then damaged"
// (corruption: never silently dropped). The marker has several bits set, so no single bit flip
// can turn it into a zero. See RecordReader for the full rule.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace corral::storage {

// One namespace of types for every file kind, so the first record of a file says what it is.
enum class RecordType : uint8_t {
  kLogSegmentHeader = 1,  // proto::LogSegmentHeader
  kLogEntry = 2,          // proto::LogEntry
  kSnapshotHeader = 3,    // proto::SnapshotHeader
  kAclList = 4,           // proto::AclListRecord
  kSession = 5,           // proto::SessionRecord
  kZnode = 6,             // proto::ZnodeRecord
  kSnapshotFooter = 7,    // proto::SnapshotFooter
  kMetadata = 8,          // raw bytes of a metadata file (storage/atomic_file.h)
};
inline constexpr uint8_t kRecordTypeMax = 8;

inline bool IsKnownRecordType(uint8_t type) { return type >= 1 && type <= kRecordTypeMax; }
const char* RecordTypeName(RecordType type);

inline constexpr size_t kRecordHeaderBytes = 9;
inline constexpr size_t kRecordTrailerBytes = 1;
inline constexpr size_t kRecordOverheadBytes = kRecordHeaderBytes + kRecordTrailerBytes;
inline constexpr uint8_t kRecordTrailer = 0x7e;  // six bits set

// Appends one framed record to *out.
void AppendRecord(std::string* out, RecordType type, std::string_view payload);

// Two-step framing for payloads serialized straight into the output (no copy):
//   size_t at = BeginRecord(out);  message.AppendToString(out);  FinishRecord(out, at, type);
size_t BeginRecord(std::string* out);
void FinishRecord(std::string* out, size_t record_start, RecordType type);

// Little-endian helpers shared by the format code.
void PutFixed32(char* dst, uint32_t value);
uint32_t GetFixed32(const char* src);

// The CRC a record stores (masked) for this type and payload.
uint32_t RecordCrc(uint8_t type, const char* payload, size_t payload_bytes);

}  // namespace corral::storage
