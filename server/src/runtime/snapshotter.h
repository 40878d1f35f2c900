#pragma once
// Snapshotter: writes a snapshot of the state machine every so many committed entries, without
// stopping the core. The core thread fork()s; the child sees a copy-on-write image of the state
// at that instant, writes it with storage::WriteSnapshot and _exit()s; the parent carries on at
// once and reaps the child from its ticker. (A thread-based snapshot would need a frozen copy of
// the tree or a persistent data structure; fork gives the copy for free, paying only for pages
// the core writes while the child runs. The child touches nothing but the snapshot file: no
// sockets, no locks, no logging.)
//
// When: after `snap_count` / 2 + a random share of the other half entries, chosen again after
// each snapshot, as ZooKeeper does (SyncRequestProcessor), so the members of an ensemble do not
// all snapshot at the same moment. At most one child at a time; a snapshot that is due while
// one runs waits for it.
//
// Thread-safety: core thread only.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "env/random.h"
#include "statemachine/state_machine.h"

namespace corral {

class Snapshotter {
 public:
  // done(zxid, ok, elapsed_ms) runs on the core thread when a child finishes (metrics hook in
  // there); elapsed_ms runs from the fork to the reaping of the child.
  Snapshotter(std::string snap_dir, int64_t snap_count, uint64_t db_id, env::Random* random,
              std::function<void(int64_t zxid, bool ok, int64_t elapsed_ms)> done);
  ~Snapshotter();  // kills and reaps a running child (its temp file is removed at next start)

  // After every committed entry.
  void Committed(const StateMachine& state);
  // Entries recovery replayed after the snapshot it started from: they count toward the next
  // snapshot, so the log a restart must replay stays bounded by snapCount across restarts
  // (otherwise a member restarted more often than it takes snapCount writes never snapshots).
  void CountReplayed(int64_t entries) { since_last_ += entries; }
  // From the ticker: reaps a finished child.
  void Poll();
  // Writes a snapshot now, in this process (start-up, when the state came from the log alone).
  Status WriteNow(const StateMachine& state);
  // Starts a snapshot now in a child (the admin API's snapshot command); `written` runs on the
  // core thread when it is reaped, with the snapshot's zxid and file. FailedPrecondition when a
  // snapshot is being written already, IoError when the child cannot be started.
  using Written = std::function<void(Status, int64_t zxid, std::string path)>;
  Status StartNow(const StateMachine& state, Written written);

  bool running() const { return child_pid_ > 0; }
  int64_t snapshots_taken() const { return snapshots_taken_; }

 private:
  void PickNextThreshold();
  Status Write(const StateMachine& state) const;  // no logging, no locks: the child runs it
  void Fork(const StateMachine& state);

  std::string snap_dir_;
  int64_t snap_count_;
  uint64_t db_id_;
  env::Random* random_;
  std::function<void(int64_t, bool, int64_t)> done_;
  Written written_;  // the StartNow caller waiting for the running child
  std::chrono::steady_clock::time_point child_started_;
  int64_t since_last_ = 0;
  int64_t threshold_ = 0;
  pid_t child_pid_ = -1;
  int64_t child_zxid_ = 0;
  int64_t snapshots_taken_ = 0;
};

}  // namespace corral
