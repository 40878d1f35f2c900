#include "runtime/snapshotter.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "base/log.h"
#include "env/file_system.h"
#include "storage/file_names.h"
#include "storage/snapshot.h"

namespace corral {

Snapshotter::Snapshotter(std::string snap_dir, int64_t snap_count, uint64_t db_id,
                         env::Random* random, std::function<void(int64_t, bool, int64_t)> done)
    : snap_dir_(std::move(snap_dir)),
      snap_count_(std::max<int64_t>(2, snap_count)),
      db_id_(db_id),
      random_(random),
      done_(std::move(done)) {
  PickNextThreshold();
}

Snapshotter::~Snapshotter() {
  if (child_pid_ > 0) {
    // Shutting down: an unfinished snapshot is abandoned (its temp file goes at the next start).
    kill(child_pid_, SIGKILL);
    int status = 0;
    while (waitpid(child_pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void Snapshotter::PickNextThreshold() {
  int64_t half = snap_count_ / 2;
  threshold_ = half + static_cast<int64_t>(random_->Next() % static_cast<uint64_t>(half + 1));
}

void Snapshotter::Committed(const StateMachine& state) {
  if (++since_last_ < threshold_ || child_pid_ > 0) return;
  Fork(state);
}

Status Snapshotter::Write(const StateMachine& state) const {
  storage::SnapshotWriteOptions options;
  options.db_id = db_id_;
  return storage::WriteSnapshot(env::PosixFileSystem(), snap_dir_, state, options).status();
}

Status Snapshotter::WriteNow(const StateMachine& state) {
  CORRAL_RETURN_IF_ERROR(Write(state));
  snapshots_taken_++;
  return Status::Ok();
}

Status Snapshotter::StartNow(const StateMachine& state, Written written) {
  if (child_pid_ > 0) {
    return Status::FailedPrecondition("a snapshot is being written; try again when it is done");
  }
  Fork(state);
  if (child_pid_ <= 0) return Status::IoError("cannot start a snapshot: fork failed");
  written_ = std::move(written);
  return Status::Ok();
}

void Snapshotter::Fork(const StateMachine& state) {
  since_last_ = 0;
  PickNextThreshold();
  int64_t zxid = state.last_applied_zxid();
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // The child: only the snapshot, then _exit (no destructors, no atexit, no stdio flush of
    // the parent's buffers, no logging: another thread may have held the log's lock at fork).
    // It dies with the parent, as it would in a machine crash, and gives up the parent's
    // descriptors at once, so a restarted member can bind the client port while it runs.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    // The parent's signal handlers write to a pipe closed below: plain defaults instead.
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    if (close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 65536; ++fd) close(fd);
    }
    _exit(Write(state).ok() ? 0 : 1);
  }
  if (pid < 0) {
    CORRAL_LOG(kWarn) << "cannot fork to snapshot at zxid 0x" << std::hex << zxid << std::dec
                      << ": " << std::strerror(errno) << "; trying again later";
    return;
  }
  child_pid_ = pid;
  child_zxid_ = zxid;
  child_started_ = std::chrono::steady_clock::now();
  CORRAL_LOG(kInfo) << "snapshot of zxid 0x" << std::hex << zxid << std::dec << " started (pid "
                    << pid << ")";
}

void Snapshotter::Poll() {
  if (child_pid_ <= 0) return;
  int status = 0;
  pid_t done = waitpid(child_pid_, &status, WNOHANG);
  if (done == 0 || (done < 0 && errno == EINTR)) return;
  bool ok = done == child_pid_ && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  child_pid_ = -1;
  if (ok) {
    snapshots_taken_++;
    CORRAL_LOG(kInfo) << "snapshot of zxid 0x" << std::hex << child_zxid_ << std::dec << " written";
  } else {
    // The child reports nothing but its status; the temp file it may leave is removed by the
    // next recovery. The next snapshot is tried after the usual number of entries.
    CORRAL_LOG(kWarn) << "snapshot of zxid 0x" << std::hex << child_zxid_ << std::dec
                      << " failed (child status " << status << ")";
  }
  int64_t elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - child_started_)
                           .count();
  if (done_) done_(child_zxid_, ok, elapsed_ms);
  if (written_) {
    Written written = std::move(written_);
    written_ = nullptr;
    written(ok ? Status::Ok() : Status::IoError("the snapshot could not be written; see the log"),
            child_zxid_, env::JoinPath(snap_dir_, storage::SnapshotName(child_zxid_)));
  }
}

}  // namespace corral
