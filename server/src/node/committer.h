#pragma once
// Committer: where a stamped log entry goes to become committed. The node hands every write to
// it and learns the outcome through callbacks, in log order: committed (apply it, reply), or
// aborted (it will never commit: the log could not take it). Standalone with durability, the
// transaction log is the committer (runtime/disk_committer.h); replication puts the consensus
// core here. The node does not change.
#include <functional>
#include <vector>

#include "base/status.h"
#include "statemachine/txn.h"

namespace corral {

class Committer {
 public:
  using OnCommit = std::function<void(const Txn&)>;
  // Entries that will never commit, oldest first: each one submitted and not yet committed at
  // the time, so the zxids after the last committed entry are free again.
  using OnAbort = std::function<void(const std::vector<Txn>&, const Status&)>;
  virtual ~Committer() = default;
  // Standalone, the node numbers entries (txn.zxid); a replicating committer replaces the zxid
  // (and, on the leader, the time) with the leader's.
  virtual void Submit(Txn txn) = 0;
  // A client's sync: calls done(zxid) on the core thread with the zxid this member must have
  // applied before it answers. Standalone this member is the leader and every earlier write of
  // the session is ahead of the sync in its queue: nothing more to wait for.
  virtual void Sync(std::function<void(int64_t zxid)> done) { done(0); }
};

// Commits every entry as soon as it is submitted: nothing survives a restart. For unit tests
// and tools that need a node without a disk.
class ImmediateCommitter : public Committer {
 public:
  explicit ImmediateCommitter(OnCommit on_commit) : on_commit_(std::move(on_commit)) {}
  void Submit(Txn txn) override { on_commit_(txn); }

 private:
  OnCommit on_commit_;
};

}  // namespace corral
