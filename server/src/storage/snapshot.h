#pragma once
// Snapshots: the whole state machine (every znode with all its stored fields, the sessions with
// their timeouts and passwords, the zxid of the last entry applied) in one file,
// `snapshot.<last zxid as 16 hex digits>` (proto/snapshot.proto for the record order).
//
// Writing: to `<name>.tmp`, fdatasync, rename to the final name, fsync the directory: a
// snapshot file either does not exist or is complete. Loading checks every record's frame and
// the footer's counts and digest of the logical content, so a truncated, zero-length or bit-
// flipped snapshot is reported invalid (Status::Corruption naming file and offset), never
// half-loaded.
//
// Taking a snapshot without stopping the core: WriteSnapshot is a plain function of a const
// StateMachine and a FileSystem. It takes no lock, never logs, uses no thread and reaches
// protobuf through generated code only (no reflection, so no descriptor-pool mutex), so it can
// run in a child the core thread fork()s: the child sees a copy-on-write image of the state at
// the fork, writes it through PosixFileSystem() and _exit()s with the result. (glibc's malloc
// is usable in such a child.) Call env::PosixFileSystem() and make one proto call in the parent
// first (e.g. a WriteSnapshot at startup), so every lazy one-time initialization has happened
// before the fork. The caller must not count on the snapshot (purge older files, tell peers)
// until the child reported success.
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "env/file_system.h"
#include "statemachine/state_machine.h"

namespace corral::storage {

inline constexpr uint64_t kSnapshotMagic = 0x70616e536c617272ULL;  // "rralSnap", little-endian
inline constexpr uint32_t kSnapshotFormatVersion = 1;

struct SnapshotWriteOptions {
  uint64_t db_id = 0;  // recorded in the header (see TxnLogOptions::db_id)
  // Records are gathered into writes of this size: few, large writes.
  size_t write_buffer_bytes = 4 << 20;
  // false: neither the file nor the directory is synced, so the snapshot may not survive a
  // crash. Only for a scratch copy that is read back at once (the bytes a leader sends to a
  // follower): it need not cost a flush of the whole state on the thread that asked for it.
  bool durable = true;
};

struct SnapshotInfo {
  std::string path;
  int64_t last_zxid = 0;
  uint64_t db_id = 0;
  uint64_t acl_list_count = 0;
  uint64_t session_count = 0;
  uint64_t node_count = 0;
  uint32_t digest = 0;
  uint64_t file_bytes = 0;
};

// Writes `state` as snapshot.<state.last_applied_zxid()> in `dir` (which must exist), replacing
// a snapshot of the same zxid. On failure removes the temp file when it can. See the header
// comment for running it in a forked child. One snapshot write at a time per directory: two
// writers of the same zxid would share the temp file.
StatusOr<SnapshotInfo> WriteSnapshot(env::FileSystem* fs, const std::string& dir,
                                     const StateMachine& state,
                                     const SnapshotWriteOptions& options = {});

struct SnapshotLoadOptions {
  StateMachineOptions state_machine;
  // When non-zero, a snapshot with another non-zero db id is InvalidArgument (not Corruption:
  // it is someone else's data, not damaged data).
  uint64_t db_id = 0;
  // Largest record believed; bounds what a damaged length can make the loader allocate.
  uint64_t record_bytes_max = 64ull << 20;
};

// Loads and fully checks a snapshot. Corruption (naming file and offset) for anything invalid,
// IoError when it cannot be read. *info (optional) describes it.
StatusOr<StateMachine> LoadSnapshot(env::FileSystem* fs, const std::string& path,
                                    const SnapshotLoadOptions& options,
                                    SnapshotInfo* info = nullptr);

// Checks framing, checksums, record order and counts without building the tree (fast: for
// choosing which snapshots to keep). Does not check the content digest; LoadSnapshot does.
StatusOr<SnapshotInfo> ValidateSnapshot(env::FileSystem* fs, const std::string& path,
                                        uint64_t record_bytes_max = 64ull << 20);

struct SnapshotFile {
  std::string path;
  int64_t zxid = 0;
};
// Snapshot files in `dir` (by name; temp files excluded), newest first.
StatusOr<std::vector<SnapshotFile>> ListSnapshots(env::FileSystem* fs, const std::string& dir);

}  // namespace corral::storage
