// corral-dump: prints Corral's storage files record by record, for operators and for debugging.
//   corral-dump log FILE                 every entry of a log segment
//   corral-dump snapshot [--nodes] FILE  a snapshot's header and counts (and every node)
//   corral-dump meta FILE                the value in a metadata file (currentEpoch, ...)
// Exit status: 0 when the file checks out (a torn tail of a log counts: recovery truncates it),
// 1 on corruption (the message names the byte offset), 2 on usage or I/O errors.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include "env/file_system.h"
#include "proto/snapshot.pb.h"
#include "storage/atomic_file.h"
#include "storage/file_names.h"
#include "storage/log_segment.h"
#include "storage/record_reader.h"
#include "storage/snapshot.h"
#include "zk/codes.h"

namespace corral {
namespace {

constexpr int kOk = 0;
constexpr int kCorrupt = 1;
constexpr int kUsage = 2;

int Usage() {
  std::fprintf(stderr,
               "usage: corral-dump log FILE\n"
               "       corral-dump snapshot [--nodes] FILE\n"
               "       corral-dump meta FILE\n"
               "Exit status: 0 valid, 1 corrupt (the message names the byte offset), 2 usage or "
               "I/O error.\n");
  return kUsage;
}

int Fail(const Status& status) {
  std::printf("ERROR: %s\n", status.message().c_str());
  return status.code() == Status::Code::kCorruption ? kCorrupt : kUsage;
}

std::string Hex(int64_t v) { return storage::ZxidString(v); }

int DumpLog(const std::string& path) {
  using Outcome = storage::LogSegmentReader::Outcome;
  std::optional<int64_t> named = storage::ParseLogSegmentName(env::BaseName(path));
  auto opened = storage::LogSegmentReader::Open(env::PosixFileSystem(), path, named, UINT32_MAX);
  if (!opened.ok()) return Fail(opened.status());
  storage::LogSegmentReader& reader = **opened;
  std::printf("file %s (%" PRIu64 " bytes)\n", path.c_str(), reader.file_size());
  Outcome outcome = reader.ReadHeader();
  if (outcome == Outcome::kEnd) {
    std::printf("no header: the file is empty or all zeros (a segment a crash interrupted)\n");
    return kOk;
  }
  if (outcome != Outcome::kRecord) {
    if (outcome == Outcome::kTornTail) {
      std::printf("torn header (recovery removes such a last segment): %s\n",
                  reader.status().message().c_str());
      return kOk;
    }
    return Fail(reader.status());
  }
  const auto& h = reader.header();
  std::printf("header: format %u, first zxid %s, previous zxid %s, db id %" PRIu64 "\n",
              h.format_version, Hex(h.first_zxid).c_str(), Hex(h.prev_zxid).c_str(), h.db_id);
  Txn txn;
  uint64_t offset = 0;
  uint64_t previous_end = reader.valid_end();
  while ((outcome = reader.NextEntry(&txn, &offset)) == Outcome::kRecord) {
    std::printf("@%" PRIu64 " zxid %s session %s xid %d type %s(%d) time %" PRId64
                " request %zu bytes identities %zu record %" PRIu64 " bytes crc ok\n",
                offset, Hex(txn.zxid).c_str(), Hex(txn.session_id).c_str(), txn.xid,
                zk::OpName(txn.type), txn.type, txn.time_ms, txn.request.size(),
                txn.identities.size(), reader.valid_end() - previous_end);
    previous_end = reader.valid_end();
  }
  switch (outcome) {
    case Outcome::kEnd:
      std::printf("end: %" PRIu64 " entries, last zxid %s, records end at %" PRIu64 " (%" PRIu64
                  " preallocated zero bytes follow)\n",
                  reader.entry_count(), Hex(reader.last_zxid()).c_str(), reader.valid_end(),
                  reader.file_size() - reader.valid_end());
      return kOk;
    case Outcome::kTornTail:
      std::printf("end: %" PRIu64 " entries, then a torn tail recovery truncates: %s\n",
                  reader.entry_count(), reader.status().message().c_str());
      return kOk;
    default:
      std::printf("after %" PRIu64 " valid entries:\n", reader.entry_count());
      return Fail(reader.status());
  }
}

int DumpSnapshot(const std::string& path, bool nodes) {
  env::FileSystem* fs = env::PosixFileSystem();
  auto file = fs->OpenReadableFile(path);
  if (!file.ok()) return Fail(file.status());
  std::printf("file %s (%" PRIu64 " bytes)\n", path.c_str(), (*file)->size());
  storage::RecordReader reader(file->get(), path, UINT32_MAX);
  storage::Record record;
  uint64_t counts[storage::kRecordTypeMax + 1] = {};
  while (reader.Next(&record) == storage::RecordReader::Outcome::kRecord) {
    ++counts[static_cast<int>(record.type)];
    auto payload_size = static_cast<int>(record.payload.size());
    if (record.type == storage::RecordType::kSnapshotHeader) {
      proto::SnapshotHeader h;
      if (h.ParseFromArray(record.payload.data(), payload_size)) {
        std::printf("header: format %u, last zxid %s, %" PRIu64 " sessions, %" PRIu64
                    " nodes, db id %" PRIu64 "\n",
                    h.format_version(), Hex(h.last_zxid()).c_str(), h.session_count(),
                    h.node_count(), h.db_id());
      }
    } else if (record.type == storage::RecordType::kSnapshotFooter) {
      proto::SnapshotFooter f;
      if (f.ParseFromArray(record.payload.data(), payload_size)) {
        std::printf("footer: %" PRIu64 " ACL lists, %" PRIu64 " sessions, %" PRIu64
                    " nodes, digest %08x\n",
                    f.acl_list_count(), f.session_count(), f.node_count(), f.digest());
      }
    } else if (nodes && record.type == storage::RecordType::kZnode) {
      proto::ZnodeRecord n;
      if (n.ParseFromArray(record.payload.data(), payload_size)) {
        std::printf("@%" PRIu64 " %s czxid %s mzxid %s pzxid %s ctime %" PRId64 " mtime %" PRId64
                    " version %d cversion(creations) %d aversion %d owner %s data %zu bytes%s "
                    "acl #%u\n",
                    record.offset, n.path().c_str(), Hex(n.czxid()).c_str(), Hex(n.mzxid()).c_str(),
                    Hex(n.pzxid()).c_str(), n.ctime(), n.mtime(), n.version(), n.cversion(),
                    n.aversion(), Hex(n.ephemeral_owner()).c_str(), n.data().size(),
                    n.data_null() ? " (null)" : "", n.acl_index());
      }
    } else if (nodes && record.type == storage::RecordType::kSession) {
      proto::SessionRecord s;
      if (s.ParseFromArray(record.payload.data(), payload_size)) {
        std::printf("@%" PRIu64 " session %s timeout %d ms\n", record.offset,
                    Hex(s.session_id()).c_str(), s.timeout_ms());
      }
    }
  }
  std::printf("records: %" PRIu64 " sessions, %" PRIu64 " ACL lists, %" PRIu64 " znodes\n",
              counts[static_cast<int>(storage::RecordType::kSession)],
              counts[static_cast<int>(storage::RecordType::kAclList)],
              counts[static_cast<int>(storage::RecordType::kZnode)]);
  // The full check (order, counts, digest, tree structure), as recovery makes it.
  storage::SnapshotLoadOptions options;
  options.record_bytes_max = UINT32_MAX;
  auto loaded = storage::LoadSnapshot(fs, path, options);
  if (!loaded.ok()) return Fail(loaded.status());
  std::printf("valid: loads as a state machine at zxid %s\n",
              Hex(loaded->last_applied_zxid()).c_str());
  return kOk;
}

int DumpMeta(const std::string& path) {
  auto value = storage::ReadAtomicFile(env::PosixFileSystem(), path);
  if (!value.ok()) return Fail(value.status());
  std::printf("%s: %zu bytes: %s\n", path.c_str(), value->size(), value->c_str());
  return kOk;
}

}  // namespace
}  // namespace corral

int main(int argc, char** argv) {
  using namespace corral;
  if (argc < 3) return Usage();
  std::string command = argv[1];
  if (command == "log" && argc == 3) return DumpLog(argv[2]);
  if (command == "meta" && argc == 3) return DumpMeta(argv[2]);
  if (command == "snapshot") {
    if (argc == 3) return DumpSnapshot(argv[2], false);
    if (argc == 4 && std::strcmp(argv[2], "--nodes") == 0) return DumpSnapshot(argv[3], true);
  }
  return Usage();
}
