#include "env/fault_file_system.h"

#include <algorithm>
#include <sstream>
#include <utility>

#include "env/random.h"

namespace corral::env {

struct FaultFileSystem::Inode {
  struct Change {
    bool is_write = true;
    uint64_t offset = 0;  // write: where; resize: the new size
    std::string bytes;    // write: what
  };
  std::string data;     // live: what reads see
  std::string durable;  // what a crash keeps
  std::vector<Change> unsynced;

  static void ApplyTo(std::string* content, const Change& c) {
    if (!c.is_write) {
      content->resize(c.offset, '\0');
      return;
    }
    if (content->size() < c.offset + c.bytes.size()) content->resize(c.offset + c.bytes.size());
    content->replace(c.offset, c.bytes.size(), c.bytes);
  }
  void Record(Change c) {
    ApplyTo(&data, c);
    unsynced.push_back(std::move(c));
  }
};

namespace {

Status Dead(const std::string& what, const std::string& path) {
  return Status::IoError(what + " " + path + ": simulated crash (the process is dead)");
}

}  // namespace

class FaultFileSystem::Writable final : public WritableFile {
 public:
  Writable(FaultFileSystem* fs, std::shared_ptr<Inode> inode, std::string path, uint64_t position)
      : fs_(fs),
        inode_(std::move(inode)),
        path_(std::move(path)),
        position_(position),
        generation_(fs->generation_) {}

  Status Append(std::string_view data) override {
    CORRAL_RETURN_IF_ERROR(Check("write"));
    uint64_t old_size = inode_->data.size();
    uint64_t new_size = std::max<uint64_t>(old_size, position_ + data.size());
    CORRAL_RETURN_IF_ERROR(fs_->CheckSpace(old_size, new_size, path_));
    inode_->Record({true, position_, std::string(data)});
    position_ += data.size();
    return Status::Ok();
  }

  uint64_t position() const override { return position_; }

  Status Preallocate(uint64_t size_bytes) override {
    CORRAL_RETURN_IF_ERROR(Check("fallocate"));
    uint64_t old_size = inode_->data.size();
    if (size_bytes <= old_size) return Status::Ok();
    CORRAL_RETURN_IF_ERROR(fs_->CheckSpace(old_size, size_bytes, path_));
    inode_->Record({false, size_bytes, {}});
    return Status::Ok();
  }

  Status Truncate(uint64_t size_bytes) override {
    CORRAL_RETURN_IF_ERROR(Check("ftruncate"));
    CORRAL_RETURN_IF_ERROR(fs_->CheckSpace(inode_->data.size(), size_bytes, path_));
    inode_->Record({false, size_bytes, {}});
    position_ = std::min(position_, size_bytes);
    return Status::Ok();
  }

  Status Sync() override {
    CORRAL_RETURN_IF_ERROR(Check("fdatasync"));
    ++fs_->sync_calls_;
    if (fs_->syncs_to_fail_ > 0) {
      --fs_->syncs_to_fail_;
      // The kernel dropped the dirty pages: these changes never reach the disk.
      inode_->unsynced.clear();
      return Status::IoError("fdatasync " + path_ + ": Input/output error (injected)");
    }
    for (const auto& c : inode_->unsynced) Inode::ApplyTo(&inode_->durable, c);
    inode_->unsynced.clear();
    return Status::Ok();
  }

  Status Close() override {
    closed_ = true;
    return Status::Ok();
  }

 private:
  Status Check(const std::string& what) {
    if (closed_) return Status::IoError(what + " " + path_ + ": file already closed");
    if (generation_ != fs_->generation_) {
      return Status::IoError(what + " " + path_ + ": handle from before a crash");
    }
    return fs_->Mutate(what, path_);
  }

