#include "storage/snapshot.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "base/crc32c.h"
#include "proto/snapshot.pb.h"
#include "storage/file_names.h"
#include "storage/record_format.h"
#include "storage/record_reader.h"

namespace corral::storage {
namespace {

// CRC32C over a fixed logical encoding of the content (not of the protobuf bytes, which are
// not canonical): the writer feeds it what is in memory, the loader what it decoded, and the
// footer carries the writer's value.
class ContentDigest {
 public:
  void AddAclList(const zk::AclList& acl) {
    Tag('A');
    Int(static_cast<int64_t>(acl.size()));
    for (const auto& entry : acl) {
      Int(entry.perms);
      Bytes(entry.id.scheme);
      Bytes(entry.id.id);
    }
  }
  void AddSession(int64_t session_id, int32_t timeout_ms, std::string_view passwd) {
    Tag('S');
    Int(session_id);
    Int(timeout_ms);
    Bytes(passwd);
  }
  void AddNode(std::string_view path, const Znode& n, uint32_t acl_index) {
    // The fixed-width fields in one buffer, then path and data: three CRC calls per node.
    char buf[1 + 8 * 14];
    size_t at = 0;
    buf[at++] = 'N';
    for (int64_t v : {static_cast<int64_t>(path.size()), static_cast<int64_t>(n.data.size()),
                      static_cast<int64_t>(n.data.is_null()), static_cast<int64_t>(acl_index),
                      n.czxid, n.mzxid, n.ctime, n.mtime, n.pzxid(),
                      static_cast<int64_t>(n.version), static_cast<int64_t>(n.aversion),
                      static_cast<int64_t>(n.cversion()), n.ephemeral_owner}) {
      std::memcpy(buf + at, &v, 8);
      at += 8;
    }
    crc_ = crc32c::Extend(crc_, buf, at);
    crc_ = crc32c::Extend(crc_, path.data(), path.size());
    crc_ = crc32c::Extend(crc_, n.data.data(), n.data.size());
  }
  uint32_t value() const { return crc_; }

 private:
  void Tag(char t) { crc_ = crc32c::Extend(crc_, &t, 1); }
  void Int(int64_t v) { crc_ = crc32c::Extend(crc_, &v, sizeof v); }
  void Bytes(std::string_view s) {
    Int(static_cast<int64_t>(s.size()));
    crc_ = crc32c::Extend(crc_, s.data(), s.size());
  }
  uint32_t crc_ = 0;
};

template <typename Message>
void AppendMessageRecord(const Message& msg, RecordType type, std::string* out) {
  size_t at = BeginRecord(out);
  msg.AppendToString(out);
  FinishRecord(out, at, type);
}

Status WriteSnapshotBody(env::WritableFile* file, const StateMachine& state,
                         const SnapshotWriteOptions& options, SnapshotInfo* info) {
  std::string buffer;
  buffer.reserve(options.write_buffer_bytes + (64 << 10));
  Status status;
  auto flush_if_full = [&] {
    if (status.ok() && buffer.size() >= options.write_buffer_bytes) {
      status = file->Append(buffer);
      buffer.clear();
    }
  };
  const DataTree& tree = state.tree();
  ContentDigest digest;

  proto::SnapshotHeader header;
  header.set_magic(kSnapshotMagic);
  header.set_format_version(kSnapshotFormatVersion);
  header.set_last_zxid(state.last_applied_zxid());
  header.set_session_count(state.sessions().size());
  header.set_node_count(tree.node_count());
  header.set_db_id(options.db_id);
  AppendMessageRecord(header, RecordType::kSnapshotHeader, &buffer);

  proto::SessionRecord session;
  for (const auto& [id, s] : state.sessions()) {
    session.set_session_id(id);
    session.set_timeout_ms(s.timeout_ms);
    session.set_passwd(s.passwd);
    AppendMessageRecord(session, RecordType::kSession, &buffer);
    digest.AddSession(id, s.timeout_ms, s.passwd);
    flush_if_full();
  }

  // ACL lists are shared (interned) objects: one record per distinct list, written just before
  // the first node that uses it, so the tree is walked once.
  std::unordered_map<const zk::AclList*, uint32_t> acl_indexes;
  proto::AclListRecord acl_record;
  proto::ZnodeRecord record;
  uint64_t nodes_written = 0;
  const zk::AclList no_acl;  // not a function-local static: no init guard in a forked child
  tree.ForEach([&](const std::string& path, const Znode& n) {
    if (!status.ok()) return;
    const zk::AclList* acl = n.acl != nullptr ? n.acl.get() : &no_acl;
    auto [it, first_use] = acl_indexes.emplace(acl, static_cast<uint32_t>(acl_indexes.size()));
    if (first_use) {
      acl_record.Clear();
      for (const auto& entry : *acl) {
        proto::AclEntry* e = acl_record.add_entries();
        e->set_perms(entry.perms);
        e->set_scheme(entry.id.scheme);
        e->set_id(entry.id.id);
      }
      AppendMessageRecord(acl_record, RecordType::kAclList, &buffer);
      digest.AddAclList(*acl);
    }
    record.set_path(path);
    record.set_data(n.data.data(), n.data.size());
    record.set_data_null(n.data.is_null());
    record.set_acl_index(it->second);
    record.set_czxid(n.czxid);
    record.set_mzxid(n.mzxid);
    record.set_ctime(n.ctime);
    record.set_mtime(n.mtime);
    record.set_pzxid(n.pzxid());
    record.set_version(n.version);
    record.set_aversion(n.aversion);
    record.set_cversion(n.cversion());
    record.set_ephemeral_owner(n.ephemeral_owner);
    AppendMessageRecord(record, RecordType::kZnode, &buffer);
    digest.AddNode(path, n, it->second);
    ++nodes_written;
    flush_if_full();
  });
  CORRAL_RETURN_IF_ERROR(status);
  CORRAL_ASSERT(nodes_written == tree.node_count(), "ForEach missed nodes");

  proto::SnapshotFooter footer;
  footer.set_acl_list_count(acl_indexes.size());
  footer.set_session_count(state.sessions().size());
  footer.set_node_count(nodes_written);
  footer.set_digest(digest.value());
  AppendMessageRecord(footer, RecordType::kSnapshotFooter, &buffer);
  CORRAL_RETURN_IF_ERROR(file->Append(buffer));

  info->last_zxid = state.last_applied_zxid();
  info->db_id = options.db_id;
  info->acl_list_count = acl_indexes.size();
  info->session_count = state.sessions().size();
  info->node_count = nodes_written;
  info->digest = digest.value();
  info->file_bytes = file->position();
  return Status::Ok();
}

// Reads a snapshot front to back; builds the state machine when asked to.
class SnapshotReader {
 public:
  SnapshotReader(env::ReadableFile* file, std::string path, uint64_t record_bytes_max)
      : path_(std::move(path)), records_(file, path_, record_bytes_max) {}

