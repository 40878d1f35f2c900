#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// ReplicatedCommitter: the Committer of a member of an ensemble. It drives the consensus core
// (consensus/replica.h) on the core thread and carries out its Readys: messages go to the peer
// transport, what must be durable goes to the disk (ReplicaDisk: on the disk thread, or on this
// thread for a small batch when the disk is idle, see PersistHere), and only when that is done
// are the messages that promise it sent and the committed entries applied to the node.
// Persist-before-send lives here, in Pump/Finish, and nowhere else.
//
// Writes: on the leader Submit stamps the leader's wall time and proposes; on a follower it
// forwards the request to the leader, whose driver stamps and proposes it. Either way the
// member that took the client's request answers it when the entry applies there.
//
// Sessions: followers report the sessions their clients were heard from every core tick; the
// leader's node expires the rest. Syncs: a follower asks the leader for its last proposed zxid
// and answers once it applied that far.
//
// Failures: any error persisting is fatal (on_fatal, which stops the process): after a failed
// fsync nothing this process believes about its files can be trusted, and a replica that keeps
// running without its log would count toward majorities it cannot honour. Its peers carry on;
// recovery at the next start reads back what checks out and the leader fills in the rest.
//
// Thread-safety: every public method runs on the core thread (the thread running `core`).
#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "consensus/replica.h"
#include "env/clock.h"
#include "node/committer.h"
#include "node/node.h"
#include "runtime/forward_stream.h"
#include "runtime/fsync_estimate.h"
#include "runtime/reconfig_planner.h"
#include "runtime/replica_disk.h"
#include "runtime/server_metrics.h"

namespace corral {

class ReplicatedCommitter : public Committer {
 public:
  using SendFn = std::function<void(consensus::Message)>;
  ReplicatedCommitter(boost::asio::io_context& core, Node* node,
                      std::unique_ptr<consensus::Replica> replica,
                      std::unique_ptr<ReplicaDisk> disk, env::FileSystem* fs,
                      std::string scratch_dir, env::Clock* clock, SendFn send, OnCommit on_commit,
                      std::function<void(const Status&)> on_fatal);
  ~ReplicatedCommitter() override;  // waits for the disk job in flight

  void Submit(Txn txn) override;
  void Sync(std::function<void(int64_t zxid)> done) override;
  EnsembleStatus ensemble_status() const override;
  std::string MembershipText() const override;
  // Elections, proposals and their times go to `metrics` (may stay null). Before the first tick.
  void SetMetrics(ServerMetrics* metrics) { metrics_ = metrics; }

  // A message from a peer, on the core thread.
  void OnPeerMessage(const consensus::Message& message);
  // One consensus tick; also reports touched sessions to the leader.
  void Tick();
  // Runs fn with the log on the disk thread between jobs (autopurge), then done on the core.
  void RunOnLog(std::function<Status(storage::TxnLog*)> fn, std::function<void(Status)> done);

  const consensus::Replica& replica() const { return *replica_; }
  // The configuration the core counts with now, with addresses (docs/membership.md).
  DynamicConfig CurrentDynamicConfig() const;
  // Called with the new configuration whenever the core's changes (an entry appended or
  // truncated, a snapshot installed), before any message for it is sent: the server opens
  // links to members that joined.
  void SetMembershipObserver(std::function<void(const DynamicConfig&)> observer) {
    membership_observer_ = std::move(observer);
  }

 private:
  // Who calls Pump decides where new entries are persisted: a message, request or tick
  // (kInput) defers an idle disk's work to a posted handler (kPosted), which persists small
  // batches on this thread; the disk thread's completion (kDiskThread) hands the next batch
  // straight back to it.
  enum class PumpFrom { kInput, kPosted, kDiskThread };
  void Pump(PumpFrom from = PumpFrom::kInput);
  // Whether `rd` is persisted on the core thread instead of the disk thread.
  bool PersistHere(const consensus::Ready& rd) const;
  // Persists `rd` with disk_ (on whichever thread owns it now); *elapsed_us: how long it took.
  Status TimedPersist(const consensus::Ready& rd, std::optional<StateMachine>* installed,
                      int64_t* elapsed_us);
  // The disk work of `rd` is done with `st` in `elapsed_us`: Finish, or stop on failure
  // (returns false).
  bool Persisted(consensus::Ready rd, const Status& st, std::optional<StateMachine> installed,
                 size_t applied_early, int64_t elapsed_us);
  // Carries out the rest of `rd` once its disk work is done; the first `applied_early`
  // committed entries were applied before it (already durable here).
  void Finish(consensus::Ready rd, std::optional<StateMachine> installed, size_t applied_early);
  void SendMessage(consensus::Message m);
  void SendMessages(std::vector<consensus::Message>* messages);  // in order; leaves it empty
  static bool CarriesEntries(const std::vector<consensus::Message>& messages);
  void HandleInbox(const consensus::Message& m);
  void ProposeStamped(Txn txn);
  ReconfigContext ReconfigContextNow(const Txn& request) const;
  // Serving as leader or follower once synced; otherwise not serving, or read-only when the
  // config allows it and no leader has been found for a grace period.
  NodeRole WantedRole() const;
  void UpdateRole();
  void NotifyMembershipChange();
  // Logs an election's outcome (with its zxid) and records its time.
  void LogRoleChange(NodeRole have, NodeRole want);

  boost::asio::io_context& core_;
  Node* node_;
  std::unique_ptr<consensus::Replica> replica_;
  // Used by one thread at a time: the disk thread while disk_busy_ or a log job is there,
  // else the core thread (PersistHere).
  std::unique_ptr<ReplicaDisk> disk_;
  env::FileSystem* fs_;
  std::string scratch_dir_;
  env::Clock* clock_;
  SendFn send_;
  OnCommit on_commit_;
  std::function<void(const Status&)> on_fatal_;

  ForwardStreamWriter forwards_out_;                    // follower
  ForwardStreamChecker forwards_in_;                    // leader
  static constexpr int64_t kReadOnlyGraceMinMs = 2000;  // ZooKeeper's lower bound
  // When this member last stopped serving as leader or follower (or started): the read-only
  // grace period and the election time run from here.
  int64_t not_serving_since_ms_;
  ServerMetrics* metrics_ = nullptr;
  int64_t leading_since_ms_ = 0;
  std::function<void(const DynamicConfig&)> membership_observer_;
  uint64_t reported_membership_generation_ = 0;  // 0: not yet reported (the core starts at 1)
  static constexpr size_t kPersistHereEntriesMax = 4;
  // PersistHere only while persisting a small batch has lately taken at most this long: on a
  // slower disk (a cloud volume's 1-2 ms flush) the two hand-offs it saves are a small part of
  // a write's time, and blocking the core thread for every write would hold up every read.
  static constexpr int64_t kPersistHereFsyncMaxUs = 250;
  FsyncEstimate persist_estimate_;  // core thread; samples: batches PersistHere could take
  bool disk_busy_ = false;          // a Ready's disk work is in progress
  bool persist_posted_ = false;     // a kPosted Pump is queued
  int log_jobs_ = 0;                // RunOnLog jobs not finished: the disk thread uses the log
  bool failed_ = false;
  int64_t next_sync_id_ = 1;
  std::map<int64_t, std::function<void(int64_t)>> syncs_;  // by request id, awaiting the leader

  boost::asio::io_context disk_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> disk_work_;
  std::thread disk_thread_;
};

}  // namespace corral
