#pragma once
// Committer: where a stamped log entry goes to become committed. The node hands every write to
// it and learns of commits through the callback, in log order. Standalone commits at once;
// the durability issue puts the transaction log (append + group fsync) here, and replication
// puts the consensus core here — the node does not change.
#include <functional>

#include "statemachine/txn.h"

namespace corral {

class Committer {
 public:
  using OnCommit = std::function<void(const Txn&)>;
  virtual ~Committer() = default;
  virtual void Submit(Txn txn) = 0;
};

// Commits every entry as soon as it is submitted (no log yet: nothing survives a restart).
class ImmediateCommitter : public Committer {
 public:
  explicit ImmediateCommitter(OnCommit on_commit) : on_commit_(std::move(on_commit)) {}
  void Submit(Txn txn) override { on_commit_(txn); }

 private:
  OnCommit on_commit_;
};

}  // namespace corral
