#pragma once
// FaultFileSystem: an in-memory FileSystem that remembers, for every file and directory entry,
// what is durable and what is not, so a test can crash the "machine" at any point and see
// exactly what a real disk might have kept (LevelDB's fault-injection env and FoundationDB's
// simulated disk are the models).
//
// Model:
//   - Each file has its live content (what reads see) and its durable content. Writes, resizes
//     and preallocation change the live content and are queued, in order, until Sync() applies
//     them to the durable content.
//   - Each directory entry (create, rename, remove) is live at once and durable only after
//     SyncDir() on its directory. Directories themselves are durable as soon as they exist.
//   - A failed Sync (FailSyncs) drops the queued changes from the durable future for good: a
//     later Sync that succeeds does not bring them back (Linux's fsync-error semantics).
//   - Crash() keeps the durable namespace and, per file, the durable content plus what the
//     CrashMode lets through of the queued changes. Handles opened before it fail afterwards.
//
// Single-threaded: for tests and the simulator. Deterministic: the same calls and seeds give the
// same result.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "env/file_system.h"

namespace corral::env {

// What a crash does with changes that were written but not synced.
enum class CrashMode {
  kDropUnsynced,  // all of them are lost
  // They reached the disk in order up to a random point, and the write at that point was cut at
  // a random byte (a torn write). Each file independently.
  kTearUnsynced,
  // As kTearUnsynced, then one random bit flips inside what survived of them.
  kCorruptUnsynced,
};

class FaultFileSystem final : public FileSystem {
 public:
  FaultFileSystem();
  ~FaultFileSystem() override;

  StatusOr<std::unique_ptr<WritableFile>> CreateFile(const std::string& path) override;
  StatusOr<std::unique_ptr<WritableFile>> OpenWritableFile(const std::string& path,
                                                           uint64_t position) override;
  StatusOr<std::unique_ptr<ReadableFile>> OpenReadableFile(const std::string& path) override;
  StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDir(const std::string& dir) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  StatusOr<uint64_t> FileSize(const std::string& path) override;
  StatusOr<uint64_t> FreeSpaceBytes(const std::string& dir) override;

  // --- Faults --------------------------------------------------------------------------------

  // The process dies after `ops` more mutating operations (create, open for writing, append,
  // preallocate, truncate, sync, rename, remove, sync dir): the next one and every later
  // operation, reads included, fail with IoError until Crash().
  void CrashAfterOps(uint64_t ops);
  bool dead() const { return dead_; }
  // The next `count` Sync/SyncDir calls fail with IoError.
  void FailSyncs(int count) { syncs_to_fail_ = count; }
  // Appends, preallocation and growth that would make all files together exceed `bytes` fail
  // with ResourceExhausted (ENOSPC) and change nothing.
  void SetSpaceLimitBytes(uint64_t bytes) { space_limit_bytes_ = bytes; }

  // Crashes and restarts the machine (see the model above); returns a description of what was
  // kept, for failure messages.
  std::string Crash(uint64_t seed, CrashMode mode);

  // Flips bit `bit` (0-7) of byte `offset` of a file's live and durable content: media
  // corruption of data that was already safe.
  void FlipBit(const std::string& path, uint64_t offset, int bit);

  // --- Inspection ----------------------------------------------------------------------------

  uint64_t sync_calls() const { return sync_calls_; }
  uint64_t mutating_ops() const { return mutating_ops_; }
  bool Exists(const std::string& path) const { return files_.count(path) != 0; }
  // Size of the content that survives a crash in kDropUnsynced mode (0 if the entry is not
  // durable).
  uint64_t DurableSize(const std::string& path) const;
  // That content itself; nullopt if the entry is not durable.
  std::optional<std::string> DurableContent(const std::string& path) const;
  // Paths whose entries are durable (what a crash would leave), even while the process is dead.
  std::vector<std::string> DurablePaths() const;

 private:
  struct Inode;
  class Writable;
  class Readable;

  // Counts a mutating operation; fails if the process is dead or dies now.
  Status Mutate(const std::string& what, const std::string& path);
  Status CheckAlive(const std::string& what, const std::string& path) const;
  Status CheckSpace(uint64_t old_size, uint64_t new_size, const std::string& path) const;
  bool DirExists(const std::string& dir) const { return dirs_.count(dir) != 0; }

  std::map<std::string, std::shared_ptr<Inode>> files_;          // live namespace
  std::map<std::string, std::shared_ptr<Inode>> durable_files_;  // what a crash leaves
  std::set<std::string> dirs_;
  uint64_t generation_ = 0;  // bumped by Crash: older handles are dead
  bool dead_ = false;
  bool crash_armed_ = false;
  uint64_t ops_until_death_ = 0;
  int syncs_to_fail_ = 0;
  uint64_t space_limit_bytes_ = UINT64_MAX;
  uint64_t sync_calls_ = 0;
  uint64_t mutating_ops_ = 0;
};

}  // namespace corral::env
