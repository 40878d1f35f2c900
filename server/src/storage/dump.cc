#include "storage/dump.h"

#include <cinttypes>

#include "env/file_system.h"
#include "proto/snapshot.pb.h"
#include "storage/atomic_file.h"
#include "storage/file_names.h"
#include "storage/log_segment.h"
#include "storage/record_reader.h"
#include "storage/snapshot.h"
#include "zk/codes.h"

namespace corral::storage {
namespace {

int Fail(std::FILE* out, const Status& status) {
  std::fprintf(out, "ERROR: %s\n", status.message().c_str());
  return status.code() == Status::Code::kCorruption ? kDumpCorrupt : kDumpUnreadable;
}

std::string Hex(int64_t v) { return ZxidString(v); }

}  // namespace

int DumpLogSegment(const std::string& path, std::FILE* out) {
  using Outcome = LogSegmentReader::Outcome;
  std::optional<int64_t> named = ParseLogSegmentName(env::BaseName(path));
  auto opened = LogSegmentReader::Open(env::PosixFileSystem(), path, named, UINT32_MAX);
  if (!opened.ok()) return Fail(out, opened.status());
  LogSegmentReader& reader = **opened;
  std::fprintf(out, "file %s (%" PRIu64 " bytes)\n", path.c_str(), reader.file_size());
  Outcome outcome = reader.ReadHeader();
  if (outcome == Outcome::kEnd) {
    std::fprintf(out,
                 "no header: the file is empty or all zeros (a segment a crash interrupted)\n");
    return kDumpValid;
  }
  if (outcome != Outcome::kRecord) {
    if (outcome == Outcome::kTornTail) {
      std::fprintf(out, "torn header (recovery removes such a last segment): %s\n",
                   reader.status().message().c_str());
      return kDumpValid;
    }
    return Fail(out, reader.status());
  }
  const auto& h = reader.header();
  std::fprintf(out, "header: format %u, first zxid %s, previous zxid %s, db id %" PRIu64 "\n",
               h.format_version, Hex(h.first_zxid).c_str(), Hex(h.prev_zxid).c_str(), h.db_id);
  Txn txn;
  uint64_t offset = 0;
  uint64_t previous_end = reader.valid_end();
  while ((outcome = reader.NextEntry(&txn, &offset)) == Outcome::kRecord) {
    std::fprintf(out,
                 "@%" PRIu64 " zxid %s session %s xid %d type %s(%d) time %" PRId64
                 " request %zu bytes identities %zu record %" PRIu64 " bytes crc ok\n",
                 offset, Hex(txn.zxid).c_str(), Hex(txn.session_id).c_str(), txn.xid,
                 zk::OpName(txn.type), txn.type, txn.time_ms, txn.request->size(),
                 txn.identities->size(), reader.valid_end() - previous_end);
    previous_end = reader.valid_end();
  }
  switch (outcome) {
    case Outcome::kEnd:
      std::fprintf(out,
                   "end: %" PRIu64 " entries, last zxid %s, records end at %" PRIu64 " (%" PRIu64
                   " preallocated zero bytes follow)\n",
                   reader.entry_count(), Hex(reader.last_zxid()).c_str(), reader.valid_end(),
                   reader.file_size() - reader.valid_end());
      return kDumpValid;
    case Outcome::kTornTail:
      std::fprintf(out, "end: %" PRIu64 " entries, then a torn tail recovery truncates: %s\n",
                   reader.entry_count(), reader.status().message().c_str());
      return kDumpValid;
    default:
      std::fprintf(out, "after %" PRIu64 " valid entries:\n", reader.entry_count());
      return Fail(out, reader.status());
  }
}

int DumpSnapshot(const std::string& path, bool nodes, std::FILE* out) {
  env::FileSystem* fs = env::PosixFileSystem();
  auto file = fs->OpenReadableFile(path);
  if (!file.ok()) return Fail(out, file.status());
  std::fprintf(out, "file %s (%" PRIu64 " bytes)\n", path.c_str(), (*file)->size());
  RecordReader reader(file->get(), path, UINT32_MAX);
  Record record;
  uint64_t counts[kRecordTypeMax + 1] = {};
  while (reader.Next(&record) == RecordReader::Outcome::kRecord) {
    ++counts[static_cast<int>(record.type)];
    auto payload_size = static_cast<int>(record.payload.size());
    if (record.type == RecordType::kSnapshotHeader) {
      proto::SnapshotHeader h;
      if (h.ParseFromArray(record.payload.data(), payload_size)) {
        std::fprintf(out,
                     "header: format %u, last zxid %s, %" PRIu64 " sessions, %" PRIu64
                     " nodes, db id %" PRIu64 "\n",
                     h.format_version(), Hex(h.last_zxid()).c_str(), h.session_count(),
                     h.node_count(), h.db_id());
      }
    } else if (record.type == RecordType::kSnapshotFooter) {
      proto::SnapshotFooter f;
      if (f.ParseFromArray(record.payload.data(), payload_size)) {
        std::fprintf(out,
                     "footer: %" PRIu64 " ACL lists, %" PRIu64 " sessions, %" PRIu64
                     " nodes, digest %08x\n",
                     f.acl_list_count(), f.session_count(), f.node_count(), f.digest());
      }
    } else if (nodes && record.type == RecordType::kZnode) {
      proto::ZnodeRecord n;
      if (n.ParseFromArray(record.payload.data(), payload_size)) {
        std::fprintf(out,
                     "@%" PRIu64 " %s czxid %s mzxid %s pzxid %s ctime %" PRId64 " mtime %" PRId64
                     " version %d cversion(creations) %d aversion %d owner %s data %zu bytes%s "
                     "acl #%u\n",
                     record.offset, n.path().c_str(), Hex(n.czxid()).c_str(),
                     Hex(n.mzxid()).c_str(), Hex(n.pzxid()).c_str(), n.ctime(), n.mtime(),
                     n.version(), n.cversion(), n.aversion(), Hex(n.ephemeral_owner()).c_str(),
                     n.data().size(), n.data_null() ? " (null)" : "", n.acl_index());
      }
    } else if (nodes && record.type == RecordType::kSession) {
      proto::SessionRecord s;
      if (s.ParseFromArray(record.payload.data(), payload_size)) {
        std::fprintf(out, "@%" PRIu64 " session %s timeout %d ms\n", record.offset,
                     Hex(s.session_id()).c_str(), s.timeout_ms());
      }
    }
  }
  std::fprintf(out, "records: %" PRIu64 " sessions, %" PRIu64 " ACL lists, %" PRIu64 " znodes\n",
               counts[static_cast<int>(RecordType::kSession)],
               counts[static_cast<int>(RecordType::kAclList)],
               counts[static_cast<int>(RecordType::kZnode)]);
  // The full check (order, counts, digest, tree structure), as recovery makes it.
  SnapshotLoadOptions options;
  options.record_bytes_max = UINT32_MAX;
  auto loaded = LoadSnapshot(fs, path, options);
  if (!loaded.ok()) return Fail(out, loaded.status());
  std::fprintf(out, "valid: loads as a state machine at zxid %s\n",
               Hex(loaded->last_applied_zxid()).c_str());
  return kDumpValid;
}

int DumpMetaFile(const std::string& path, std::FILE* out) {
  auto value = ReadAtomicFile(env::PosixFileSystem(), path);
  if (!value.ok()) return Fail(out, value.status());
  std::fprintf(out, "%s: %zu bytes: %s\n", path.c_str(), value->size(), value->c_str());
  return kDumpValid;
}

}  // namespace corral::storage