  // build = false: framing, order and counts only.
  Status Read(bool build, uint64_t expected_db_id, SnapshotInfo* info) {
    build_ = build;
    info->path = path_;
    info->file_bytes = records_.file_size();
    if (records_.file_size() == 0) return Invalid(0, "empty snapshot file (0 bytes)");

    CORRAL_RETURN_IF_ERROR(NextRecord("the header"));
    if (record_.type != RecordType::kSnapshotHeader) return WrongType("a snapshot header");
    proto::SnapshotHeader header;
    if (!Parse(&header)) return Invalid(record_.offset, "snapshot header does not decode");
    if (header.magic() != kSnapshotMagic) return Invalid(record_.offset, "not a Corral snapshot");
    if (header.format_version() != kSnapshotFormatVersion) {
      return Invalid(record_.offset, "unsupported snapshot format version " +
                                         std::to_string(header.format_version()));
    }
    if (auto named = ParseSnapshotName(env::BaseName(path_));
        named && *named != header.last_zxid()) {
      return Invalid(record_.offset, "header says zxid " + ZxidString(header.last_zxid()) +
                                         ", the file name says " + ZxidString(*named));
    }
    if (expected_db_id != 0 && header.db_id() != expected_db_id) {
      return Status::InvalidArgument(path_ + " belongs to database " +
                                     std::to_string(header.db_id()) + ", expected " +
                                     std::to_string(expected_db_id));
    }
    info->last_zxid = header.last_zxid();
    info->db_id = header.db_id();
    info->session_count = header.session_count();
    info->node_count = header.node_count();
    last_zxid_ = header.last_zxid();
    if (build_) {
      // Believe the count only as far as the file could hold that many records.
      uint64_t possible = records_.file_size() / kRecordOverheadBytes;
      tree_.ReserveNodes(static_cast<size_t>(std::min(header.node_count(), possible)));
    }

    proto::SessionRecord session;
    for (uint64_t i = 0; i < header.session_count(); ++i) {
      CORRAL_RETURN_IF_ERROR(NextRecord("a session"));
      if (record_.type != RecordType::kSession) return WrongType("a session");
      if (!build_) continue;
      if (!Parse(&session)) return Invalid(record_.offset, "session does not decode");
      digest_.AddSession(session.session_id(), session.timeout_ms(), session.passwd());
      if (!sessions_
               .emplace(session.session_id(),
                        SessionInfo{session.timeout_ms(), std::move(*session.mutable_passwd())})
               .second) {
        return Invalid(record_.offset, "session " + ZxidString(session.session_id()) + " twice");
      }
    }

    proto::AclListRecord acl_record;
    proto::ZnodeRecord node_record;
    uint64_t nodes_read = 0;
    while (nodes_read < header.node_count()) {
      CORRAL_RETURN_IF_ERROR(NextRecord("a znode"));
      if (record_.type == RecordType::kAclList) {
        ++acl_lists_read_;
        if (build_) CORRAL_RETURN_IF_ERROR(ReadAclList(&acl_record));
        continue;
      }
      if (record_.type != RecordType::kZnode) return WrongType("a znode or an ACL list");
      if (build_) CORRAL_RETURN_IF_ERROR(ReadNode(&node_record, nodes_read == 0));
      ++nodes_read;
    }

    CORRAL_RETURN_IF_ERROR(NextRecord("the footer"));
    if (record_.type != RecordType::kSnapshotFooter) return WrongType("the footer");
    proto::SnapshotFooter footer;
    if (!Parse(&footer)) return Invalid(record_.offset, "footer does not decode");
    if (footer.node_count() != nodes_read || footer.session_count() != header.session_count() ||
        footer.acl_list_count() != acl_lists_read_) {
      return Invalid(record_.offset, "footer counts (" + std::to_string(footer.node_count()) +
                                         " nodes, " + std::to_string(footer.session_count()) +
                                         " sessions, " + std::to_string(footer.acl_list_count()) +
                                         " ACL lists) disagree with the records");
    }
    if (build_ && footer.digest() != digest_.value()) {
      return Invalid(record_.offset, "content digest mismatch: the footer says " +
                                         std::to_string(footer.digest()) + ", the content gives " +
                                         std::to_string(digest_.value()));
    }
    info->acl_list_count = acl_lists_read_;
    info->digest = footer.digest();
    uint64_t footer_offset = record_.offset;
    Record extra;
    auto outcome = records_.Next(&extra);
    if (outcome == RecordReader::Outcome::kIoError) return records_.status();
    if (outcome != RecordReader::Outcome::kEnd || records_.valid_end() != records_.file_size()) {
      return Invalid(footer_offset, "bytes follow the footer");
    }
    if (build_) {
      if (tree_.node_count() != nodes_read) {
        return Invalid(footer_offset, "the tree has " + std::to_string(tree_.node_count()) +
                                          " nodes, the records " + std::to_string(nodes_read));
      }
      for (const char* p : {kZooKeeperPath, kQuotaPath, kConfigPath}) {
        if (tree_.Find(p) == nullptr) {
          return Invalid(footer_offset, std::string("built-in node ") + p + " is missing");
        }
      }
    }
    return Status::Ok();
  }

