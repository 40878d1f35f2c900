#pragma once
// RecordReader: reads framed records (storage/record_format.h) from a file, front to back, and
// when it meets one that does not check out, decides what kind of damage it is:
//
//   kEnd         clean end: the end of the file, or only zeros from here on (the preallocated,
//                never-written part of a log segment).
//   kTornTail    a write that was cut short by a crash: the bytes from here are a strict prefix
//                of one record followed only by zeros or the end of the file. Nothing acknowledged
//                can live there (a record is acknowledged only after it was synced, and a synced
//                record is complete), so recovery may truncate it.
//   kCorruption  anything else: a record that was written completely (its trailer is in place)
//                but fails its checks, non-zero bytes after a damaged record, a valid record
//                after a damaged one. Never dropped silently: the caller stops with the file
//                name and offset, which status() carries.
//   kIoError     the file could not be read.
//
// Exactly what counts as torn (the damaged record starts at offset X; L is the last non-zero
// byte of the file at or after X; everything up to L was written, since writes are cut, not
// scattered):
//   - no valid record starts anywhere in (X, L], and
//   - the header fields the write reached are ones a writer produces (a known type if L >= X+4,
//     a length within record_bytes_max if L >= X+3), and
//   - the file ends inside the record's header, or L lies before the position where the
//     record's own length puts its trailer, and
//   - no complete record with a damaged length field starts at X (a trailer byte somewhere in
//     (X, L] where the checksum matches the payload that ends there; bytes of a torn next
//     write may follow it).
// So a single flipped bit in a complete record is always reported as corruption, including in
// the last record of the file. A torn write is misread as corruption only if the cut-off part
// happens to contain a complete framed record (payload bytes that are themselves a Corral
// record) or matches a checksum by chance; either way the reader errs on the side of stopping.
//
// Reads in large chunks; memory holds one chunk plus the largest record. Not thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "env/file_system.h"
#include "storage/record_format.h"

namespace corral::storage {

struct Record {
  RecordType type = RecordType::kMetadata;
  std::string_view payload;  // valid until the next call to RecordReader::Next
  uint64_t offset = 0;       // of the record's first header byte in the file
  uint64_t end_offset() const { return offset + kRecordOverheadBytes + payload.size(); }
};

class RecordReader {
 public:
  enum class Outcome { kRecord, kEnd, kTornTail, kCorruption, kIoError };

  // `file` must outlive the reader; `file_name` names it in messages. A record whose length
  // field exceeds `record_bytes_max` is damaged (this bounds what a bad length can make us
  // allocate).
  RecordReader(env::ReadableFile* file, std::string file_name, uint64_t record_bytes_max);

  // The next record, or why there is none; after anything but kRecord every later call returns
  // the same outcome.
  Outcome Next(Record* record);

  // Where the valid records end: after kEnd the end of the last record (zeros may follow), after
  // kTornTail or kCorruption the offset of the damaged record (the truncation point).
  uint64_t valid_end() const { return valid_end_; }
  // After kTornTail: how many bytes of the cut-off write remain (not counting zeros after it).
  uint64_t torn_bytes() const { return torn_bytes_; }
  // Why the reader stopped: for kTornTail and kCorruption a Status::Corruption whose message
  // names the file and byte offset, for kIoError the read error; OK otherwise.
  const Status& status() const { return status_; }
  uint64_t file_size() const { return file_->size(); }
  const std::string& file_name() const { return file_name_; }

 private:
  Outcome Damaged(uint64_t offset, const std::string& reason);
  Outcome Stop(Outcome outcome, uint64_t valid_end, Status status);
  // Makes file bytes [offset, offset + n) (or up to the end of file) available in buffer_;
  // *available says how many of them there are from `offset`.
  Status Fill(uint64_t offset, size_t n, size_t* available);
  const char* BufferAt(uint64_t offset) const { return buffer_.data() + (offset - buffer_offset_); }
  // Offset of the first / last non-zero byte in [from, end of file), or the file size if none.
  Status FirstNonZero(uint64_t from, uint64_t* found);
  Status LastNonZero(uint64_t from, uint64_t* found);
  bool ValidRecordAt(std::string_view region, size_t at) const;
  // The payload length of a complete record at the start of `region` whose trailer is not where
  // its (damaged) length field says, or nullopt if there is none.
  static std::optional<size_t> CompleteRecordLength(std::string_view region, uint8_t type,
                                                    uint32_t stored_crc);

  env::ReadableFile* file_;
  std::string file_name_;
  uint64_t record_bytes_max_;
  std::string buffer_;  // file bytes [buffer_offset_, buffer_offset_ + buffer_.size())
  uint64_t buffer_offset_ = 0;
  size_t read_ahead_ = 4096;
  uint64_t next_ = 0;  // offset of the next record
  bool stopped_ = false;
  Outcome outcome_ = Outcome::kRecord;
  uint64_t valid_end_ = 0;
  uint64_t torn_bytes_ = 0;
  Status status_;
};

// "<file>: <what> (record at byte offset <offset>)": the shape of every corruption message, so
// operators and tests find file and offset in the same place.
Status CorruptionAt(const std::string& file_name, uint64_t offset, const std::string& what);

}  // namespace corral::storage
