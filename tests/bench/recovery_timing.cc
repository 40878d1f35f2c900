// corral-bench-recovery DIR: how long each step of recovering a data directory takes, the steps
// of storage::Recover one by one (docs/benchmarks.md, "Restart"):
//
//   open     TxnLog::Open: every segment header, and the last segment scanned to its end
//   load     LoadSnapshot of the newest snapshot (read, checked, tree rebuilt)
//   read     ReadEntries after the snapshot, entries decoded but not applied
//   replay   ReadEntries again, each entry applied (so replay - read is the Apply time)
//
// Each as wall / CPU milliseconds (CPU of the whole process, so it shows when other work on the
// machine delays us), then the peak RSS. One measurement per process, so every run starts with
// a fresh heap, as a restarting server does: loop in the shell for more.
//
// DIR is both dataDir and dataLogDir (the default layout). Opening the log repairs it as a start
// would (a torn tail is truncated), so point it at a copy of a member's directory.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "env/file_system.h"
#include "storage/snapshot.h"
#include "storage/txn_log.h"

namespace {

using Clock = std::chrono::steady_clock;

double CpuMs() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

class Step {
 public:
  void Print(const char* name) {
    double wall = std::chrono::duration<double, std::milli>(Clock::now() - wall_).count();
    std::printf("%s %.0f/%.0f  ", name, wall, CpuMs() - cpu_);
    wall_ = Clock::now();
    cpu_ = CpuMs();
  }

 private:
  Clock::time_point wall_ = Clock::now();
  double cpu_ = CpuMs();
};

int Fail(const char* what, const corral::Status& status) {
  std::fprintf(stderr, "corral-bench-recovery: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace corral;
  if (argc != 2) {
    std::fprintf(stderr, "usage: corral-bench-recovery DIR   (a copy of a data directory)\n");
    return 2;
  }
  std::string dir = argv[1];
  env::FileSystem* fs = env::PosixFileSystem();
  Step step;
  Step total;
  auto log = storage::TxnLog::Open(fs, dir, {});
  if (!log.ok()) return Fail("opening the log", log.status());
  step.Print("open");
  auto snapshots = storage::ListSnapshots(fs, dir);
  if (!snapshots.ok()) return Fail("listing snapshots", snapshots.status());
  if (snapshots->empty()) return Fail("loading", Status::NotFound("no snapshot in " + dir));
  // Kept to the end of the process (never destroyed): a server does not free its tree either,
  // and freeing 500,000 nodes would be timed by nobody.
  auto* state = new StatusOr<StateMachine>(
      storage::LoadSnapshot(fs, snapshots->front().path, storage::SnapshotLoadOptions{}));
  if (!state->ok()) return Fail("loading the snapshot", state->status());
  StateMachine& sm = state->value();
  size_t nodes = sm.tree().node_count();
  step.Print("load");
  uint64_t entries = 0;
  Status read = (*log)->ReadEntries(sm.last_applied_zxid(), [&](const Txn&) {
    ++entries;
    return Status::Ok();
  });
  if (!read.ok()) return Fail("reading the log", read);
  step.Print("read");
  Status replay = (*log)->ReadEntries(sm.last_applied_zxid(), [&](const Txn& txn) {
    sm.Apply(txn);
    return Status::Ok();
  });
  if (!replay.ok()) return Fail("replaying the log", replay);
  step.Print("replay");
  total.Print("total");
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  std::printf("(ms wall/CPU; snapshot of %zu nodes, %llu entries after it, peak RSS %ld MiB)\n",
              nodes, static_cast<unsigned long long>(entries), r.ru_maxrss / 1024);
  std::fflush(stdout);
  std::_Exit(0);  // see above: no teardown
}
