#pragma once
// Committer: where a stamped log entry goes to become committed. The node hands every write to
// it and learns the outcome through callbacks, in log order: committed (apply it, reply), or
// aborted (it will never commit: the log could not take it). Standalone with durability, the
// transaction log is the committer (runtime/disk_committer.h); replication puts the consensus
// core here. The node does not change.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "statemachine/txn.h"

namespace corral {

// What a replicating committer knows of its ensemble, for mntr, the admin API and metrics.
// Standalone: `replicated` is false and the rest is zero.
struct EnsembleStatus {
  bool replicated = false;
  int64_t leader_id = 0;  // 0 while none is known
  int64_t epoch = 0;
  // ZooKeeper's zk_peer_state: "leading - broadcast", "following - broadcast",
  // "looking - election", or "following - synchronization" while catching up.
  std::string peer_state;
  int quorum_size = 0;  // voting members, this one included
  // Leader only (zero elsewhere), as ZooKeeper's leader gauges.
  int learners = 0;                     // peers that answered within an election timeout
  int synced_followers = 0;             // voting peers caught up with this epoch
  int synced_non_voting_followers = 0;  // always 0: no non-voting followers here
  int synced_observers = 0;
  int pending_syncs = 0;  // syncs waiting on the leader: always 0, it answers them at once
  int64_t leader_uptime_ms = 0;
  // The newest configuration does not list this member (srvr says so, since the member then
  // serves no one); removed_by_zxid is that configuration's version (0 if it is the static one).
  bool removed = false;
  int64_t removed_by_zxid = 0;
};

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
  // On the core thread.
  virtual EnsembleStatus ensemble_status() const { return EnsembleStatus{}; }
  // The configuration this member counts with, as /zookeeper/config shows it (server.N lines
  // and version=); empty standalone. For `conf`, as ZooKeeper's "membership:" section.
  virtual std::string MembershipText() const { return ""; }
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
