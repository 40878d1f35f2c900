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
  virtual void Submit(Txn txn) = 0;
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
