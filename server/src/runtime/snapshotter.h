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

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "env/random.h"
#include "statemachine/state_machine.h"

namespace corral {

class Snapshotter {
 public:
  // done(zxid, ok) runs on the core thread when a child finishes (autopurge hooks in there).
  Snapshotter(std::string snap_dir, int64_t snap_count, uint64_t db_id, env::Random* random,
              std::function<void(int64_t zxid, bool ok)> done);
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
  std::function<void(int64_t, bool)> done_;
  int64_t since_last_ = 0;
  int64_t threshold_ = 0;
  pid_t child_pid_ = -1;
  int64_t child_zxid_ = 0;
  int64_t snapshots_taken_ = 0;
};

}  // namespace corral
