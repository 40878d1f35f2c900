#include "env/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace corral::env {
namespace {

// strerror_r has two signatures; this picks whichever the library gives.
[[maybe_unused]] const char* PickMessage(int /*result*/, const char* buffer) { return buffer; }
[[maybe_unused]] const char* PickMessage(const char* result, const char* /*buffer*/) {
  return result;
}

Status ErrnoStatus(std::string_view operation, std::string_view path, int error) {
  char buffer[128] = {0};
  std::string message(operation);
  message += " ";
  message += path;
  message += ": ";
  message += PickMessage(strerror_r(error, buffer, sizeof buffer), buffer);
  if (error == ENOSPC || error == EDQUOT) {
    return Status::ResourceExhausted(message + " (no space left on the device holding it)");
  }
  if (error == ENOENT) return Status::NotFound(message);
  return Status::IoError(message);
}

int OpenRetrying(const char* path, int flags, mode_t mode = 0644) {
  int fd;
  do {
    fd = ::open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Writes all of data at offset, continuing after short writes and EINTR.
Status PwriteAll(int fd, const std::string& path, uint64_t offset, const char* data, size_t n) {
  while (n > 0) {
    ssize_t written = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    if (written == 0) return Status::IoError("write " + path + ": wrote nothing");
    data += written;
    n -= static_cast<size_t>(written);
    offset += static_cast<uint64_t>(written);
  }
  return Status::Ok();
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path, uint64_t position)
      : fd_(fd), path_(std::move(path)), position_(position) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Closed();
    Status st = PwriteAll(fd_, path_, position_, data.data(), data.size());
    // Even a failed write may have moved bytes; the caller treats the file as damaged anyway.
    if (st.ok()) position_ += data.size();
    return st;
  }

  uint64_t position() const override { return position_; }

  Status Preallocate(uint64_t size_bytes) override {
    if (fd_ < 0) return Closed();
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus("fstat", path_, errno);
    auto current = static_cast<uint64_t>(st.st_size);
    if (size_bytes <= current) return Status::Ok();
    int rc;
    do {
      rc = ::fallocate(fd_, 0, static_cast<off_t>(current),
                       static_cast<off_t>(size_bytes - current));
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) return Status::Ok();
    if (errno != EOPNOTSUPP && errno != ENOSYS) return ErrnoStatus("fallocate", path_, errno);
    // tmpfs before 3.5, some network file systems: write the zeros ourselves.
    static constexpr char kZeros[64 * 1024] = {};
    for (uint64_t at = current; at < size_bytes;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof kZeros, size_bytes - at));
      CORRAL_RETURN_IF_ERROR(PwriteAll(fd_, path_, at, kZeros, n));
      at += n;
    }
    return Status::Ok();
  }

  Status Truncate(uint64_t size_bytes) override {
    if (fd_ < 0) return Closed();
    int rc;
    do {
      rc = ::ftruncate(fd_, static_cast<off_t>(size_bytes));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return ErrnoStatus("ftruncate", path_, errno);
    if (position_ > size_bytes) position_ = size_bytes;
    return Status::Ok();
  }

  Status Sync() override {
    if (fd_ < 0) return Closed();
    // fdatasync also writes the metadata needed to read the data back (the size, the extents
    // that preallocated space became), which is all a log needs. No retry: see the header.
    if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_, errno);
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    int fd = std::exchange(fd_, -1);
    // close() is not retried on EINTR: on Linux the descriptor is gone either way.
    if (::close(fd) != 0 && errno != EINTR) return ErrnoStatus("close", path_, errno);
    return Status::Ok();
  }

 private:
  Status Closed() const { return Status::IoError(path_ + ": file already closed"); }

  int fd_;
  std::string path_;
  uint64_t position_;
};

class PosixReadableFile final : public ReadableFile {
 public:
  PosixReadableFile(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}
  ~PosixReadableFile() override { ::close(fd_); }