  FaultFileSystem* fs_;
  std::shared_ptr<Inode> inode_;
  std::string path_;
  uint64_t position_;
  uint64_t generation_;
  bool closed_ = false;
};

class FaultFileSystem::Readable final : public ReadableFile {
 public:
  Readable(FaultFileSystem* fs, std::shared_ptr<Inode> inode, std::string path)
      : fs_(fs),
        inode_(std::move(inode)),
        path_(std::move(path)),
        size_(inode_->data.size()),
        generation_(fs->generation_) {}

  Status Read(uint64_t offset, size_t n, char* scratch, size_t* bytes_read) override {
    *bytes_read = 0;
    CORRAL_RETURN_IF_ERROR(fs_->CheckAlive("read", path_));
    if (generation_ != fs_->generation_) {
      return Status::IoError("read " + path_ + ": handle from before a crash");
    }
    const std::string& data = inode_->data;
    if (offset >= data.size()) return Status::Ok();
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, data.size() - offset));
    std::copy_n(data.data() + offset, take, scratch);
    *bytes_read = take;
    return Status::Ok();
  }

  uint64_t size() const override { return size_; }

 private:
  FaultFileSystem* fs_;
  std::shared_ptr<Inode> inode_;
  std::string path_;
  uint64_t size_;
  uint64_t generation_;
};

FaultFileSystem::FaultFileSystem() { dirs_.insert("/"); }
FaultFileSystem::~FaultFileSystem() = default;

Status FaultFileSystem::CheckAlive(const std::string& what, const std::string& path) const {
  return dead_ ? Dead(what, path) : Status::Ok();
}

Status FaultFileSystem::Mutate(const std::string& what, const std::string& path) {
  if (dead_) return Dead(what, path);
  if (crash_armed_) {
    if (ops_until_death_ == 0) {
      dead_ = true;
      return Dead(what, path);
    }
    --ops_until_death_;
  }
  ++mutating_ops_;
  return Status::Ok();
}

Status FaultFileSystem::CheckSpace(uint64_t old_size, uint64_t new_size,
                                   const std::string& path) const {
  if (new_size <= old_size || space_limit_bytes_ == UINT64_MAX) return Status::Ok();
  uint64_t used = 0;
  std::set<const Inode*> seen;
  for (const auto& [name, inode] : files_) {
    if (seen.insert(inode.get()).second) used += inode->data.size();
  }
  if (used - old_size + new_size > space_limit_bytes_) {
    return Status::ResourceExhausted("write " + path +
                                     ": No space left on device (injected; no space left on the "
                                     "device holding it)");
  }
  return Status::Ok();
}

void FaultFileSystem::CrashAfterOps(uint64_t ops) {
  crash_armed_ = true;
  ops_until_death_ = ops;
}

StatusOr<std::unique_ptr<WritableFile>> FaultFileSystem::CreateFile(const std::string& path) {
  CORRAL_RETURN_IF_ERROR(Mutate("create", path));
  if (!DirExists(DirName(path))) return Status::NotFound("create " + path + ": no such directory");
  auto it = files_.find(path);
  std::shared_ptr<Inode> inode;
  if (it != files_.end()) {
    inode = it->second;  // O_TRUNC: same file, emptied (durable only once synced)
    inode->Record({false, 0, {}});
  } else {
    inode = std::make_shared<Inode>();
    files_[path] = inode;
  }
  return std::unique_ptr<WritableFile>(std::make_unique<Writable>(this, inode, path, 0));
}

StatusOr<std::unique_ptr<WritableFile>> FaultFileSystem::OpenWritableFile(const std::string& path,
                                                                          uint64_t position) {
  CORRAL_RETURN_IF_ERROR(Mutate("open for writing", path));
  auto it = files_.find(path);
  if (it == files_.end()) return Status::NotFound("open " + path + ": no such file");
  if (position > it->second->data.size()) {
    return Status::InvalidArgument("open " + path + " at " + std::to_string(position) +
                                   ": past its end");
  }
  return std::unique_ptr<WritableFile>(
      std::make_unique<Writable>(this, it->second, path, position));
}

