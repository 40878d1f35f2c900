#pragma once
// One log segment file: a LogSegmentHeader record, then LogEntry records with strictly
// increasing zxids, then (in the segment being written) preallocated zeros. The encoding of a
// Txn as a LogEntry lives here too. See proto/log.proto.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "env/file_system.h"
#include "statemachine/txn.h"
#include "storage/record_reader.h"

namespace corral::storage {

inline constexpr uint64_t kLogSegmentMagic = 0x676f4c6c6172726fULL;  // "orralLog", little-endian
inline constexpr uint32_t kLogFormatVersion = 1;

struct LogSegmentHeaderInfo {
  uint32_t format_version = kLogFormatVersion;
  int64_t first_zxid = 0;
  int64_t prev_zxid = 0;
  uint64_t db_id = 0;
};

void AppendLogSegmentHeaderRecord(const LogSegmentHeaderInfo& header, std::string* out);
void AppendLogEntryRecord(const Txn& txn, std::string* out);
// False when the payload is not a LogEntry.
bool DecodeLogEntry(std::string_view payload, Txn* txn);
// Only the zxid of a LogEntry, skipping every other field without copying it; the same value a
// full decode gives (a repeated field keeps its last value, as in protobuf). False when the
// payload is not valid protobuf wire format. Nested identities are skipped whole, so their own
// content is not checked: DecodeLogEntry checks that when the entry is used.
bool DecodeLogEntryZxid(std::string_view payload, int64_t* zxid);

// Reads a segment front to back, checking what the framing cannot: the header's magic, version
// and first zxid (against the file name), that entries follow it with increasing zxids, and that
// the first entry's zxid is the one the header promises. Outcomes and the torn/corrupt
// distinction are RecordReader's; a record that frames correctly but fails these checks is
// kCorruption at its offset.
class LogSegmentReader {
 public:
  using Outcome = RecordReader::Outcome;

  // `expected_first_zxid`: what the file name says (nullopt skips that check, for tools).
  static StatusOr<std::unique_ptr<LogSegmentReader>> Open(
      env::FileSystem* fs, const std::string& path, std::optional<int64_t> expected_first_zxid,
      uint64_t record_bytes_max);

  // Reads the header record: kRecord when it is there and valid, then header() is set.
  Outcome ReadHeader();
  // The next entry (after ReadHeader returned kRecord): kRecord fills *txn and *offset.
  Outcome NextEntry(Txn* txn, uint64_t* offset);
  // As NextEntry, with the same checks of framing, checksum and zxid order, but decodes only
  // the zxid; the request bytes and identities are skipped, not copied. For entries a reader
  // only has to pass (recovery finding the log's end, or the entries a snapshot already holds),
  // which is most of a segment and was most of the time spent reading it. DecodeEntry then
  // decodes the same entry in full, when it is wanted after all.
  Outcome NextEntryZxid(int64_t* zxid, uint64_t* offset);
  // The entry NextEntryZxid just returned, in full: kRecord, or kCorruption (at its offset) when
  // the payload does not decode.
  Outcome DecodeEntry(Txn* txn);

  const LogSegmentHeaderInfo& header() const { return header_; }
  // Zxid of the last entry read, or the header's prev_zxid before any.
  int64_t last_zxid() const { return last_zxid_; }
  uint64_t entry_count() const { return entry_count_; }
  // As RecordReader's, including the checks made here.
  uint64_t valid_end() const { return failed_ ? failed_at_ : records_.valid_end(); }
  uint64_t torn_bytes() const { return records_.torn_bytes(); }
  const Status& status() const { return failed_ ? failure_ : records_.status(); }
  uint64_t file_size() const { return records_.file_size(); }
  const std::string& path() const { return path_; }

 private:
  LogSegmentReader(std::unique_ptr<env::ReadableFile> file, std::string path,
                   std::optional<int64_t> expected_first_zxid, uint64_t record_bytes_max);
  Outcome Fail(uint64_t offset, const std::string& what);

  std::unique_ptr<env::ReadableFile> file_;
  std::string path_;
  std::optional<int64_t> expected_first_zxid_;
  RecordReader records_;
  LogSegmentHeaderInfo header_;
  bool header_read_ = false;
  int64_t last_zxid_ = 0;
  uint64_t entry_count_ = 0;
  std::string_view entry_payload_;  // the last entry read, until the next read
  uint64_t entry_offset_ = 0;
  bool failed_ = false;
  uint64_t failed_at_ = 0;
  Status failure_;
};

}  // namespace corral::storage