  Status Read(uint64_t offset, size_t n, char* scratch, size_t* bytes_read) override {
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        *bytes_read = done;
        return ErrnoStatus("read", path_, errno);
      }
      if (got == 0) break;  // end of file
      done += static_cast<size_t>(got);
    }
    *bytes_read = done;
    return Status::Ok();
  }

  uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::string path_;
  uint64_t size_;
};

class PosixFileSystemImpl final : public FileSystem {
 public:
  StatusOr<std::unique_ptr<WritableFile>> CreateFile(const std::string& path) override {
    int fd = OpenRetrying(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0) return ErrnoStatus("create", path, errno);
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(fd, path, 0));
  }

  StatusOr<std::unique_ptr<WritableFile>> OpenWritableFile(const std::string& path,
                                                           uint64_t position) override {
    int fd = OpenRetrying(path.c_str(), O_WRONLY);
    if (fd < 0) return ErrnoStatus("open for writing", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Status s = ErrnoStatus("fstat", path, errno);
      ::close(fd);
      return s;
    }
    if (position > static_cast<uint64_t>(st.st_size)) {
      ::close(fd);
      return Status::InvalidArgument("open " + path + " at " + std::to_string(position) +
                                     ": past its end (" + std::to_string(st.st_size) + " bytes)");
    }
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(fd, path, position));
  }

  StatusOr<std::unique_ptr<ReadableFile>> OpenReadableFile(const std::string& path) override {
    int fd = OpenRetrying(path.c_str(), O_RDONLY);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Status s = ErrnoStatus("fstat", path, errno);
      ::close(fd);
      return s;
    }
    return std::unique_ptr<ReadableFile>(
        std::make_unique<PosixReadableFile>(fd, path, static_cast<uint64_t>(st.st_size)));
  }

  StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus("list", dir, errno);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name(e->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    int error = errno;
    ::closedir(d);
    if (error != 0) return ErrnoStatus("list", dir, error);
    return names;
  }

  Status CreateDir(const std::string& dir) override {
    // mkdir -p: create each missing component in turn.
    for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
      std::string part = slash == std::string::npos ? dir : dir.substr(0, slash);
      if (!part.empty() && ::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
        return ErrnoStatus("mkdir", part, errno);
      }
      if (slash == std::string::npos) break;
    }
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return ErrnoStatus("stat", dir, errno);
    if (!S_ISDIR(st.st_mode)) return Status::IoError(dir + " exists and is not a directory");
    return Status::Ok();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus("rename", from + " to " + to, errno);
    }
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("remove", path, errno);
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = OpenRetrying(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return ErrnoStatus("open directory", dir, errno);
    Status st = ::fsync(fd) == 0 ? Status::Ok() : ErrnoStatus("fsync directory", dir, errno);
    ::close(fd);
    return st;
  }

  StatusOr<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  StatusOr<uint64_t> FreeSpaceBytes(const std::string& dir) override {
    struct statvfs st;
    if (::statvfs(dir.c_str(), &st) != 0) return ErrnoStatus("statvfs", dir, errno);
    return static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
  }
};

}  // namespace

StatusOr<std::string> FileSystem::ReadFile(const std::string& path) {
  auto file = OpenReadableFile(path);
  if (!file.ok()) return file.status();
  return ReadFileRange(path, 0, static_cast<size_t>((*file)->size()));
}

StatusOr<std::string> FileSystem::ReadFileRange(const std::string& path, uint64_t offset,
                                                size_t n) {
  auto file = OpenReadableFile(path);
  if (!file.ok()) return file.status();
  uint64_t size = (*file)->size();
  if (offset >= size) return std::string();
  n = static_cast<size_t>(std::min<uint64_t>(n, size - offset));
  std::string out(n, '\0');
  size_t got = 0;
  CORRAL_RETURN_IF_ERROR((*file)->Read(offset, n, out.data(), &got));
  out.resize(got);
  return out;
}

FileSystem* PosixFileSystem() {
  static PosixFileSystemImpl* fs = new PosixFileSystemImpl();
  return fs;
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace corral::env