StatusOr<std::unique_ptr<ReadableFile>> FaultFileSystem::OpenReadableFile(const std::string& path) {
  CORRAL_RETURN_IF_ERROR(CheckAlive("open", path));
  auto it = files_.find(path);
  if (it == files_.end()) return Status::NotFound("open " + path + ": no such file");
  return std::unique_ptr<ReadableFile>(std::make_unique<Readable>(this, it->second, path));
}

StatusOr<std::vector<std::string>> FaultFileSystem::ListDir(const std::string& dir) {
  CORRAL_RETURN_IF_ERROR(CheckAlive("list", dir));
  if (!DirExists(dir)) return Status::NotFound("list " + dir + ": no such directory");
  std::vector<std::string> names;
  for (const auto& [path, inode] : files_) {
    if (DirName(path) == dir) names.push_back(BaseName(path));
  }
  for (const auto& d : dirs_) {
    if (d != dir && DirName(d) == dir) names.push_back(BaseName(d));
  }
  return names;
}

Status FaultFileSystem::CreateDir(const std::string& dir) {
  CORRAL_RETURN_IF_ERROR(CheckAlive("mkdir", dir));
  for (std::string d = dir; d != "/" && d != "." && !d.empty(); d = DirName(d)) {
    if (files_.count(d) != 0) return Status::IoError(d + " exists and is not a directory");
    dirs_.insert(d);
  }
  return Status::Ok();
}

Status FaultFileSystem::Rename(const std::string& from, const std::string& to) {
  CORRAL_RETURN_IF_ERROR(Mutate("rename", from));
  auto it = files_.find(from);
  if (it == files_.end()) return Status::NotFound("rename " + from + ": no such file");
  if (!DirExists(DirName(to))) return Status::NotFound("rename to " + to + ": no such directory");
  std::shared_ptr<Inode> inode = it->second;
  files_.erase(it);
  files_[to] = std::move(inode);
  return Status::Ok();
}

Status FaultFileSystem::RemoveFile(const std::string& path) {
  CORRAL_RETURN_IF_ERROR(Mutate("remove", path));
  if (files_.erase(path) == 0) return Status::NotFound("remove " + path + ": no such file");
  return Status::Ok();
}

Status FaultFileSystem::SyncDir(const std::string& dir) {
  CORRAL_RETURN_IF_ERROR(Mutate("fsync directory", dir));
  if (!DirExists(dir)) return Status::NotFound("fsync directory " + dir + ": no such directory");
  ++sync_calls_;
  if (syncs_to_fail_ > 0) {
    --syncs_to_fail_;
    return Status::IoError("fsync directory " + dir + ": Input/output error (injected)");
  }
  for (auto it = durable_files_.begin(); it != durable_files_.end();) {
    it = DirName(it->first) == dir ? durable_files_.erase(it) : std::next(it);
  }
  for (const auto& [path, inode] : files_) {
    if (DirName(path) == dir) durable_files_[path] = inode;
  }
  return Status::Ok();
}

StatusOr<uint64_t> FaultFileSystem::FileSize(const std::string& path) {
  CORRAL_RETURN_IF_ERROR(CheckAlive("stat", path));
  auto it = files_.find(path);
  if (it == files_.end()) return Status::NotFound("stat " + path + ": no such file");
  return static_cast<uint64_t>(it->second->data.size());
}

StatusOr<uint64_t> FaultFileSystem::FreeSpaceBytes(const std::string& dir) {
  CORRAL_RETURN_IF_ERROR(CheckAlive("statvfs", dir));
  if (space_limit_bytes_ == UINT64_MAX) return uint64_t{1} << 40;
  uint64_t used = 0;
  for (const auto& [name, inode] : files_) used += inode->data.size();
  return used >= space_limit_bytes_ ? 0 : space_limit_bytes_ - used;
}

