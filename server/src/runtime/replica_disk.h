#pragma once
// ReplicaDisk: what a replica keeps on disk, and the disk half of carrying out a consensus Ready
// (consensus/replica.h): the hard state (epoch and vote) in `dataDir/epoch`, a snapshot received
// from the leader, and the transaction log. One thread at a time uses it (the disk thread, or
// the core thread for a small batch); not thread-safe.
//
// Order within one Ready, each step durable before the next:
//   1. the hard state (atomic file), so a vote or a new epoch is never forgotten after a crash;
//   2. a received snapshot: the log is first cut back to the snapshot's zxid (nothing it holds
//      after that point may survive beside the snapshot), then the snapshot file is written,
//      checked by loading it, and made visible by rename; then the log continues after it;
//   3. a truncation of an uncommitted tail;
//   4. the entries, covered by one fsync.
// A crash between any two steps leaves a state recovery accepts: the old snapshot with a log
// that is behind, or the new snapshot with a log that ends at or before it.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "consensus/replica.h"
#include "env/file_system.h"
#include "runtime/fsync_timer.h"
#include "statemachine/state_machine.h"
#include "storage/snapshot.h"
#include "storage/txn_log.h"

namespace corral {

class ReplicaDisk {
 public:
  ReplicaDisk(env::FileSystem* fs, std::string data_dir, std::unique_ptr<storage::TxnLog> log,
              storage::SnapshotLoadOptions snapshot_options);

  // The hard state saved in `data_dir` (zeros when the member never saved one).
  static StatusOr<consensus::HardState> LoadHardState(env::FileSystem* fs,
                                                      const std::string& data_dir);
  static Status SaveHardState(env::FileSystem* fs, const std::string& data_dir,
                              const consensus::HardState& hard_state);

  // True when `rd` asks for anything durable.
  static bool NeedsDisk(const consensus::Ready& rd) {
    return rd.hard_state || rd.snapshot || rd.truncate_after || !rd.entries.empty();
  }
  // Makes durable what `rd` asks for (its hard state, snapshot, truncation and entries);
  // *installed receives the state of a received snapshot. Any failure is fatal for the member
  // (the caller stops it): what reached the disk is unknown.
  Status Persist(const consensus::Ready& rd, std::optional<StateMachine>* installed);

  storage::TxnLog* log() { return log_.get(); }
  // Times every log fsync. Before this object is first used.
  void set_fsync_observer(FsyncObserver observer) { fsync_observer_ = std::move(observer); }

 private:
  FsyncObserver fsync_observer_;
  Status InstallSnapshot(const consensus::InstallSnapshot& snapshot,
                         std::optional<StateMachine>* installed);

  env::FileSystem* fs_;
  std::string data_dir_;
  std::unique_ptr<storage::TxnLog> log_;
  storage::SnapshotLoadOptions snapshot_options_;
};

// The bytes of `state` as a snapshot file, for a follower that needs the whole state. Written
// through `dir` (a scratch directory of this member) because the snapshot writer streams to a
// file, without syncing it (the follower makes its copy durable); the file is removed
// afterwards.
StatusOr<std::string> SerializeSnapshot(env::FileSystem* fs, const std::string& dir,
                                        const StateMachine& state);

}  // namespace corral
