#pragma once
// Replica: the consensus core of one member. Leader-based atomic broadcast with ZooKeeper's
// zxids and Raft's rules (election by majority with epochs, log matching, commit only by a
// majority of durable copies, a leader commits entries of older epochs only through one of its
// own). Pure and deterministic: no I/O, no clock, no threads. Inputs are ticks, peer messages
// and proposals; outputs come out as a Ready that the driver carries out:
//
//   while (replica.HasReady()) {
//     Ready rd = replica.TakeReady();
//     send(rd.messages_now);                 // may go before anything is durable
//     if (rd.hard_state) persist it atomically;
//     if (rd.snapshot) install it (state + snapshot file; the log restarts after it: the core
//                      installs one only when it lacks the entry at its zxid, and then drops
//                      every entry it held);
//     if (rd.truncate_after) drop log entries with zxid > *rd.truncate_after;
//     append rd.entries; fsync;              // group commit: one fsync for the batch
//     send(rd.messages);                     // only now: they promise what is durable
//     apply(rd.committed); handle(rd.inbox);
//     replica.Advance(rd);
//   }
//
// Only one Ready is out at a time; everything that happens before Advance goes into the next
// one, so a slow fsync batches more entries (group commit) instead of queueing fsyncs.
//
// Why Raft's rules rather than Zab's phases: they are the smallest set whose safety proof is
// well known and whose failure cases (docs/replication.md) the simulator checks; the zxid, the
// epoch in its top 32 bits and the wire protocol for clients stay ZooKeeper's.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "consensus/membership.h"
#include "consensus/message.h"
#include "env/random.h"

namespace corral::consensus {

enum class Role { kFollower, kCandidate, kLeader, kObserver };
const char* RoleName(Role role);

// What must survive a restart besides the log: written atomically before any message that
// depends on it is sent.
struct HardState {
  int64_t epoch = 0;       // the highest epoch this member has seen (Raft's currentTerm)
  MemberId voted_for = 0;  // whom it voted for in `epoch` (0: nobody)
  bool operator==(const HardState&) const = default;
};

struct ReplicaOptions {
  MemberId id = 0;
  std::vector<MemberId> voters;     // every voting member, this one included unless an observer
  std::vector<MemberId> observers;  // receive the log, never vote or count toward a majority
  // A follower that hears nothing from a leader for a random number of ticks in
  // [election_timeout_ticks, 2 * election_timeout_ticks) starts an election (one that has just
  // started: in [1, 1 + election_timeout_ticks / 4)). A leader that has not heard from a
  // majority for election_timeout_ticks steps down (check quorum).
  int election_timeout_ticks = 10;
  int heartbeat_ticks = 1;
  // One append message carries at most this many entries / bytes of requests.
  size_t append_entries_max = 512;
  size_t append_bytes_max = 1 << 20;
  // Append messages a leader keeps unanswered per follower before it waits.
  int inflight_appends_max = 64;
  // Applied entries kept in memory to catch up followers: always the last cached_entries_min;
  // older ones while a follower still lacks them and they take at most cached_bytes_max. A
  // follower that needs what was dropped gets a snapshot. (zoo.cfg's commitLogCount and
  // commitLogBytes.)
  size_t cached_bytes_max = 4 << 20;
  size_t cached_entries_min = 500;
};

// The state the core starts from: the persisted HardState, and the log as recovery found it.
struct RecoveredLog {
  int64_t applied_zxid = 0;  // the state machine's zxid (its snapshot); committed by definition
  std::vector<Txn> entries;  // durable entries after applied_zxid, increasing; none applied
};

struct InstallSnapshot {
  int64_t zxid = 0;
  std::string data;
};

// A leader's view of one peer, for monitoring (mntr's learners and synced_followers).
struct PeerProgress {
  MemberId id = 0;
  bool observer = false;
  // It answered within the last election timeout.
  bool live = false;
  // It holds this leader's log up to the epoch's first entry and is being sent appends, not
  // probed or sent a snapshot: ZooKeeper's "synced" (forwarding) follower.
  bool synced = false;
  int64_t match_zxid = 0;
};

struct Ready {
  std::vector<Message> messages_now;
  std::optional<HardState> hard_state;
  std::optional<InstallSnapshot> snapshot;
  std::optional<int64_t> truncate_after;
  std::vector<Txn> entries;
  std::vector<Message> messages;
  std::vector<Txn> committed;
  std::vector<Message> inbox;  // kForward / kSyncRequest / kSyncReply / kSessionTouch for the node
};

class Replica {
 public:
  // `random` picks election timeouts; the simulator passes a seeded one.
  Replica(ReplicaOptions options, HardState hard_state, RecoveredLog log, env::Random* random);

