#include "storage/txn_log.h"

#include <algorithm>
#include <utility>

#include "storage/file_names.h"
#include "storage/log_segment.h"
#include "storage/record_format.h"

namespace corral::storage {

struct TxnLog::Segment {
  std::string path;
  int64_t first_zxid = 0;
  int64_t prev_zxid = 0;
  // Known for the last segment (scanned at Open or written here); unknown for older ones.
  std::optional<int64_t> last_zxid;
  uint64_t end_offset = 0;  // last segment: where its records end
};

// Buffered records on their way to one segment. A chunk that starts a segment begins with that
// segment's header record.
struct TxnLog::Chunk {
  bool starts_segment = false;
  LogSegmentHeaderInfo header;
  std::string bytes;
  int64_t last_zxid = 0;
};

namespace {

Status DbIdMismatch(const std::string& path, uint64_t found, uint64_t expected) {
  return Status::InvalidArgument(path + " belongs to database " + std::to_string(found) +
                                 ", expected " + std::to_string(expected));
}

}  // namespace

TxnLog::TxnLog(env::FileSystem* fs, std::string dir, TxnLogOptions options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {}

TxnLog::~TxnLog() = default;

std::string TxnLog::SegmentPath(int64_t first_zxid) const {
  return env::JoinPath(dir_, LogSegmentName(first_zxid));
}

Status TxnLog::Poison(Status status) {
  CORRAL_ASSERT(!status.ok(), "poisoning with OK");
  if (poisoned_.ok()) poisoned_ = status;
  return poisoned_;
}

uint64_t TxnLog::buffered_bytes() const {
  uint64_t n = 0;
  for (const auto& c : chunks_) n += c.bytes.size();
  return n;
}

std::vector<TxnLog::SegmentInfo> TxnLog::segments() const {
  std::vector<SegmentInfo> out;
  for (const auto& s : segments_) out.push_back({s.path, s.first_zxid, s.prev_zxid});
  return out;
}

StatusOr<std::unique_ptr<TxnLog>> TxnLog::Open(env::FileSystem* fs, std::string dir,
                                               TxnLogOptions options, TxnLogOpenReport* report) {
  TxnLogOpenReport unused;
  CORRAL_RETURN_IF_ERROR(fs->CreateDir(dir));
  std::unique_ptr<TxnLog> log(new TxnLog(fs, std::move(dir), options));
  CORRAL_RETURN_IF_ERROR(log->OpenExisting(report != nullptr ? report : &unused));
  return log;
}

Status TxnLog::OpenExisting(TxnLogOpenReport* report) {
  auto names = fs_->ListDir(dir_);
  if (!names.ok()) return names.status();
  for (const auto& name : *names) {
    if (auto zxid = ParseLogSegmentName(name)) {
      segments_.push_back({env::JoinPath(dir_, name), *zxid, 0, std::nullopt, 0});
    }
  }
  std::sort(segments_.begin(), segments_.end(),
            [](const Segment& a, const Segment& b) { return a.first_zxid < b.first_zxid; });

  bool dir_changed = false;
  // Every segment but the last was complete and synced before its successor was created, so
  // any damage to its header is corruption, never a crash artifact.
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    auto reader = LogSegmentReader::Open(fs_, segments_[i].path, segments_[i].first_zxid,
                                         options_.record_bytes_max);
    if (!reader.ok()) return reader.status();
    auto outcome = (*reader)->ReadHeader();
    if (outcome == LogSegmentReader::Outcome::kRecord) {
      const auto& header = (*reader)->header();
      if (options_.db_id != 0 && header.db_id != options_.db_id) {
        return DbIdMismatch(segments_[i].path, header.db_id, options_.db_id);
      }
      segments_[i].prev_zxid = header.prev_zxid;
      continue;
    }
    if (outcome == LogSegmentReader::Outcome::kIoError) return (*reader)->status();
    Status damage = outcome == LogSegmentReader::Outcome::kCorruption
                        ? (*reader)->status()
                        : CorruptionAt(segments_[i].path, 0,
                                       "no complete header in a segment that is not the last");
    if (!options_.skip_to_last_valid_prefix) return damage;
    report->dropped_corruption = damage.message();
    for (size_t j = segments_.size(); j-- > i;) {
      CORRAL_RETURN_IF_ERROR(fs_->RemoveFile(segments_[j].path));
      report->removed_segments.push_back(segments_[j].path);
    }
    segments_.resize(i);
    dir_changed = true;
    break;
  }

  while (!segments_.empty()) {
    bool usable = false;
    CORRAL_RETURN_IF_ERROR(ScanLastSegment(report, &usable));
    if (usable) break;
    CORRAL_RETURN_IF_ERROR(fs_->RemoveFile(segments_.back().path));
    report->removed_segments.push_back(segments_.back().path);
    segments_.pop_back();
    dir_changed = true;
  }
  if (dir_changed) CORRAL_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  if (segments_.empty()) {
    last_zxid_ = last_synced_zxid_ = 0;
    next_append_starts_segment_ = true;
    return Status::Ok();
  }
  return OpenActiveForAppend();
}

Status TxnLog::ScanLastSegment(TxnLogOpenReport* report, bool* usable) {
  using Outcome = LogSegmentReader::Outcome;
  Segment& seg = segments_.back();
  *usable = false;
  auto opened = LogSegmentReader::Open(fs_, seg.path, seg.first_zxid, options_.record_bytes_max);
  if (!opened.ok()) return opened.status();
  LogSegmentReader& reader = **opened;
  Outcome outcome = reader.ReadHeader();
  switch (outcome) {
    case Outcome::kRecord:
      break;
    case Outcome::kEnd:
    case Outcome::kTornTail:
      return Status::Ok();  // created, never completed: the caller removes it
    case Outcome::kCorruption:
      if (!options_.skip_to_last_valid_prefix) return reader.status();
      report->dropped_corruption = reader.status().message();
      return Status::Ok();
    case Outcome::kIoError:
      return reader.status();
  }
  if (options_.db_id != 0 && reader.header().db_id != options_.db_id) {
    return DbIdMismatch(seg.path, reader.header().db_id, options_.db_id);
  }
  seg.prev_zxid = reader.header().prev_zxid;
  // Only the end matters here (ReadEntries decodes what it replays): zxids only.
  int64_t zxid = 0;
  uint64_t offset = 0;
  while ((outcome = reader.NextEntryZxid(&zxid, &offset)) == Outcome::kRecord) {
  }
  bool cut = false;
  switch (outcome) {
    case Outcome::kEnd:
      break;
    case Outcome::kTornTail:
      report->torn_file = seg.path;
      report->torn_offset = reader.valid_end();
      report->torn_bytes = reader.torn_bytes();
      cut = true;
      break;
    case Outcome::kCorruption:
      if (!options_.skip_to_last_valid_prefix) return reader.status();
      report->dropped_corruption = reader.status().message();
      cut = true;
      break;
    case Outcome::kIoError:
      return reader.status();
    case Outcome::kRecord:
      break;
  }
  if (reader.entry_count() == 0) return Status::Ok();  // header only: the caller removes it
  if (cut) {
    // Cut the damaged bytes off for good before anything is appended after them: a later crash
    // must not find the new records followed by the remains of the old tail.
    auto file = fs_->OpenWritableFile(seg.path, reader.valid_end());
    if (!file.ok()) return file.status();
    CORRAL_RETURN_IF_ERROR((*file)->Truncate(reader.valid_end()));
    CORRAL_RETURN_IF_ERROR((*file)->Sync());
    CORRAL_RETURN_IF_ERROR((*file)->Close());
  }
  seg.last_zxid = reader.last_zxid();
  seg.end_offset = reader.valid_end();
  *usable = true;
  return Status::Ok();
}

Status TxnLog::OpenActiveForAppend() {
  Segment& seg = segments_.back();
  CORRAL_ASSERT(seg.last_zxid.has_value(), "the last segment was not scanned");
  auto size = fs_->FileSize(seg.path);
  if (!size.ok()) return size.status();
  auto file = fs_->OpenWritableFile(seg.path, seg.end_offset);
  if (!file.ok()) return file.status();
  active_ = std::move(file).value();
  active_allocated_bytes_ = *size;
  last_zxid_ = last_synced_zxid_ = *seg.last_zxid;
  next_append_starts_segment_ = false;
  projected_active_bytes_ = seg.end_offset;
  projected_active_entries_ = 1;  // a usable last segment holds at least one entry
  return Status::Ok();
}

Status TxnLog::Append(const Txn& txn) {
  if (!poisoned_.ok()) return poisoned_;
  CORRAL_ASSERT(txn.zxid > last_zxid_, "log entries must have increasing zxids");
  scratch_.clear();
  AppendLogEntryRecord(txn, &scratch_);
  if (scratch_.size() - kRecordOverheadBytes > options_.record_bytes_max) {
    return Status::InvalidArgument("log entry " + ZxidString(txn.zxid) + " is " +
                                   std::to_string(scratch_.size()) +
                                   " bytes, over record_bytes_max");
  }
  bool roll = next_append_starts_segment_ ||
              (projected_active_entries_ > 0 &&
               projected_active_bytes_ + scratch_.size() > options_.segment_bytes_max);
  if (roll) {
    Chunk chunk;
    chunk.starts_segment = true;
    chunk.header = {kLogFormatVersion, txn.zxid, last_zxid_, options_.db_id};
    AppendLogSegmentHeaderRecord(chunk.header, &chunk.bytes);
    projected_active_bytes_ = chunk.bytes.size();
    projected_active_entries_ = 0;
    chunks_.push_back(std::move(chunk));
    next_append_starts_segment_ = false;
  } else if (chunks_.empty()) {
    chunks_.emplace_back();
  }
  Chunk& chunk = chunks_.back();
  chunk.bytes += scratch_;
  chunk.last_zxid = txn.zxid;
  projected_active_bytes_ += scratch_.size();
  ++projected_active_entries_;
  last_zxid_ = txn.zxid;
  return Status::Ok();
}

Status TxnLog::FinishActiveSegment() {
  // Cut the unused preallocated zeros and make the segment durable before its successor
  // exists: recovery counts on every segment but the last being complete.
  uint64_t end = active_->position();
  if (active_allocated_bytes_ > end) CORRAL_RETURN_IF_ERROR(active_->Truncate(end));
  CORRAL_RETURN_IF_ERROR(active_->Sync());
  CORRAL_RETURN_IF_ERROR(active_->Close());
  active_.reset();
  return Status::Ok();
}

Status TxnLog::WriteChunk(Chunk* chunk, bool* created_segment) {
  if (chunk->starts_segment) {
    if (active_ != nullptr) CORRAL_RETURN_IF_ERROR(FinishActiveSegment());
    std::string path = SegmentPath(chunk->header.first_zxid);
    auto file = fs_->CreateFile(path);
    if (!file.ok()) return file.status();
    active_ = std::move(file).value();
    active_allocated_bytes_ = 0;
    segments_.push_back({path, chunk->header.first_zxid, chunk->header.prev_zxid, std::nullopt, 0});
    *created_segment = true;
  }
  CORRAL_ASSERT(active_ != nullptr, "writing with no active segment");
  uint64_t end = active_->position() + chunk->bytes.size();
  if (options_.prealloc_bytes > 0 && end > active_allocated_bytes_) {
    // Whole prealloc_bytes steps, but not past the segment's limit unless the data needs it.
    uint64_t steps =
        (end - active_allocated_bytes_ + options_.prealloc_bytes - 1) / options_.prealloc_bytes;
    uint64_t target =
        std::max(end, std::min(active_allocated_bytes_ + steps * options_.prealloc_bytes,
                               options_.segment_bytes_max));
    CORRAL_RETURN_IF_ERROR(active_->Preallocate(target));
    active_allocated_bytes_ = target;
  }
  CORRAL_RETURN_IF_ERROR(active_->Append(chunk->bytes));
  active_allocated_bytes_ = std::max(active_allocated_bytes_, active_->position());
  segments_.back().last_zxid = chunk->last_zxid;
  segments_.back().end_offset = active_->position();
  return Status::Ok();
}

Status TxnLog::Sync() {
  if (!poisoned_.ok()) return poisoned_;
  if (chunks_.empty()) return Status::Ok();
  bool created_segment = false;
  for (Chunk& chunk : chunks_) {
    Status st = WriteChunk(&chunk, &created_segment);
    if (!st.ok()) return Poison(st);
  }
  Status st = active_->Sync();
  if (!st.ok()) return Poison(st);
  if (created_segment) {
    st = fs_->SyncDir(dir_);
    if (!st.ok()) return Poison(st);
  }
  last_synced_zxid_ = chunks_.back().last_zxid;
  chunks_.clear();
  return Status::Ok();
}

Status TxnLog::SkipTo(int64_t zxid) {
  if (!poisoned_.ok()) return poisoned_;
  if (zxid < last_zxid_) {
    return Status::InvalidArgument("SkipTo " + ZxidString(zxid) + ": the log already holds " +
                                   ZxidString(last_zxid_));
  }
  if (zxid == last_zxid_) return Status::Ok();
  last_zxid_ = zxid;
  next_append_starts_segment_ = true;
  return Status::Ok();
}

Status TxnLog::TruncateAfter(int64_t zxid) {
  using Outcome = LogSegmentReader::Outcome;
  if (!poisoned_.ok()) return poisoned_;
  CORRAL_ASSERT(chunks_.empty(), "TruncateAfter with buffered entries: Sync first");
  if (zxid >= last_zxid_) return Status::Ok();
  if (segments_.empty() || zxid < segments_.front().prev_zxid) {
    return Status::InvalidArgument(
        "cannot truncate the log after " + ZxidString(zxid) + ": it starts after " +
        ZxidString(segments_.empty() ? last_zxid_ : segments_.front().prev_zxid));
  }
  // The segment holding `zxid`: the last one starting at or before it.
  size_t index = 0;
  while (index + 1 < segments_.size() && segments_[index + 1].first_zxid <= zxid) ++index;
  if (segments_[index].first_zxid > zxid) return CutAt(0, 0);  // before the first entry
  auto opened = LogSegmentReader::Open(fs_, segments_[index].path, segments_[index].first_zxid,
                                       options_.record_bytes_max);
  if (!opened.ok()) return opened.status();
  LogSegmentReader& reader = **opened;
  if (reader.ReadHeader() != Outcome::kRecord) return reader.status();
  Txn txn;
  uint64_t offset = 0;
  Outcome outcome;
  while ((outcome = reader.NextEntry(&txn, &offset)) == Outcome::kRecord) {
    if (txn.zxid > zxid) return CutAt(index, offset);
  }
  if (outcome != Outcome::kEnd) return reader.status();
  return CutAt(index, reader.valid_end());
}

Status TxnLog::DropFrom(const std::string& path, uint64_t offset) {
  if (!poisoned_.ok()) return poisoned_;
  CORRAL_ASSERT(chunks_.empty(), "DropFrom with buffered entries: Sync first");
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].path == path) return CutAt(i, offset);
  }
  return Status::NotFound("DropFrom: " + path + " is not a segment of this log");
}

