#include "storage/log_segment.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <utility>

#include "proto/log.pb.h"
#include "storage/file_names.h"
#include "storage/log_entry_codec.h"

namespace corral::storage {

void AppendLogSegmentHeaderRecord(const LogSegmentHeaderInfo& header, std::string* out) {
  proto::LogSegmentHeader msg;
  msg.set_magic(kLogSegmentMagic);
  msg.set_format_version(header.format_version);
  msg.set_first_zxid(header.first_zxid);
  msg.set_prev_zxid(header.prev_zxid);
  msg.set_db_id(header.db_id);
  size_t at = BeginRecord(out);
  msg.AppendToString(out);
  FinishRecord(out, at, RecordType::kLogSegmentHeader);
}

void AppendLogEntryRecord(const Txn& txn, std::string* out) {
  size_t at = BeginRecord(out);
  AppendLogEntryBytes(txn, out);
  FinishRecord(out, at, RecordType::kLogEntry);
}

bool DecodeLogEntry(std::string_view payload, Txn* txn) { return ParseLogEntryBytes(payload, txn); }

bool DecodeLogEntryZxid(std::string_view payload, int64_t* zxid) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(payload.data()),
                                            static_cast<int>(payload.size()));
  constexpr uint32_t kZxidTag =
      (proto::LogEntry::kZxidFieldNumber << 3) | WireFormatLite::WIRETYPE_VARINT;
  uint64_t value = 0;
  while (true) {
    uint32_t tag = in.ReadTag();
    if (tag == 0) break;  // the end, or a zero tag (invalid): told apart below
    if (tag == kZxidTag) {
      if (!in.ReadVarint64(&value)) return false;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  if (in.CurrentPosition() != static_cast<int>(payload.size())) return false;
  *zxid = static_cast<int64_t>(value);
  return true;
}

LogSegmentReader::LogSegmentReader(std::unique_ptr<env::ReadableFile> file, std::string path,
                                   std::optional<int64_t> expected_first_zxid,
                                   uint64_t record_bytes_max)
    : file_(std::move(file)),
      path_(std::move(path)),
      expected_first_zxid_(expected_first_zxid),
      records_(file_.get(), path_, record_bytes_max) {}

StatusOr<std::unique_ptr<LogSegmentReader>> LogSegmentReader::Open(
    env::FileSystem* fs, const std::string& path, std::optional<int64_t> expected_first_zxid,
    uint64_t record_bytes_max) {
  auto file = fs->OpenReadableFile(path);
  if (!file.ok()) return file.status();
  return std::unique_ptr<LogSegmentReader>(
      new LogSegmentReader(std::move(file).value(), path, expected_first_zxid, record_bytes_max));
}

LogSegmentReader::Outcome LogSegmentReader::Fail(uint64_t offset, const std::string& what) {
  failed_ = true;
  failed_at_ = offset;
  failure_ = CorruptionAt(path_, offset, what);
  return Outcome::kCorruption;
}

LogSegmentReader::Outcome LogSegmentReader::ReadHeader() {
  if (failed_) return Outcome::kCorruption;
  CORRAL_ASSERT(!header_read_, "ReadHeader twice");
  Record record;
  Outcome outcome = records_.Next(&record);
  if (outcome != Outcome::kRecord) return outcome;
  if (record.type != RecordType::kLogSegmentHeader) {
    return Fail(record.offset, std::string("first record is a ") + RecordTypeName(record.type) +
                                   ", not a log segment header");
  }
  proto::LogSegmentHeader msg;
  if (!msg.ParseFromArray(record.payload.data(), static_cast<int>(record.payload.size()))) {
    return Fail(record.offset, "log segment header does not decode");
  }
  if (msg.magic() != kLogSegmentMagic) return Fail(record.offset, "not a Corral log segment");
  if (msg.format_version() != kLogFormatVersion) {
    return Fail(record.offset,
                "unsupported log format version " + std::to_string(msg.format_version()));
  }
  if (expected_first_zxid_ && msg.first_zxid() != *expected_first_zxid_) {
    return Fail(record.offset, "header says first zxid " + ZxidString(msg.first_zxid()) +
                                   ", the file name says " + ZxidString(*expected_first_zxid_));
  }
  if (msg.prev_zxid() < 0 || msg.prev_zxid() >= msg.first_zxid()) {
    return Fail(record.offset, "header's previous zxid " + ZxidString(msg.prev_zxid()) +
                                   " is not before its first zxid " + ZxidString(msg.first_zxid()));
  }
  header_.format_version = msg.format_version();
  header_.first_zxid = msg.first_zxid();
  header_.prev_zxid = msg.prev_zxid();
  header_.db_id = msg.db_id();
  header_read_ = true;
  last_zxid_ = header_.prev_zxid;
  return Outcome::kRecord;
}

LogSegmentReader::Outcome LogSegmentReader::NextEntry(Txn* txn, uint64_t* offset) {
  int64_t zxid = 0;
  Outcome outcome = NextEntryZxid(&zxid, offset);
  if (outcome != Outcome::kRecord) return outcome;
  return DecodeEntry(txn);
}

LogSegmentReader::Outcome LogSegmentReader::NextEntryZxid(int64_t* zxid, uint64_t* offset) {
  if (failed_) return Outcome::kCorruption;
  CORRAL_ASSERT(header_read_, "NextEntry before ReadHeader");
  Record record;
  Outcome outcome = records_.Next(&record);
  if (outcome != Outcome::kRecord) return outcome;
  if (record.type != RecordType::kLogEntry) {
    return Fail(record.offset,
                std::string("unexpected ") + RecordTypeName(record.type) + " record in a log");
  }
  int64_t entry_zxid = 0;
  if (!DecodeLogEntryZxid(record.payload, &entry_zxid)) {
    return Fail(record.offset, "log entry does not decode");
  }
  if (entry_count_ == 0 && entry_zxid != header_.first_zxid) {
    return Fail(record.offset, "first entry has zxid " + ZxidString(entry_zxid) +
                                   ", the header says " + ZxidString(header_.first_zxid));
  }
  if (entry_zxid <= last_zxid_) {
    return Fail(record.offset,
                "zxid " + ZxidString(entry_zxid) + " does not follow " + ZxidString(last_zxid_));
  }
  last_zxid_ = entry_zxid;
  ++entry_count_;
  entry_payload_ = record.payload;
  entry_offset_ = record.offset;
  *zxid = entry_zxid;
  *offset = record.offset;
  return Outcome::kRecord;
}

LogSegmentReader::Outcome LogSegmentReader::DecodeEntry(Txn* txn) {
  if (failed_) return Outcome::kCorruption;
  CORRAL_ASSERT(entry_count_ > 0, "DecodeEntry before an entry was read");
  if (!DecodeLogEntry(entry_payload_, txn)) return Fail(entry_offset_, "log entry does not decode");
  CORRAL_ASSERT(txn->zxid == last_zxid_, "the zxid-only decode disagrees with the full decode");
  return Outcome::kRecord;
}

}  // namespace corral::storage