  // Advances time by one tick.
  void Tick();
  // A message from a peer (any type; stale or misaddressed ones are dropped).
  void Step(const Message& message);
  // Leader only: assigns the next zxid to `txn` and appends it. FailedPrecondition when this
  // member is not the leader (or is handing over).
  StatusOr<int64_t> Propose(Txn txn);
  // Queues a node-level message (kForward, kSyncRequest, kSessionTouch) to the current leader.
  // FailedPrecondition when there is none known.
  Status SendToLeader(Message message);
  // Queues a node-level reply (kSyncReply) to `to`.
  void SendTo(MemberId to, Message message);

  // The node-level messages received so far (they are also in the next Ready's inbox if not
  // taken here). They promise nothing about the disk, so a driver may handle them at once
  // instead of after the fsync in progress: a forwarded write then waits for one fsync, not two.
  std::vector<Message> TakeInbox() { return std::exchange(inbox_, {}); }

  // The messages that may be sent before anything is durable (a Ready's messages_now),
  // including appends of entries proposed since the last Ready. A driver whose Ready is out
  // (an fsync in progress) sends these at once instead of holding them for the next Ready.
  std::vector<Message> TakeMessagesNow();

  bool HasReady() const;
  Ready TakeReady();
  // The driver finished `ready`: what it asked to persist is durable, its committed entries
  // are applied.
  void Advance(const Ready& ready);

  MemberId id() const { return options_.id; }
  Role role() const { return role_; }
  int64_t epoch() const { return hard_.epoch; }
  MemberId leader() const { return leader_; }  // 0 when unknown
  int64_t last_zxid() const;
  int64_t commit_zxid() const { return commit_zxid_; }
  int64_t applied_zxid() const { return applied_zxid_; }
  int64_t durable_zxid() const { return durable_zxid_; }
  const HardState& hard_state() const { return hard_; }
  // The newest membership in the log (committed or not): the one this member counts votes and
  // copies with. membership_zxid() is the entry that set it (0: the one the member started with
  // or took from a snapshot).
  const Membership& membership() const { return membership_; }
  int64_t membership_zxid() const { return membership_zxid_; }
  // The dynamic config text of the entry that set the membership; empty for the base one.
  const std::string& membership_text() const { return membership_text_; }
  // Counts the changes of the membership (an entry appended or truncated, a snapshot's): a
  // driver compares it to know when to act on the new one. At least 1 after construction.
  uint64_t membership_generation() const { return membership_generation_; }
  // The membership in force at `zxid` (base_zxid() or later): for a snapshot taken there.
  Membership MembershipAt(int64_t zxid) const;
  int64_t base_zxid() const { return base_zxid_; }
  // Entries held in memory after base_zxid(), committed or not.
  size_t cached_entries() const { return log_.size(); }
  // Leader: every peer's progress, by id. Empty on any other role.
  std::vector<PeerProgress> PeerProgresses() const;
  // True when this member may serve clients: it is the leader and the first entry of its epoch
  // is applied, or a follower whose state has caught up with the commit point its leader
  // announced when this follower first matched its log in this epoch.
  bool Synced() const;
  // Checks the core's invariants; asserts on violation. Called after every step.
  void CheckInvariants() const;

 private:
  struct Progress {
    int64_t match_zxid = 0;      // last entry known durable and matching on the follower
    int64_t next_prev_zxid = 0;  // prev_zxid of the next append
    bool probing = true;         // waiting for a reply that tells where the logs match
    bool snapshot_pending = false;
    int inflight = 0;
    bool heard = false;    // heard from it since the last check-quorum
    int silent_ticks = 0;  // ticks since it was last heard from (monitoring only)
    int64_t snapshot_ticks = 0;
    // applied_zxid_ when the snapshot was asked for: it is taken at or after this point, so the
    // entries after it are what the follower needs next (CompactCache keeps them while they
    // fit cached_bytes_max), and a reply whose prev_zxid is below it answers something sent
    // before the snapshot.
    int64_t snapshot_floor_zxid = 0;
    // A snapshot was sent and not answered before Tick gave up on it. The one sent next keeps
    // the first one's floor: the first may still be installing and answer later, and must then
    // find the entries after it (else each retry drops what the previous snapshot needs, and a
    // follower whose install takes longer than the retry never catches up).
    bool snapshot_unanswered = false;
  };

