#pragma once
// FileSystem: every file the server reads or writes goes through this interface, so tests and
// the simulator can substitute one that loses unsynced data, tears writes and flips bits
// (env/fault_file_system.h). Modelled on LevelDB's Env file methods.
//
// Durability contract (what the POSIX implementation provides and the fault model enforces):
//   - Bytes written to a file survive a crash only after WritableFile::Sync() returned OK.
//   - A file's directory entry (its creation, a rename to it, its removal) survives a crash only
//     after SyncDir() on the directory holding it returned OK. A synced file whose entry is not
//     durable is lost with the crash.
//   - After Sync() failed, the bytes it was to make durable may be lost even if a later Sync()
//     succeeds (Linux marks the pages clean: the "fsyncgate" lesson). Callers treat a failed
//     Sync as final and stop; nothing here retries one.
//
// Errors: ENOSPC and EDQUOT come back as Status::ResourceExhausted ("no space left"), every other
// failure as Status::IoError; a missing file or directory as Status::NotFound. Messages name the
// operation and the path.
//
// Thread-safety: FileSystem methods may be called from any thread. A WritableFile or
// ReadableFile has one owner at a time.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace corral::env {

// A file open for writing at a position of the caller's choosing.
class WritableFile {
 public:
  virtual ~WritableFile() = default;  // closes the file (errors then are not reported)

  // Writes all of `data` at position() and advances position() past it. The position is
  // independent of the file's size, so preallocated space beyond it is overwritten in place.
  // A failed append may have written part of `data`.
  virtual Status Append(std::string_view data) = 0;
  virtual uint64_t position() const = 0;

  // Reserves space so the file is at least `size_bytes` long (fallocate, or writing zeros where
  // the file system cannot): appends up to there cannot fail for lack of space, and the new
  // bytes read as zeros. Never shrinks the file.
  virtual Status Preallocate(uint64_t size_bytes) = 0;

  // Sets the file's size to `size_bytes`; position() moves there if it was beyond.
  virtual Status Truncate(uint64_t size_bytes) = 0;

  // Makes every byte written so far, and the file's size, durable (fdatasync).
  virtual Status Sync() = 0;

  // Closes the file; calls after Close fail. Reports what close(2) reports.
  virtual Status Close() = 0;
};

// A file open for reading at any offset.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to n bytes at `offset` into scratch; *bytes_read is short only at the end of file.
  virtual Status Read(uint64_t offset, size_t n, char* scratch, size_t* bytes_read) = 0;
  // The file's size when it was opened.
  virtual uint64_t size() const = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates `path`, or truncates it to zero bytes if it exists, and opens it at position 0.
  virtual StatusOr<std::unique_ptr<WritableFile>> CreateFile(const std::string& path) = 0;
  // Opens an existing file for writing at `position` (not past its size).
  virtual StatusOr<std::unique_ptr<WritableFile>> OpenWritableFile(const std::string& path,
                                                                   uint64_t position) = 0;
  virtual StatusOr<std::unique_ptr<ReadableFile>> OpenReadableFile(const std::string& path) = 0;

  // Names (not paths) of the entries in `dir`, without "." and "..", in no particular order.
  virtual StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Creates `dir` and any missing parents; OK if it exists.
  virtual Status CreateDir(const std::string& dir) = 0;
  // Atomically replaces `to` (if present) with `from`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Makes the entries of `dir` (creations, renames, removals) durable (fsync of the directory).
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  // Bytes available to this process on the file system holding `dir` (statvfs f_bavail).
  virtual StatusOr<uint64_t> FreeSpaceBytes(const std::string& dir) = 0;

  // Reads a whole file (a convenience over OpenReadableFile).
  StatusOr<std::string> ReadFile(const std::string& path);
  // Reads [offset, offset + n) of a file, or less at its end.
  StatusOr<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t n);
};

// The real file system. Stateless and thread-safe; never logs and never allocates a lock, so
// it may be used in a child forked from a multi-threaded process. Every descriptor is opened
// with O_CLOEXEC.
FileSystem* PosixFileSystem();

// "dir/name" (no doubled slash).
std::string JoinPath(std::string_view dir, std::string_view name);
// The directory part of a path: "a/b/c" -> "a/b", "c" -> ".", "/c" -> "/".
std::string DirName(std::string_view path);
// The last part of a path: "a/b/c" -> "c".
std::string BaseName(std::string_view path);

}  // namespace corral::env