Status TxnLog::CutAt(size_t index, uint64_t offset) {
  using Outcome = LogSegmentReader::Outcome;
  active_.reset();
  // Newest first, each removal durable before the next step, so a crash part-way leaves a
  // prefix of the log, never a hole: a removal not yet durable may be undone by a crash, and if
  // it came back after an older segment had already been cut, entries would be missing
  // between the two.
  while (segments_.size() > index + 1) {
    Status st = fs_->RemoveFile(segments_.back().path);
    if (st.ok()) st = fs_->SyncDir(dir_);
    if (!st.ok()) return Poison(st);
    segments_.pop_back();
  }
  // What stays of segment `index`: its entries that start before `offset`.
  Segment& seg = segments_[index];
  int64_t base_zxid = seg.prev_zxid;
  uint64_t kept_end = 0;
  uint64_t kept_entries = 0;
  int64_t kept_last_zxid = seg.prev_zxid;
  {
    auto opened = LogSegmentReader::Open(fs_, seg.path, seg.first_zxid, options_.record_bytes_max);
    if (!opened.ok()) return Poison(opened.status());
    LogSegmentReader& reader = **opened;
    if (reader.ReadHeader() == Outcome::kRecord && reader.valid_end() <= offset) {
      Txn txn;
      uint64_t at = 0;
      while (reader.NextEntry(&txn, &at) == Outcome::kRecord && at < offset) {
        kept_end = reader.valid_end();
        ++kept_entries;
        kept_last_zxid = txn.zxid;
      }
    }
  }
  if (kept_entries == 0) {
    Status st = fs_->RemoveFile(seg.path);
    if (!st.ok()) return Poison(st);
    segments_.pop_back();
  } else {
    auto file = fs_->OpenWritableFile(seg.path, kept_end);
    if (!file.ok()) return Poison(file.status());
    Status st = (*file)->Truncate(kept_end);
    if (st.ok()) st = (*file)->Sync();
    if (st.ok()) st = (*file)->Close();
    if (!st.ok()) return Poison(st);
    seg.last_zxid = kept_last_zxid;
    seg.end_offset = kept_end;
  }
  Status st = fs_->SyncDir(dir_);
  if (!st.ok()) return Poison(st);

  if (segments_.empty()) {
    last_zxid_ = last_synced_zxid_ = base_zxid;
    next_append_starts_segment_ = true;
    return Status::Ok();
  }
  if (!segments_.back().last_zxid.has_value()) {
    // The removed segment's predecessor is the last now; it is complete, read it to its end.
    TxnLogOpenReport unused;
    bool usable = false;
    st = ScanLastSegment(&unused, &usable);
    if (st.ok() && !usable) st = CorruptionAt(segments_.back().path, 0, "segment holds no entry");
    if (!st.ok()) return Poison(st);
  }
  st = OpenActiveForAppend();
  if (!st.ok()) return Poison(st);
  return Status::Ok();
}