  void BecomeFollower(int64_t epoch, MemberId leader);
  void BecomeCandidate(bool pre_vote);
  void BecomeLeader();
  void StartElection(bool pre_vote);
  void SetEpoch(int64_t epoch);
  bool IsVoter(MemberId id) const;
  size_t Quorum() const;
  // Whether this member may start an election: a voter, or see the definition.
  bool MayCampaign() const;
  // A voter of the newest configuration, the base one, or any in the log.
  bool KnownVoter(MemberId id) const;
  void ResetElectionTimer();
  // At construction: a shorter timer than ResetElectionTimer's (see the definition).
  void StartFirstElectionTimer();

  void HandleVoteRequest(const Message& m);
  void HandleVoteReply(const Message& m);
  // An append or snapshot from the leader of our epoch: follow it, and start the reply.
  Message FollowSender(const Message& m);
  void HandleAppend(const Message& m);
  void HandleAppendReply(const Message& m);
  void HandleSnapshot(const Message& m);
  void HandleNodeMessage(const Message& m);
  void HandleTimeoutNow(const Message& m);
  // Leader whose removal is committed: asks the most up-to-date voter to campaign at once,
  // and stops leading.
  void HandOver();

  void SendAppend(MemberId to, bool heartbeat_only);
  void BroadcastAppend(bool heartbeat);
  void MaybeCommit();
  void Send(Message m, bool after_persist);
  // Leader: sends what proposals and a moved commit point left pending (see TakeReady).
  void FlushAppends();
  // The zxid after which some follower still needs entries (applied_zxid_ when none does).
  int64_t NeededByFollowersAfterZxid() const;
  void CompactCache();

  // The log: entries after base_zxid_, in zxid order. Entries up to base_zxid_ are applied and
  // gone from memory.
  void AppendToLog(Txn txn);
  bool HasEntry(int64_t zxid) const;
  // Index into log_ of the first entry with zxid > `zxid`.
  size_t IndexAfter(int64_t zxid) const;
  // The last zxid in the log that is <= `zxid` (base_zxid_ if none).
  int64_t LastAtOrBefore(int64_t zxid) const;
  void TruncateAfter(int64_t zxid);
  // Takes `membership` (set by the entry at `zxid`, 0 for the base): peers join or leave the
  // progress map and this member's role follows its place in it.
  void SetMembership(Membership membership, int64_t zxid);
  // The newest membership among the entries still in the log, or the base one.
  void RecomputeMembership();
  // Refuses a membership entry the single-server rule does not allow now.
  Status CheckMembershipChange(const Membership& next) const;

  ReplicaOptions options_;
  env::Random* random_;
  HardState hard_;
  bool hard_dirty_ = false;
  Role role_ = Role::kFollower;
  MemberId leader_ = 0;

  int64_t base_zxid_ = 0;
  std::deque<Txn> log_;
  size_t log_bytes_ = 0;
  int64_t stable_zxid_ = 0;   // entries <= this were handed to the driver to persist
  int64_t durable_zxid_ = 0;  // entries <= this are durable here
  int64_t commit_zxid_ = 0;
  int64_t applied_zxid_ = 0;
  int64_t handed_commit_zxid_ = 0;  // committed entries <= this were handed out to apply
  std::optional<int64_t> pending_truncate_;
  std::optional<InstallSnapshot> pending_snapshot_;
  // A received snapshot the driver has not installed yet (taken or not): the log already
  // starts after it, the state machine is not there yet.
  int64_t installing_snapshot_zxid_ = 0;
  int64_t epoch_start_zxid_ = 0;  // leader: its first entry; follower: the commit to catch up to
  bool synced_target_known_ = false;

  int election_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  int heartbeat_elapsed_ = 0;
  int check_quorum_elapsed_ = 0;
  std::set<MemberId> votes_;
  bool pre_candidate_ = false;
  bool transfer_campaign_ = false;  // this election was asked for by the leader (kTimeoutNow)
  std::map<MemberId, Progress> progress_;
  Membership membership_;        // newest in the log
  int64_t membership_zxid_ = 0;  // the entry that set it; 0 when it is base_membership_
  std::string membership_text_;  // that entry's request
  uint64_t membership_generation_ = 0;
  Membership base_membership_;  // in force at base_zxid_

  std::vector<Message> out_now_;
  std::vector<Message> out_after_persist_;
  std::vector<Message> inbox_;
  bool append_pending_ = false;  // proposals not yet sent to followers (sent at TakeReady)
  // The commit point moved: followers hear of it at the next TakeReady, not a heartbeat later
  // (they answer their own clients' writes only once they apply them).
  bool commit_broadcast_pending_ = false;
  bool ready_out_ = false;
};

}  // namespace corral::consensus