  StateMachine TakeStateMachine(StateMachineOptions options) {
    return StateMachine(std::move(options), std::move(tree_), std::move(sessions_), last_zxid_);
  }

 private:
  Status Invalid(uint64_t offset, const std::string& what) {
    return CorruptionAt(path_, offset, "invalid snapshot: " + what);
  }
  Status WrongType(const std::string& expected) {
    return Invalid(record_.offset, std::string("found a ") + RecordTypeName(record_.type) +
                                       " record where " + expected + " belongs");
  }
  template <typename Message>
  bool Parse(Message* msg) {
    return msg->ParseFromArray(record_.payload.data(), static_cast<int>(record_.payload.size()));
  }

  Status NextRecord(const std::string& expected) {
    switch (records_.Next(&record_)) {
      case RecordReader::Outcome::kRecord:
        return Status::Ok();
      case RecordReader::Outcome::kEnd:
        return Invalid(records_.valid_end(), "the file ends where " + expected + " belongs");
      case RecordReader::Outcome::kTornTail:  // a cut-short snapshot is as invalid as any
      case RecordReader::Outcome::kCorruption:
        return records_.status();
      case RecordReader::Outcome::kIoError:
        return records_.status();
    }
    return Status::Ok();
  }

  Status ReadAclList(proto::AclListRecord* msg) {
    if (!Parse(msg)) return Invalid(record_.offset, "ACL list does not decode");
    zk::AclList acl;
    acl.reserve(static_cast<size_t>(msg->entries_size()));
    for (const auto& e : msg->entries())
      acl.push_back(zk::Acl{e.perms(), zk::Id{e.scheme(), e.id()}});
    digest_.AddAclList(acl);
    acls_.push_back(tree_.InternAcl(acl));
    return Status::Ok();
  }