Status TxnLog::PurgeThrough(int64_t zxid, std::vector<std::string>* removed) {
  if (!poisoned_.ok()) return poisoned_;
  // Segment i may go when the next one starts at or before `zxid`: all of i is then <= zxid,
  // and the next segment's header still proves the history continues from there.
  size_t count = 0;
  while (count + 1 < segments_.size() && segments_[count + 1].prev_zxid <= zxid) ++count;
  size_t done = 0;
  Status st;
  for (; done < count; ++done) {  // oldest first: a crash part-way leaves a suffix
    st = fs_->RemoveFile(segments_[done].path);
    if (!st.ok()) break;
    if (removed != nullptr) removed->push_back(segments_[done].path);
  }
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(done));
  if (done > 0) {
    Status synced = fs_->SyncDir(dir_);
    if (st.ok()) st = synced;
  }
  return st;
}

Status TxnLog::ReadEntries(int64_t after_zxid, const std::function<Status(const Txn&)>& fn,
                           LogDamage* damage) {
  using Outcome = LogSegmentReader::Outcome;
  if (segments_.empty()) return Status::Ok();
  size_t start = segments_.size();
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].prev_zxid <= after_zxid) start = i;
  }
  if (start == segments_.size()) {
    return Status::Corruption("data missing: the state ends at zxid " + ZxidString(after_zxid) +
                              " but the log starts after " +
                              ZxidString(segments_.front().prev_zxid) + " (" +
                              segments_.front().path + ")");
  }
  auto report_damage = [&](const std::string& path, uint64_t offset) {
    if (damage != nullptr) *damage = {path, offset};
  };
  int64_t position = after_zxid;  // the state holds every entry up to here
  int64_t last_seen = segments_[start].prev_zxid;
  for (size_t i = start; i < segments_.size(); ++i) {
    const Segment& seg = segments_[i];
    if (i > start && seg.prev_zxid < last_seen) {
      return CorruptionAt(seg.path, 0,
                          "segment follows zxid " + ZxidString(seg.prev_zxid) +
                              " but the one before it ends at " + ZxidString(last_seen));
    }
    if (seg.prev_zxid > position) {
      return Status::Corruption("data missing: entries after zxid " + ZxidString(position) +
                                " up to " + ZxidString(seg.prev_zxid) +
                                " are in no segment or snapshot (next segment: " + seg.path + ")");
    }
    auto opened = LogSegmentReader::Open(fs_, seg.path, seg.first_zxid, options_.record_bytes_max);
    if (!opened.ok()) return opened.status();
    LogSegmentReader& reader = **opened;
    Outcome outcome = reader.ReadHeader();
    if (outcome != Outcome::kRecord) {
      report_damage(seg.path, reader.valid_end());
      if (outcome == Outcome::kEnd) {
        return CorruptionAt(seg.path, 0, "segment has no header");
      }
      return reader.status();
    }
    int64_t predecessor = seg.prev_zxid;
    Txn txn;
    int64_t zxid = 0;
    uint64_t offset = 0;
    // Entries the state already holds are checked (frame, checksum, order) but only their zxid
    // is decoded: after a snapshot that is most of the segment.
    while ((outcome = reader.NextEntryZxid(&zxid, &offset)) == Outcome::kRecord) {
      if (zxid > position) {
        if (predecessor != position) {
          return CorruptionAt(seg.path, offset,
                              "entry " + ZxidString(zxid) + " follows " + ZxidString(predecessor) +
                                  " in the log, but the state ends at " + ZxidString(position) +
                                  ": the snapshot is not a point of this log's history");
        }
        if ((outcome = reader.DecodeEntry(&txn)) != Outcome::kRecord) break;
        CORRAL_RETURN_IF_ERROR(fn(txn));
        position = zxid;
      }
      predecessor = zxid;
    }
    if (outcome != Outcome::kEnd) {
      report_damage(seg.path, reader.valid_end());
      return reader.status();
    }
    last_seen = reader.last_zxid();
  }
  return Status::Ok();
}

}  // namespace corral::storage