std::string FaultFileSystem::Crash(uint64_t seed, CrashMode mode) {
  SeededRandom random(seed);
  std::ostringstream report;
  std::map<const Inode*, std::shared_ptr<Inode>> rebuilt;  // one inode may have two durable names
  std::map<std::string, std::shared_ptr<Inode>> survivors;
  for (const auto& [path, inode] : durable_files_) {
    auto done = rebuilt.find(inode.get());
    if (done != rebuilt.end()) {
      survivors[path] = done->second;
      continue;
    }
    std::string content = inode->durable;
    size_t total = inode->unsynced.size();
    size_t kept = 0;
    uint64_t torn_at = 0;
    bool torn = false;
    std::vector<std::pair<uint64_t, uint64_t>> kept_ranges;  // [offset, end) of kept writes
    if (mode != CrashMode::kDropUnsynced && total > 0) {
      kept = static_cast<size_t>(random.Below(total + 1));
      for (size_t i = 0; i < kept; ++i) {
        const auto& c = inode->unsynced[i];
        Inode::ApplyTo(&content, c);
        if (c.is_write) kept_ranges.emplace_back(c.offset, c.offset + c.bytes.size());
      }
      if (kept < total && inode->unsynced[kept].is_write && !inode->unsynced[kept].bytes.empty()) {
        const auto& c = inode->unsynced[kept];
        torn = true;
        torn_at = random.Below(c.bytes.size());
        Inode::Change partial{true, c.offset, c.bytes.substr(0, static_cast<size_t>(torn_at))};
        Inode::ApplyTo(&content, partial);
        if (torn_at > 0) kept_ranges.emplace_back(c.offset, c.offset + torn_at);
      }
    }
    report << path << ": durable " << inode->durable.size() << " bytes, kept " << kept << "/"
           << total << " unsynced changes";
    if (torn) report << ", next write torn after " << torn_at << " bytes";
    if (mode == CrashMode::kCorruptUnsynced) {
      // Flip inside what survived of the unsynced writes (clipped to the final size).
      uint64_t candidates = 0;
      for (auto& [begin, end] : kept_ranges) {
        end = std::min<uint64_t>(end, content.size());
        if (end > begin) candidates += end - begin;
      }
      if (candidates > 0) {
        uint64_t pick = random.Below(candidates);
        for (const auto& [begin, end] : kept_ranges) {
          if (end <= begin) continue;
          if (pick < end - begin) {
            int bit = static_cast<int>(random.Below(8));
            content[begin + pick] = static_cast<char>(content[begin + pick] ^ (1 << bit));
            report << ", flipped bit " << bit << " of byte " << begin + pick;
            break;
          }
          pick -= end - begin;
        }
      }
    }
    report << "; now " << content.size() << " bytes\n";
    auto fresh = std::make_shared<Inode>();
    fresh->data = content;
    fresh->durable = std::move(content);
    rebuilt[inode.get()] = fresh;
    survivors[path] = fresh;
  }
  files_ = survivors;
  durable_files_ = std::move(survivors);
  ++generation_;
  dead_ = false;
  crash_armed_ = false;
  syncs_to_fail_ = 0;
  return report.str();
}

void FaultFileSystem::FlipBit(const std::string& path, uint64_t offset, int bit) {
  auto flip = [&](std::string* s) {
    if (offset < s->size()) (*s)[offset] = static_cast<char>((*s)[offset] ^ (1 << bit));
  };
  auto it = files_.find(path);
  CORRAL_ASSERT(it != files_.end(), "FlipBit on a missing file");
  flip(&it->second->data);
  flip(&it->second->durable);
}

uint64_t FaultFileSystem::DurableSize(const std::string& path) const {
  auto it = durable_files_.find(path);
  return it == durable_files_.end() ? 0 : it->second->durable.size();
}

std::optional<std::string> FaultFileSystem::DurableContent(const std::string& path) const {
  auto it = durable_files_.find(path);
  if (it == durable_files_.end()) return std::nullopt;
  return it->second->durable;
}

std::vector<std::string> FaultFileSystem::DurablePaths() const {
  std::vector<std::string> out;
  for (const auto& [path, inode] : durable_files_) out.push_back(path);
  return out;
}

}  // namespace corral::env