  Status ReadNode(proto::ZnodeRecord* msg, bool first) {
    if (!Parse(msg)) return Invalid(record_.offset, "znode does not decode");
    if (msg->acl_index() >= acls_.size()) {
      return Invalid(record_.offset, "znode refers to ACL list " +
                                         std::to_string(msg->acl_index()) + " of " +
                                         std::to_string(acls_.size()));
    }
    Znode n;
    std::string path;
    path.swap(*msg->mutable_path());
    if (msg->data_null() && !msg->data().empty()) {
      return Invalid(record_.offset, "znode " + path + " has null data with " +
                                         std::to_string(msg->data().size()) + " bytes");
    }
    n.data.Assign(msg->data(), msg->data_null());
    n.acl = acls_[msg->acl_index()];
    n.czxid = msg->czxid();  // before pzxid: a pzxid equal to it is not stored
    n.mzxid = msg->mzxid();
    n.ctime = msg->ctime();
    n.mtime = msg->mtime();
    n.set_pzxid(msg->pzxid());
    n.version = msg->version();
    n.aversion = msg->aversion();
    n.set_cversion(msg->cversion());
    n.ephemeral_owner = msg->ephemeral_owner();
    if (first != (path == "/")) {
      return Invalid(record_.offset,
                     first ? "the first znode is not the root" : "the root appears twice");
    }
    digest_.AddNode(path, n, msg->acl_index());
    if (!tree_.RestoreNode(std::move(path), std::move(n))) {
      Parse(msg);  // again, for the path the message names (it was moved into the tree call)
      std::string shown = msg->path().substr(0, 200);
      return Invalid(record_.offset, "znode " + shown +
                                         " cannot be placed (duplicate, malformed path, or no "
                                         "parent before it)");
    }
    return Status::Ok();
  }

  std::string path_;
  RecordReader records_;
  Record record_;
  bool build_ = false;
  ContentDigest digest_;
  DataTree tree_;
  std::map<int64_t, SessionInfo> sessions_;
  std::vector<AclRef> acls_;
  uint64_t acl_lists_read_ = 0;
  int64_t last_zxid_ = 0;
};

}  // namespace

StatusOr<SnapshotInfo> WriteSnapshot(env::FileSystem* fs, const std::string& dir,
                                     const StateMachine& state,
                                     const SnapshotWriteOptions& options) {
  SnapshotInfo info;
  info.path = env::JoinPath(dir, SnapshotName(state.last_applied_zxid()));
  std::string temp_path = info.path + kTempSuffix;
  auto file = fs->CreateFile(temp_path);
  if (!file.ok()) return file.status();
  Status st = WriteSnapshotBody(file->get(), state, options, &info);
  if (st.ok() && options.durable) st = (*file)->Sync();
  if (st.ok()) st = (*file)->Close();
  if (st.ok()) st = fs->Rename(temp_path, info.path);
  if (!st.ok()) {
    file->reset();
    (void)fs->RemoveFile(temp_path);  // best effort: recovery removes leftovers too
    return st;
  }
  // Until the directory is synced the rename may be undone by a crash; the caller must not
  // count on the snapshot (for purging older files) before this returns OK.
  if (options.durable) CORRAL_RETURN_IF_ERROR(fs->SyncDir(dir));
  return info;
}

StatusOr<StateMachine> LoadSnapshot(env::FileSystem* fs, const std::string& path,
                                    const SnapshotLoadOptions& options, SnapshotInfo* info) {
  auto file = fs->OpenReadableFile(path);
  if (!file.ok()) return file.status();
  SnapshotInfo local;
  SnapshotReader reader(file->get(), path, options.record_bytes_max);
  CORRAL_RETURN_IF_ERROR(
      reader.Read(/*build=*/true, options.db_id, info != nullptr ? info : &local));
  return reader.TakeStateMachine(options.state_machine);
}

StatusOr<SnapshotInfo> ValidateSnapshot(env::FileSystem* fs, const std::string& path,
                                        uint64_t record_bytes_max) {
  auto file = fs->OpenReadableFile(path);
  if (!file.ok()) return file.status();
  SnapshotInfo info;
  SnapshotReader reader(file->get(), path, record_bytes_max);
  CORRAL_RETURN_IF_ERROR(reader.Read(/*build=*/false, 0, &info));
  return info;
}

StatusOr<std::vector<SnapshotFile>> ListSnapshots(env::FileSystem* fs, const std::string& dir) {
  auto names = fs->ListDir(dir);
  if (!names.ok()) return names.status();
  std::vector<SnapshotFile> out;
  for (const auto& name : *names) {
    if (auto zxid = ParseSnapshotName(name)) out.push_back({env::JoinPath(dir, name), *zxid});
  }
  std::sort(out.begin(), out.end(),
            [](const SnapshotFile& a, const SnapshotFile& b) { return a.zxid > b.zxid; });
  return out;
}

}  // namespace corral::storage
