#pragma once
// TxnLog: the transaction log, the record of every entry this member has made durable.
//
// On disk: segment files in one directory, `log.<first zxid as 16 hex digits>`, each a header
// record (magic, format version, first zxid, the zxid just before the segment, db id) followed by
// LogEntry records (storage/log_segment.h, proto/log.proto), each framed and checksummed
// (storage/record_format.h). Segments are preallocated in `prealloc_bytes` steps, so an append
// rarely changes the file's size and an fdatasync rarely writes metadata; the unused zeros are
// cut off when the log moves on to the next segment.
//
// Use (one thread, the disk thread, owns a TxnLog; it is not thread-safe):
//
//   auto log = TxnLog::Open(fs, dir, options);   // or take the one Recover() returns
//   for (const Txn& t : batch) CORRAL_RETURN_IF_ERROR(log->Append(t));  // buffers, no I/O
//   Status st = log->Sync();   // writes the batch and fdatasyncs once: group commit
//   if (!st.ok()) ... stop the member: the log is poisoned (below) ...
//   // only now acknowledge / apply the batch
//
// Durability: when Sync() returns OK every entry appended before it survives a crash (the file
// data is synced, and a segment created on the way is synced and its directory entry too). Until
// then none is promised.
//
// Fail-stop: the first failed write, fsync, truncate or segment creation poisons the log, and
// every later call returns that same error. The bytes a failed fsync was to make durable may be
// gone even if a later fsync succeeds (PostgreSQL's fsyncgate), so the only safe continuation
// is to restart and run recovery, which trusts only what it can read back and check.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "env/file_system.h"
#include "statemachine/txn.h"

namespace corral::storage {

struct TxnLogOptions {
  // Start a new segment when the current one would grow past this.
  uint64_t segment_bytes_max = 64ull << 20;
  // Grow segment files by this much at a time (ZooKeeper's preAllocSize); 0 disables.
  uint64_t prealloc_bytes = 64ull << 20;
  // The largest record payload accepted on write and believed on read (bounds what a damaged
  // length field can make a reader allocate). Must exceed jute.maxbuffer plus the entry's own
  // fields.
  uint64_t record_bytes_max = 64ull << 20;
  // Written into every segment header; when non-zero, Open refuses segments with another one.
  uint64_t db_id = 0;
  // Corruption inside the last segment (found by Open) normally refuses to open. With this set,
  // the segment is truncated before the damaged record instead and the loss reported. Entries
  // after the damage are lost, acknowledged or not: an operator's decision, not a default.
  bool skip_to_last_valid_prefix = false;
};

// What Open had to repair; Recover logs it.
struct TxnLogOpenReport {
  // A torn write at the end of the last segment, cut off (file, offset, bytes of it).
  std::string torn_file;
  uint64_t torn_offset = 0;
  uint64_t torn_bytes = 0;
  // Last segments that had no complete header or no entry (a crash while creating them).
  std::vector<std::string> removed_segments;
  // With skip_to_last_valid_prefix: the corruption that was cut off (its message), if any.
  std::string dropped_corruption;
};

// Where a read found corruption (for Recover's skip_to_last_valid_prefix).
struct LogDamage {
  std::string path;
  uint64_t offset = 0;
};

class TxnLog {
 public:
  struct SegmentInfo {
    std::string path;
    int64_t first_zxid = 0;
    int64_t prev_zxid = 0;  // the entry before the segment (0 at the start of history)
  };

  // Opens (creating the directory if needed) the log in `dir` and gets it ready to append
  // after its last entry. Reads every segment's header and all of the last segment:
  //   - a torn tail of the last segment is truncated (and the truncation synced);
  //   - a last segment without a complete header, or with a header and no entry, was being
  //     created when the machine stopped: it is removed (ZOOKEEPER-2332, -4813);
  //   - any other damage is Corruption naming the file and offset (a bad header in an earlier
  //     segment, corruption inside the last one unless skip_to_last_valid_prefix).
  // Entries of earlier segments are checked when read (ReadEntries).
  static StatusOr<std::unique_ptr<TxnLog>> Open(env::FileSystem* fs, std::string dir,
                                                TxnLogOptions options,
                                                TxnLogOpenReport* report = nullptr);
  ~TxnLog();  // closes files; nothing is synced

  TxnLog(const TxnLog&) = delete;
  TxnLog& operator=(const TxnLog&) = delete;

