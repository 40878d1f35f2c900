#pragma once
// SimDisk: what one member has on disk, and what a crash leaves of it.
//
// The driver contract (consensus/replica.h) writes a Ready's hard state, snapshot install,
// truncation and entries, then fsyncs once. A SimDisk holds that write as a list of operations
// in the order a driver performs them — hard state (its own file, replaced atomically),
// snapshot install (the snapshot file plus restarting the log after it), truncation, then one
// operation per appended entry — and makes them durable together at Sync().
//
// A crash before Sync keeps a prefix of those operations. That is what real recovery can leave:
// the metadata files are replaced atomically in that order, and the log is append-only with a
// CRC per record, so a torn record is detected and cut and only whole records before it remain.
// Keeping no operation is the common case (nothing reached the platter); keeping all of them is
// a crash after the fsync returned but before the driver acted on it. What was durable before
// the write began never vanishes.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/replica.h"
#include "statemachine/state_machine.h"
#include "statemachine/txn.h"

namespace corral::sim {

struct DiskSnapshot {
  int64_t zxid = 0;
  std::shared_ptr<const StateMachine> state;
};

class SimDisk {
 public:
  explicit SimDisk(std::shared_ptr<const StateMachine> initial_state);

  // Starts writing what `ready` asks to persist. `installed` is the state the snapshot install
  // (if any) carries. Returns an error when the Ready asks for something no log can do (append
  // out of order, truncate below the snapshot): a broken core contract, reported by the caller.
  std::optional<std::string> BeginWrite(const consensus::Ready& ready,
                                        std::shared_ptr<const StateMachine> installed);
  bool writing() const { return writing_; }
  // The fsync returned: the write in progress is durable.
  void Sync();
  // The member crashed: of the write in progress, the first `ops_kept` operations survive.
  void Crash(size_t ops_kept);
  // Operations in the write in progress (see the header comment).
  size_t pending_ops() const { return pending_.size(); }

  // The member wrote a snapshot of its own applied state (atomic: temp file, fsync, rename).
  // Log entries it covers are purged, as a real member purges old segments.
  void SaveSnapshot(std::shared_ptr<const StateMachine> state);

  const consensus::HardState& hard_state() const { return hard_state_; }
  const DiskSnapshot& snapshot() const { return snapshot_; }
  // Durable entries after the snapshot, zxids strictly increasing.
  const std::vector<Txn>& log() const { return log_; }
  // Whether `zxid` is durable here: in the log, or covered by the snapshot.
  bool Holds(int64_t zxid) const;
  // What recovery hands the core at restart.
  consensus::RecoveredLog Recover() const;

 private:
  struct Op {
    enum Kind { kHardState, kSnapshot, kTruncate, kAppend } kind;
    consensus::HardState hard_state;
    DiskSnapshot snapshot;
    int64_t zxid = 0;  // kTruncate: keep entries <= zxid
    Txn entry;
  };
  void Perform(const Op& op);

  consensus::HardState hard_state_;
  DiskSnapshot snapshot_;
  std::vector<Txn> log_;
  bool writing_ = false;
  std::vector<Op> pending_;
};

}  // namespace corral::sim
