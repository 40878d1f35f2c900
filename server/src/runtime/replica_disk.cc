#include "runtime/replica_disk.h"

#include <cinttypes>
#include <cstdio>

#include "base/log.h"
#include "storage/atomic_file.h"

namespace corral {
namespace {

constexpr char kHardStateFile[] = "epoch";

std::string HardStatePath(const std::string& data_dir) {
  return env::JoinPath(data_dir, kHardStateFile);
}

StatusOr<std::string> ReadWholeFile(env::FileSystem* fs, const std::string& path) {
  auto file = fs->OpenReadableFile(path);
  if (!file.ok()) return file.status();
  std::string out((*file)->size(), '\0');
  size_t done = 0;
  while (done < out.size()) {
    size_t n = 0;
    CORRAL_RETURN_IF_ERROR((*file)->Read(done, out.size() - done, out.data() + done, &n));
    if (n == 0) return Status::IoError(path + ": shorter than its size");
    done += n;
  }
  return out;
}

}  // namespace

ReplicaDisk::ReplicaDisk(env::FileSystem* fs, std::string data_dir,
                         std::unique_ptr<storage::TxnLog> log,
                         storage::SnapshotLoadOptions snapshot_options)
    : fs_(fs),
      data_dir_(std::move(data_dir)),
      log_(std::move(log)),
      snapshot_options_(std::move(snapshot_options)) {}

StatusOr<consensus::HardState> ReplicaDisk::LoadHardState(env::FileSystem* fs,
                                                          const std::string& data_dir) {
  auto contents = storage::ReadAtomicFile(fs, HardStatePath(data_dir));
  if (!contents.ok()) {
    if (contents.status().code() == Status::Code::kNotFound) return consensus::HardState{};
    return contents.status();
  }
  consensus::HardState hs;
  long long epoch = 0;
  long long voted_for = 0;
  // Human-readable on purpose: an operator reading the file sees what it says.
  if (std::sscanf(contents->c_str(), "epoch=%lld voted_for=%lld", &epoch, &voted_for) != 2 ||
      epoch < 0 || voted_for < 0) {
    return Status::Corruption(HardStatePath(data_dir) + ": cannot parse \"" + *contents + "\"");
  }
  hs.epoch = epoch;
  hs.voted_for = voted_for;
  return hs;
}

Status ReplicaDisk::SaveHardState(env::FileSystem* fs, const std::string& data_dir,
                                  const consensus::HardState& hs) {
  char text[96];
  std::snprintf(text, sizeof(text), "epoch=%" PRId64 " voted_for=%" PRId64, hs.epoch, hs.voted_for);
  return storage::WriteFileAtomically(fs, HardStatePath(data_dir), text);
}

Status ReplicaDisk::Persist(const consensus::Ready& rd, std::optional<StateMachine>* installed) {
  if (rd.hard_state) CORRAL_RETURN_IF_ERROR(SaveHardState(fs_, data_dir_, *rd.hard_state));
  if (rd.snapshot) CORRAL_RETURN_IF_ERROR(InstallSnapshot(*rd.snapshot, installed));
  if (rd.truncate_after && *rd.truncate_after < log_->last_zxid()) {
    CORRAL_RETURN_IF_ERROR(log_->TruncateAfter(*rd.truncate_after));
  }
  for (const Txn& t : rd.entries) CORRAL_RETURN_IF_ERROR(log_->Append(t));
  if (!rd.entries.empty()) {
    CORRAL_RETURN_IF_ERROR(TimedFsync(fsync_observer_, [&] { return log_->Sync(); }));
  }
  return Status::Ok();
}

Status ReplicaDisk::InstallSnapshot(const consensus::InstallSnapshot& snapshot,
                                    std::optional<StateMachine>* installed) {
  if (log_->last_zxid() > snapshot.zxid) CORRAL_RETURN_IF_ERROR(log_->TruncateAfter(snapshot.zxid));
  char name[40];
  std::snprintf(name, sizeof(name), "snapshot.%016" PRIx64, static_cast<uint64_t>(snapshot.zxid));
  std::string path = env::JoinPath(data_dir_, name);
  std::string tmp = path + ".tmp";
  {
    auto file = fs_->CreateFile(tmp);
    if (!file.ok()) return file.status();
    CORRAL_RETURN_IF_ERROR((*file)->Append(snapshot.data));
    CORRAL_RETURN_IF_ERROR((*file)->Sync());
    CORRAL_RETURN_IF_ERROR((*file)->Close());
  }
  // Checked before it becomes visible: a damaged transfer must not become our newest snapshot.
  storage::SnapshotInfo info;
  auto state = storage::LoadSnapshot(fs_, tmp, snapshot_options_, &info);
  if (!state.ok()) {
    (void)fs_->RemoveFile(tmp);
    return Status(state.status().code(), "snapshot from the leader: " + state.status().message());
  }
  if (state->last_applied_zxid() != snapshot.zxid) {
    (void)fs_->RemoveFile(tmp);
    return Status::Corruption("snapshot from the leader is at zxid " +
                              std::to_string(state->last_applied_zxid()) + ", announced " +
                              std::to_string(snapshot.zxid));
  }
  CORRAL_RETURN_IF_ERROR(fs_->Rename(tmp, path));
  CORRAL_RETURN_IF_ERROR(fs_->SyncDir(data_dir_));
  if (log_->last_zxid() < snapshot.zxid) CORRAL_RETURN_IF_ERROR(log_->SkipTo(snapshot.zxid));
  CORRAL_LOG(kInfo) << "installed the leader's snapshot at zxid 0x" << std::hex << snapshot.zxid
                    << std::dec << " (" << info.node_count << " znodes, " << snapshot.data.size()
                    << " bytes)";
  installed->emplace(std::move(state).value());
  return Status::Ok();
}

StatusOr<std::string> SerializeSnapshot(env::FileSystem* fs, const std::string& dir,
                                        const StateMachine& state) {
  Status made = fs->CreateDir(dir);
  (void)made;  // exists already, or WriteSnapshot reports why it cannot write there
  // Read back and removed at once: nothing to flush, which on a slow disk would hold the
  // leader's core thread for a flush of the whole state.
  storage::SnapshotWriteOptions options;
  options.durable = false;
  auto written = storage::WriteSnapshot(fs, dir, state, options);
  if (!written.ok()) return written.status();
  auto bytes = ReadWholeFile(fs, written->path);
  (void)fs->RemoveFile(written->path);
  return bytes;
}

}  // namespace corral