  // Buffers `txn` for the next Sync. Its zxid must exceed last_zxid() (asserted). Fails only
  // when the log is poisoned, or InvalidArgument when the entry exceeds record_bytes_max.
  Status Append(const Txn& txn);
  // Writes every buffered entry and makes it durable with one fdatasync (plus, when segments
  // rolled, an fdatasync of each finished segment and of the directory). OK with nothing
  // buffered. Any failure poisons the log.
  Status Sync();

  // Removes every entry with zxid > `zxid` from disk (a follower dropping an uncommitted tail
  // the leader does not have). Needs an empty buffer (Sync first; asserted). `zxid` may not be
  // before the log's start (InvalidArgument). Afterwards last_zxid() is the last entry kept.
  // Failures poison the log.
  Status TruncateAfter(int64_t zxid);

  // Declares that the history up to `zxid` (>= last_zxid()) is held by a snapshot, not this
  // log: the next entry may be any zxid after it and starts a new segment whose header records
  // `zxid` as its predecessor. Used when a snapshot is ahead of the log (recovery, a follower
  // that received a snapshot), so a later replay can tell that (last_zxid(), zxid] is not in
  // the log rather than missing from it.
  Status SkipTo(int64_t zxid);

  // Removes segments whose entries all have zxid <= `zxid` and are not needed to replay what
  // follows `zxid` (the oldest snapshot kept, for autopurge). Never removes the last segment.
  // Removed paths are appended to *removed. A failure here does not poison the log.
  Status PurgeThrough(int64_t zxid, std::vector<std::string>* removed = nullptr);

  // Calls fn with every durable entry whose zxid > `after_zxid`, in order, checking that they
  // continue exactly from `after_zxid`: a segment missing from the history, or a snapshot zxid
  // that is not a point of the log's history, is Corruption ("data missing"). Corruption in a
  // segment file names file and offset; then (and only then) *damage (if given) says where, so
  // a caller may cut the log there (DropFrom). Missing data leaves *damage empty. A non-OK status
  // from fn stops the read and is returned. Reads only what Sync wrote: call it with an empty
  // buffer.
  Status ReadEntries(int64_t after_zxid, const std::function<Status(const Txn&)>& fn,
                     LogDamage* damage = nullptr);

  // Cuts the log at `offset` of segment `path` (as ReadEntries reported damage): that segment
  // keeps its records before the offset (or is removed if that leaves no entry) and every later
  // segment is removed. Needs an empty buffer. Failures poison the log.
  Status DropFrom(const std::string& path, uint64_t offset);

  // Zxid of the last entry appended (buffered or durable), or of the history the log starts
  // after when it holds none (0 for an empty log, or the SkipTo point).
  int64_t last_zxid() const { return last_zxid_; }
  // Zxid of the last entry Sync made durable.
  int64_t last_synced_zxid() const { return last_synced_zxid_; }
  // OK, or the error that poisoned the log.
  const Status& poisoned() const { return poisoned_; }
  uint64_t buffered_bytes() const;
  const std::string& dir() const { return dir_; }
  std::vector<SegmentInfo> segments() const;

 private:
  struct Segment;
  struct Chunk;

  TxnLog(env::FileSystem* fs, std::string dir, TxnLogOptions options);
  Status OpenExisting(TxnLogOpenReport* report);
  // Reads all of the last segment to find its end; repairs a torn tail. Sets *usable false when
  // the segment has no header or no entry (the caller removes it).
  Status ScanLastSegment(TxnLogOpenReport* report, bool* usable);
  Status OpenActiveForAppend();
  Status WriteChunk(Chunk* chunk, bool* created_segment);
  Status FinishActiveSegment();
  // Shared by TruncateAfter and DropFrom: keep segments [0, index], segment `index` cut at
  // `offset` (removed if that leaves no entry).
  Status CutAt(size_t index, uint64_t offset);
  Status Poison(Status status);
  std::string SegmentPath(int64_t first_zxid) const;

  env::FileSystem* fs_;
  std::string dir_;
  TxnLogOptions options_;
  std::vector<Segment> segments_;              // oldest first
  std::unique_ptr<env::WritableFile> active_;  // the last segment, open for appending
  uint64_t active_allocated_bytes_ = 0;        // the active file's size (preallocated)
  std::vector<Chunk> chunks_;                  // buffered: records, split where segments roll
  bool next_append_starts_segment_ = true;
  uint64_t projected_active_bytes_ = 0;  // the active segment's size once chunks_ are written
  uint64_t projected_active_entries_ = 0;
  int64_t last_zxid_ = 0;
  int64_t last_synced_zxid_ = 0;
  Status poisoned_;
  std::string scratch_;
};

}  // namespace corral::storage
