#include "consensus/replica.h"

#include <algorithm>
#include <string>

#include "base/assert.h"

namespace corral::consensus {
namespace {

// The zxid counter is 32 bits. A leader that gets near the end steps down so the next leader
// starts a new epoch (ZooKeeper forces an election at the same point).
constexpr int64_t kCounterMax = 0xfffffff0LL;

// What an entry costs held in log_ (and roughly on the wire): the Txn, its request's shared
// block and bytes. Identities are shared by a session's entries and left out. Counting only the
// request made the 64 MiB cache hold about twice that in memory.
size_t EntryBytes(const Txn& t) { return sizeof(Txn) + 64 + t.request->size(); }

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
    case Role::kObserver:
      return "observer";
  }
  return "unknown";
}

Replica::Replica(ReplicaOptions options, HardState hard_state, RecoveredLog log,
                 env::Random* random)
    : options_(std::move(options)), random_(random), hard_(hard_state) {
  CORRAL_ASSERT(options_.id != 0, "member id 0 is reserved for 'nobody'");
  CORRAL_ASSERT(options_.election_timeout_ticks > options_.heartbeat_ticks,
                "election timeout must exceed the heartbeat interval");
  base_zxid_ = log.applied_zxid;
  // The options name the membership in force at the recovered state; entries in the log may
  // change it again.
  base_membership_.voters = options_.voters;
  base_membership_.observers = options_.observers;
  std::sort(base_membership_.voters.begin(), base_membership_.voters.end());
  std::sort(base_membership_.observers.begin(), base_membership_.observers.end());
  SetMembership(base_membership_, 0);
  for (Txn& t : log.entries) AppendToLog(std::move(t));
  stable_zxid_ = durable_zxid_ = last_zxid();
  commit_zxid_ = applied_zxid_ = handed_commit_zxid_ = base_zxid_;
  StartFirstElectionTimer();
}

int64_t Replica::last_zxid() const { return log_.empty() ? base_zxid_ : log_.back().zxid; }

bool Replica::IsVoter(MemberId id) const { return membership_.IsVoter(id); }

size_t Replica::Quorum() const { return membership_.Quorum(); }

bool Replica::KnownVoter(MemberId id) const {
  if (IsVoter(id) || base_membership_.IsVoter(id)) return true;
  for (const Txn& entry : log_) {
    if (auto m = MembershipOfEntry(entry); m && m->IsVoter(id)) return true;
  }
  return false;
}

bool Replica::MayCampaign() const {
  if (IsVoter(options_.id)) return true;
  // A voter that the newest, uncommitted configuration turns out (or into an observer) may be
  // needed to elect the leader that commits it (Raft thesis §4.2.2): the only voters of the
  // new configuration may lack that entry and so need its vote, while it counts only theirs.
  // The simulator found an ensemble stuck without this.
  return membership_zxid_ > commit_zxid_ && MembershipAt(membership_zxid_ - 1).IsVoter(options_.id);
}

void Replica::ResetElectionTimer() {
  election_elapsed_ = 0;
  randomized_election_timeout_ =
      options_.election_timeout_ticks +
      static_cast<int>(random_->Next() % static_cast<uint64_t>(options_.election_timeout_ticks));
}

void Replica::StartFirstElectionTimer() {
  // A member that has just started knows of no leader, and waiting a whole election timeout to
  // conclude there is none was most of the time a restarted ensemble took to serve again
  // (ZooKeeper starts its election at once). So it campaigns after one to a quarter of an
  // election timeout's ticks. Where a leader is alive that campaign is only a pre-vote, which
  // the members hearing the leader ignore (leader stickiness in HandleVoteRequest): it cannot
  // depose the leader or raise the epoch, and the leader's next message makes this member
  // follow. The spread keeps members that start together from all campaigning in the same
  // tick; if their votes split all the same, nobody wins and the next round waits the full
  // randomized timeout, as after any split.
  election_elapsed_ = 0;
  const int spread = std::max(1, options_.election_timeout_ticks / 4);
  randomized_election_timeout_ =
      1 + static_cast<int>(random_->Next() % static_cast<uint64_t>(spread));
}

void Replica::SetEpoch(int64_t epoch) {
  CORRAL_ASSERT(epoch >= hard_.epoch, "epochs never go back");
  if (epoch == hard_.epoch) return;
  hard_.epoch = epoch;
  hard_.voted_for = 0;
  hard_dirty_ = true;
}

// ---------------------------------------------------------------------------------------------
// Roles

void Replica::BecomeFollower(int64_t epoch, MemberId leader) {
  SetEpoch(epoch);
  transfer_campaign_ = false;
  if (leader_ != leader || role_ == Role::kLeader || role_ == Role::kCandidate) {
    synced_target_known_ = false;
  }
  role_ = IsVoter(options_.id) ? Role::kFollower : Role::kObserver;
  leader_ = leader;
  pre_candidate_ = false;
  votes_.clear();
  ResetElectionTimer();
}

void Replica::StartElection(bool pre_vote) {
  votes_.clear();
  if (IsVoter(options_.id)) votes_.insert(options_.id);  // see MayCampaign for the others
  pre_candidate_ = pre_vote;
  leader_ = 0;
  synced_target_known_ = false;
  int64_t asked_epoch = hard_.epoch + 1;
  if (pre_vote) transfer_campaign_ = false;
  if (pre_vote) {
    // A pre-vote round is a follower's question, even from a candidate whose election timed
    // out: late grants of its real vote must not be counted with pre-vote grants (the
    // simulator found two leaders in one epoch that way).
    role_ = Role::kFollower;
  } else {
    role_ = Role::kCandidate;
    SetEpoch(asked_epoch);
    hard_.voted_for = options_.id;
    hard_dirty_ = true;
  }
  ResetElectionTimer();
  if (votes_.size() >= Quorum()) {
    // A pre-vote we win alone goes on to the real election. The real one, won with our own
    // vote alone (a single voter), makes us leader only once that vote and epoch are durable
    // (Advance): leading first, a crash could lead the same epoch again after a restart and
    // give followers two different entries under one zxid.
    if (pre_vote) StartElection(false);
    return;
  }
  for (MemberId m : membership_.voters) {
    if (m == options_.id) continue;
    Message req;
    req.type = MessageType::kVoteRequest;
    req.transfer = transfer_campaign_;
    req.to = m;
    req.epoch = asked_epoch;
    req.pre_vote = pre_vote;
    req.last_zxid = last_zxid();
    // A real vote request promises our own vote is cast (voted_for): persist first.
    Send(std::move(req), /*after_persist=*/!pre_vote);
  }
}

void Replica::BecomeLeader() {
  transfer_campaign_ = false;
  role_ = Role::kLeader;
  leader_ = options_.id;
  pre_candidate_ = false;
  votes_.clear();
  heartbeat_elapsed_ = 0;
  check_quorum_elapsed_ = 0;
  election_elapsed_ = 0;
  for (auto& [id, pr] : progress_) {
    pr = Progress{};
    pr.next_prev_zxid = last_zxid();
    pr.silent_ticks = options_.election_timeout_ticks;  // not live until it answers
  }
  // The first entry of the epoch: once a majority has it, everything before it is committed,
  // and this leader may serve (see Synced()).
  Txn start;
  start.zxid = MakeZxid(hard_.epoch, 0);
  start.type = kTxnEpochStart;
  epoch_start_zxid_ = start.zxid;
  AppendToLog(std::move(start));
  BroadcastAppend(/*heartbeat=*/false);
}

// ---------------------------------------------------------------------------------------------
// Inputs

void Replica::Tick() {
  if (role_ == Role::kLeader) {
    if (++heartbeat_elapsed_ >= options_.heartbeat_ticks) {
      heartbeat_elapsed_ = 0;
      BroadcastAppend(/*heartbeat=*/true);
    }
    for (auto& [id, pr] : progress_) {
      pr.silent_ticks++;
      if (pr.snapshot_pending && ++pr.snapshot_ticks > 4 * options_.election_timeout_ticks) {
        // No answer to the snapshot: send it again from scratch.
        pr.snapshot_pending = false;
        pr.snapshot_unanswered = true;
        pr.probing = true;
        pr.inflight = 0;
      }
    }
    // Followers that caught up since the last apply free what they held on to.
    CompactCache();
    if (++check_quorum_elapsed_ >= options_.election_timeout_ticks) {
      check_quorum_elapsed_ = 0;
      election_elapsed_ = 0;
      size_t heard = IsVoter(options_.id) ? 1 : 0;
      for (auto& [id, pr] : progress_) {
        if (pr.heard && IsVoter(id)) heard++;
        pr.heard = false;
      }
      if (heard < Quorum()) BecomeFollower(hard_.epoch, 0);  // cut off: stop serving
    }
    return;
  }
  election_elapsed_++;
  if (role_ == Role::kObserver && !MayCampaign()) {
    // An observer never campaigns, but a leader silent for an election timeout is gone (or cut
    // off and stepped down): stop following it, so the node stops serving, until a leader's
    // message arrives and syncs this member again.
    if (leader_ != 0 && election_elapsed_ >= randomized_election_timeout_) {
      leader_ = 0;
      synced_target_known_ = false;
    }
    return;
  }
  if (election_elapsed_ >= randomized_election_timeout_) StartElection(/*pre_vote=*/true);
}

void Replica::Step(const Message& m) {
  // Messages from members outside the membership are dropped, except from the leader we
  // follow (a leader that is removing itself leads until that entry commits) and a leader's
  // appends and snapshots: only a leader elected by a majority of voters sends them, and one
  // that this member does not know yet is how it learns of a newer configuration (the
  // simulator found a member left out for good: it dropped the appends that would have told it
  // that it was still, or again, in the ensemble). Vote requests are sorted out by
  // HandleVoteRequest, which answers voters of any configuration this member holds.
  const bool judged_later = m.type == MessageType::kAppend || m.type == MessageType::kSnapshot ||
                            m.type == MessageType::kVoteRequest;
  if (m.to != options_.id || m.from == options_.id ||
      (progress_.count(m.from) == 0 && !judged_later && (m.from != leader_ || leader_ == 0))) {
    return;
  }
  switch (m.type) {
    case MessageType::kForward:
    case MessageType::kSyncRequest:
    case MessageType::kSyncReply:
    case MessageType::kSessionTouch:
    case MessageType::kForwardBroken:
      HandleNodeMessage(m);
      return;
    case MessageType::kVoteRequest:
      HandleVoteRequest(m);
      return;
    default:
      break;
  }
  if (m.epoch > hard_.epoch) {
    if (m.type == MessageType::kVoteReply && m.pre_vote && m.granted) {
      // A granted pre-vote echoes the epoch we would campaign for; it is not a newer epoch.
    } else if (m.type == MessageType::kAppend || m.type == MessageType::kSnapshot) {
      BecomeFollower(m.epoch, m.from);
    } else {
      BecomeFollower(m.epoch, 0);
    }
  } else if (m.epoch < hard_.epoch) {
    if (m.type == MessageType::kAppend || m.type == MessageType::kSnapshot) {
      // A leader of an older epoch: tell it so it steps down.
      Message reply;
      reply.type = MessageType::kAppendReply;
      reply.to = m.from;
      reply.success = false;
      reply.prev_zxid = 0;
      Send(std::move(reply), /*after_persist=*/false);
    }
    return;
  }
  switch (m.type) {
    case MessageType::kVoteReply:
      HandleVoteReply(m);
      return;
    case MessageType::kAppend:
      HandleAppend(m);
      return;
    case MessageType::kAppendReply:
      HandleAppendReply(m);
      return;
    case MessageType::kSnapshot:
      HandleSnapshot(m);
      return;
    case MessageType::kTimeoutNow:
      HandleTimeoutNow(m);
      return;
    default:
      return;
  }
}

void Replica::HandleTimeoutNow(const Message& m) {
  if (m.from != leader_ || !IsVoter(options_.id) || role_ == Role::kLeader) return;
  transfer_campaign_ = true;
  StartElection(/*pre_vote=*/false);
}

void Replica::HandOver() {
  MemberId successor = 0;
  int64_t best = -1;
  for (const auto& [id, pr] : progress_) {
    if (IsVoter(id) && pr.match_zxid > best) {
      best = pr.match_zxid;
      successor = id;
    }
  }
  if (successor != 0) {
    Message m;
    m.type = MessageType::kTimeoutNow;
    m.to = successor;
    // After the commit point went out (FlushAppends), so the successor holds the entry that
    // removed us before it campaigns; it is a message about nothing durable here.
    FlushAppends();
    Send(std::move(m), /*after_persist=*/false);
  }
  BecomeFollower(hard_.epoch, 0);
}

void Replica::HandleVoteRequest(const Message& m) {
  // Raft answers any candidate, and so must this: a candidate made a voter by a configuration
  // this member has not received yet may need its vote, and two members with different
  // uncommitted configurations could otherwise wait for each other forever (the simulator
  // found both). Whether this member is itself a voter does not matter either: the candidate
  // counts only the voters of its own configuration. The exception is a member that no
  // configuration here lists as a voter and that holds none of the ensemble's log: one never
  // configured, which must not disturb the ensemble even where every log is still empty.
  // (Elsewhere the up-to-date rule below refuses a member with a stale log anyway.)
  if (m.last_zxid == 0 && !KnownVoter(m.from)) return;
  // Leader stickiness: while this member has heard from a live leader within the election
  // timeout, it ignores campaigns, so a member that was only cut off from the leader cannot
  // depose it (and check quorum makes a leader that lost its majority step down).
  // A campaign the leader itself asked for (kTimeoutNow) is not one to ignore.
  bool in_lease =
      leader_ != 0 && election_elapsed_ < options_.election_timeout_ticks && !m.transfer;
  if (m.epoch > hard_.epoch && in_lease) return;
  Message reply;
  reply.type = MessageType::kVoteReply;
  reply.to = m.from;
  reply.pre_vote = m.pre_vote;
  bool up_to_date = m.last_zxid >= last_zxid();
  if (m.pre_vote) {
    reply.granted = m.epoch > hard_.epoch && up_to_date;
    // A grant echoes the asked epoch; a refusal carries ours so a stale asker catches up.
    reply.epoch = reply.granted ? m.epoch : hard_.epoch;
    Send(std::move(reply), /*after_persist=*/false);
    return;
  }
  if (m.epoch < hard_.epoch) {
    reply.granted = false;
    reply.epoch = hard_.epoch;
    Send(std::move(reply), false);
    return;
  }
  if (m.epoch > hard_.epoch) BecomeFollower(m.epoch, 0);
  bool can_vote = hard_.voted_for == 0 || hard_.voted_for == m.from;
  reply.granted = can_vote && up_to_date;
  reply.epoch = hard_.epoch;
  if (reply.granted) {
    if (hard_.voted_for != m.from) {
      hard_.voted_for = m.from;
      hard_dirty_ = true;
    }
    ResetElectionTimer();
  }
  // The vote must be durable before the candidate hears of it: a restarted member that forgot
  // it could vote twice in one epoch.
  Send(std::move(reply), /*after_persist=*/true);
}

void Replica::HandleVoteReply(const Message& m) {
  if (!IsVoter(m.from) || !m.granted) return;
  if (m.pre_vote) {
    if (!pre_candidate_ || m.epoch != hard_.epoch + 1) return;
    votes_.insert(m.from);
    if (votes_.size() >= Quorum()) StartElection(/*pre_vote=*/false);
    return;
  }
  if (role_ != Role::kCandidate || pre_candidate_ || m.epoch != hard_.epoch) return;
  votes_.insert(m.from);
  if (votes_.size() >= Quorum()) BecomeLeader();
}

Message Replica::FollowSender(const Message& m) {
  if (role_ == Role::kCandidate || pre_candidate_ || leader_ != m.from) {
    BecomeFollower(hard_.epoch, m.from);
  }
  election_elapsed_ = 0;
  Message reply;
  reply.type = MessageType::kAppendReply;
  reply.to = m.from;
  return reply;
}

void Replica::HandleAppend(const Message& m) {
  // Only the leader of an epoch sends appends in it; the leader itself never receives one.
  CORRAL_ASSERT(role_ != Role::kLeader, "two leaders in one epoch");
  Message reply = FollowSender(m);
  reply.prev_zxid = m.prev_zxid;
  // Entries up to our commit point are the leader's too (committed prefixes agree).
  bool matched = m.prev_zxid <= commit_zxid_ || HasEntry(m.prev_zxid);
  if (!matched) {
    reply.success = false;
    reply.match_zxid = LastAtOrBefore(m.prev_zxid - 1);
    Send(std::move(reply), /*after_persist=*/true);
    return;
  }
  int64_t prev = m.prev_zxid;
  for (const Txn& e : m.entries) {
    CORRAL_ASSERT(e.zxid > prev, "append entries out of order");
    if (e.zxid <= commit_zxid_ || HasEntry(e.zxid)) {
      prev = e.zxid;  // the same entry (one zxid, one entry)
      continue;
    }
    // Anything we hold after `prev` is not in the leader's log: drop it.
    if (last_zxid() > prev) TruncateAfter(prev);
    AppendToLog(e);
    prev = e.zxid;
  }
  int64_t last_new = m.entries.empty() ? m.prev_zxid : m.entries.back().zxid;
  last_new = std::max(last_new, std::min(commit_zxid_, last_zxid()));
  if (m.commit_zxid > commit_zxid_) {
    commit_zxid_ = std::max(commit_zxid_, std::min(m.commit_zxid, last_new));
  }
  if (!synced_target_known_) {
    synced_target_known_ = true;
    epoch_start_zxid_ = m.commit_zxid;
  }
  reply.success = true;
  reply.match_zxid = last_new;
  // Sent once everything up to last_new is durable (the driver persists this Ready first).
  Send(std::move(reply), /*after_persist=*/true);
}

void Replica::HandleSnapshot(const Message& m) {
  CORRAL_ASSERT(role_ != Role::kLeader, "two leaders in one epoch");
  Message reply = FollowSender(m);
  reply.success = true;
  reply.prev_zxid = m.snapshot_zxid;
  if (m.snapshot_zxid <= commit_zxid_) {
    reply.match_zxid = commit_zxid_;  // we have that much already
    Send(std::move(reply), true);
    return;
  }
  if (HasEntry(m.snapshot_zxid)) {
    // We hold that very entry, so everything before it is the leader's too (one zxid, one
    // entry): keep the log, which may hold entries after it that we already acknowledged, and
    // catch up by applying. Installing would drop those and break the acknowledgement.
    reply.match_zxid = m.snapshot_zxid;
    Send(std::move(reply), true);
    return;
  }
  // We lack the entry at the snapshot point, so nothing we hold after it matches the leader's
  // log (and nothing of it was acknowledged to this leader): the snapshot replaces the log, and
  // everything the leader has after it comes with the next appends.
  log_.clear();
  log_bytes_ = 0;
  pending_truncate_.reset();
  base_zxid_ = m.snapshot_zxid;
  if (!m.snapshot_voters.empty()) {
    base_membership_.voters = m.snapshot_voters;
    base_membership_.observers = m.snapshot_observers;
  }
  RecomputeMembership();
  stable_zxid_ = durable_zxid_ = base_zxid_;
  commit_zxid_ = handed_commit_zxid_ = base_zxid_;
  pending_snapshot_ = InstallSnapshot{m.snapshot_zxid, m.snapshot};
  installing_snapshot_zxid_ = m.snapshot_zxid;
  if (!synced_target_known_) {
    synced_target_known_ = true;
    epoch_start_zxid_ = m.snapshot_zxid;
  }
  reply.match_zxid = m.snapshot_zxid;
  Send(std::move(reply), true);
}

void Replica::HandleAppendReply(const Message& m) {
  if (role_ != Role::kLeader) return;
  Progress& pr = progress_[m.from];
  pr.heard = true;
  pr.silent_ticks = 0;
  if (m.success) {
    pr.match_zxid = std::max(pr.match_zxid, m.match_zxid);
    if (pr.snapshot_pending && m.prev_zxid < pr.snapshot_floor_zxid) {
      // The answer to a heartbeat (prev 0) or to an append sent before the snapshot: the
      // follower still lacks entries no longer held, and the snapshot's own answer is due.
      // Taking it as the end of the snapshot sent another one per append still in flight.
      MaybeCommit();
      return;
    }
    if (pr.snapshot_pending || pr.probing) {
      pr.snapshot_pending = false;
      pr.snapshot_unanswered = false;
      pr.probing = false;
      pr.inflight = 0;
      pr.next_prev_zxid = pr.match_zxid;
    } else {
      pr.inflight = std::max(0, pr.inflight - 1);
      if (pr.match_zxid >= pr.next_prev_zxid) {
        pr.inflight = 0;
        pr.next_prev_zxid = pr.match_zxid;
      }
    }
    MaybeCommit();
    if (pr.next_prev_zxid < last_zxid()) SendAppend(m.from, /*heartbeat_only=*/false);
    return;
  }
  // Refused. A refusal of something at or below what is known to match is stale.
  if (m.prev_zxid <= pr.match_zxid || pr.snapshot_pending) return;
  pr.probing = true;
  pr.inflight = 0;
  int64_t hint = std::min(m.match_zxid, m.prev_zxid - 1);
  pr.next_prev_zxid = std::max(pr.match_zxid, hint < base_zxid_ ? hint : LastAtOrBefore(hint));
  SendAppend(m.from, /*heartbeat_only=*/false);
}

void Replica::HandleNodeMessage(const Message& m) {
  if (m.epoch != hard_.epoch) return;  // meant for another epoch's leader or follower
  if (m.type == MessageType::kSyncReply || m.type == MessageType::kForwardBroken) {
    if (role_ != Role::kLeader && leader_ == m.from) inbox_.push_back(m);
    return;
  }
  if (role_ == Role::kLeader) inbox_.push_back(m);
}

StatusOr<int64_t> Replica::Propose(Txn txn) {
  if (role_ != Role::kLeader) return Status::FailedPrecondition("not the leader");
  int64_t last = last_zxid();
  CORRAL_ASSERT(EpochOf(last) == hard_.epoch, "a leader's log ends in its own epoch");
  if (CounterOf(last) >= kCounterMax) {
    BecomeFollower(hard_.epoch, 0);
    return Status::FailedPrecondition("zxid counter exhausted; a new epoch is needed");
  }
  if (auto next = MembershipOfEntry(txn)) {
    Status allowed = CheckMembershipChange(*next);
    if (!allowed.ok()) return allowed;
  }
  txn.zxid = last + 1;
  AppendToLog(std::move(txn));
  append_pending_ = true;
  return log_.back().zxid;
}

Status Replica::SendToLeader(Message m) {
  if (leader_ == 0) return Status::FailedPrecondition("no leader known");
  m.from = options_.id;
  m.epoch = hard_.epoch;
  if (leader_ == options_.id) {
    m.to = options_.id;
    inbox_.push_back(std::move(m));
    return Status::Ok();
  }
  m.to = leader_;
  Send(std::move(m), /*after_persist=*/false);
  return Status::Ok();
}

void Replica::SendTo(MemberId to, Message m) {
  m.to = to;
  if (to == options_.id) {
    m.from = options_.id;
    m.epoch = hard_.epoch;
    inbox_.push_back(std::move(m));
    return;
  }
  Send(std::move(m), /*after_persist=*/false);
}

// ---------------------------------------------------------------------------------------------
// Replication

void Replica::BroadcastAppend(bool heartbeat) {
  for (auto& [id, pr] : progress_) {
    if (heartbeat && pr.probing) {
      pr.inflight = 0;  // the last probe may be lost: probe again
      SendAppend(id, false);
    } else {
      SendAppend(id, /*heartbeat_only=*/heartbeat);
    }
  }
}

void Replica::SendAppend(MemberId to, bool heartbeat_only) {
  Progress& pr = progress_[to];
  Message m;
  m.to = to;
  if (pr.snapshot_pending) {
    if (!heartbeat_only) return;
    // Keeps the follower from campaigning while it loads the snapshot. prev 0 claims nothing
    // (its reply changes no progress); the commit point tells it what to catch up to.
    m.type = MessageType::kAppend;
    m.prev_zxid = 0;
    m.commit_zxid = commit_zxid_;
    Send(std::move(m), false);
    return;
  }
  if (pr.next_prev_zxid < base_zxid_) {
    // The entries it needs are gone from memory: it gets the state instead.
    m.type = MessageType::kSnapshot;
    pr.snapshot_pending = true;
    pr.snapshot_ticks = 0;
    if (!pr.snapshot_unanswered) pr.snapshot_floor_zxid = applied_zxid_;
    Send(std::move(m), false);
    return;
  }
  if (!heartbeat_only && !pr.probing && pr.inflight >= options_.inflight_appends_max) return;
  if (!heartbeat_only && pr.probing && pr.inflight > 0) return;
  m.type = MessageType::kAppend;
  m.prev_zxid = pr.next_prev_zxid;
  if (!heartbeat_only) {
    size_t bytes = 0;
    for (size_t i = IndexAfter(pr.next_prev_zxid); i < log_.size(); ++i) {
      if (m.entries.size() >= options_.append_entries_max) break;
      if (!m.entries.empty() && bytes + EntryBytes(log_[i]) > options_.append_bytes_max) break;
      bytes += EntryBytes(log_[i]);
      m.entries.push_back(log_[i]);
    }
  }
  // A follower may only take the commit point as far as what it matched of this message.
  m.commit_zxid = commit_zxid_;
  if (!m.entries.empty()) {
    if (pr.probing) {
      pr.inflight = 1;
    } else {
      pr.next_prev_zxid = m.entries.back().zxid;
      pr.inflight++;
    }
  } else if (pr.probing && !heartbeat_only) {
    pr.inflight = 1;
  }
  // The leader's own copy need not be durable first: it counts toward a majority only once it
  // is (MaybeCommit uses durable_zxid_ for this member).
  Send(std::move(m), /*after_persist=*/false);
}

void Replica::MaybeCommit() {
  if (role_ != Role::kLeader) return;
  std::vector<int64_t> matches;
  matches.push_back(IsVoter(options_.id) ? durable_zxid_ : 0);
  for (const auto& [id, pr] : progress_) {
    if (IsVoter(id)) matches.push_back(pr.match_zxid);
  }
  std::sort(matches.begin(), matches.end(), std::greater<int64_t>());
  int64_t candidate = matches[Quorum() - 1];
  // Only an entry of this epoch is committed by counting copies; older ones follow it.
  if (candidate > commit_zxid_ && EpochOf(candidate) == hard_.epoch) {
    CORRAL_ASSERT(candidate <= last_zxid(), "commit beyond the log");
    commit_zxid_ = candidate;
    commit_broadcast_pending_ = true;
  }
  if (!IsVoter(options_.id) && membership_zxid_ != 0 && membership_zxid_ <= commit_zxid_) {
    HandOver();
  }
}

void Replica::Send(Message m, bool after_persist) {
  m.from = options_.id;
  // Vote messages carry the epoch their sender chose (a candidate asks for the next one; a
  // pre-vote grant echoes it); everything else carries ours.
  if (m.type != MessageType::kVoteRequest && m.type != MessageType::kVoteReply) {
    m.epoch = hard_.epoch;
  }
  (after_persist ? out_after_persist_ : out_now_).push_back(std::move(m));
}

// ---------------------------------------------------------------------------------------------
// The in-memory log

void Replica::AppendToLog(Txn txn) {
  // The one place entries enter the log, so zxid order is checked here once per entry rather
  // than by scanning the whole log after every step.
  CORRAL_ASSERT(txn.zxid > last_zxid(), "log zxids strictly increase");
  log_bytes_ += EntryBytes(txn);
  log_.push_back(std::move(txn));
  if (auto m = MembershipOfEntry(log_.back())) {
    SetMembership(std::move(*m), log_.back().zxid);
    membership_text_ = log_.back().request;
  }
}

void Replica::SetMembership(Membership membership, int64_t zxid) {
  membership_ = std::move(membership);
  membership_zxid_ = zxid;
  ++membership_generation_;
  for (auto it = progress_.begin(); it != progress_.end();) {
    it = membership_.Contains(it->first) ? std::next(it) : progress_.erase(it);
  }
  for (const auto* ids : {&membership_.voters, &membership_.observers}) {
    for (MemberId id : *ids) {
      if (id == options_.id || progress_.count(id) > 0) continue;
      Progress pr;
      pr.next_prev_zxid = last_zxid();  // probed down from our end, as a new leader does
      progress_[id] = pr;
    }
  }
  // A leader keeps leading until the entry that removes it commits (MaybeCommit hands over);
  // anyone else follows its place in the membership at once.
  if (role_ == Role::kLeader) return;
  if (!IsVoter(options_.id)) {
    role_ = Role::kObserver;
    pre_candidate_ = false;
    votes_.clear();
  } else if (role_ == Role::kObserver) {
    role_ = Role::kFollower;
  }
}

void Replica::RecomputeMembership() {
  for (auto it = log_.rbegin(); it != log_.rend(); ++it) {
    if (auto m = MembershipOfEntry(*it)) {
      SetMembership(std::move(*m), it->zxid);
      membership_text_ = it->request;
      return;
    }
  }
  SetMembership(base_membership_, 0);
  membership_text_.clear();
}

Membership Replica::MembershipAt(int64_t zxid) const {
  CORRAL_ASSERT(zxid >= base_zxid_, "membership asked for before the log's base");
  Membership at = base_membership_;
  for (size_t i = 0; i < log_.size() && log_[i].zxid <= zxid; ++i) {
    if (auto m = MembershipOfEntry(log_[i])) at = std::move(*m);
  }
  return at;
}

Status Replica::CheckMembershipChange(const Membership& next) const {
  if (commit_zxid_ < epoch_start_zxid_) {
    return Status::FailedPrecondition("reconfig: this leader's epoch is not committed yet");
  }
  if (membership_zxid_ > commit_zxid_) {
    return Status::FailedPrecondition("reconfig: another membership change is in progress");
  }
  if (VoterChanges(membership_, next) > 1) {
    return Status::InvalidArgument(
        "reconfig: more than one voter added or removed (one voter change at a time)");
  }
  return Status::Ok();
}

bool Replica::HasEntry(int64_t zxid) const {
  if (zxid == base_zxid_) return true;
  if (zxid < base_zxid_ || log_.empty() || zxid > log_.back().zxid) return false;
  size_t i = IndexAfter(zxid - 1);
  return i < log_.size() && log_[i].zxid == zxid;
}

size_t Replica::IndexAfter(int64_t zxid) const {
  auto it = std::upper_bound(log_.begin(), log_.end(), zxid,
                             [](int64_t z, const Txn& t) { return z < t.zxid; });
  return static_cast<size_t>(it - log_.begin());
}

int64_t Replica::LastAtOrBefore(int64_t zxid) const {
  size_t i = IndexAfter(zxid);
  // Nothing in memory at or before it: the base, or `zxid` itself when it is older than that.
  if (i == 0) return std::min(base_zxid_, zxid);
  return log_[i - 1].zxid;
}

void Replica::TruncateAfter(int64_t zxid) {
  CORRAL_ASSERT(zxid >= commit_zxid_, "truncating a committed entry");
  // An acknowledgement queued for entries being removed would promise what will not be on
  // disk when it is sent.
  std::erase_if(out_after_persist_, [zxid](const Message& m) {
    return m.type == MessageType::kAppendReply && m.success && m.match_zxid > zxid;
  });
  size_t keep = IndexAfter(zxid);
  while (log_.size() > keep) {
    log_bytes_ -= EntryBytes(log_.back());
    log_.pop_back();
  }
  if (membership_zxid_ > zxid) RecomputeMembership();  // the entry that set it is gone
  if (zxid < stable_zxid_) {
    // The driver already has some of them: it must drop them too.
    pending_truncate_ = pending_truncate_ ? std::min(*pending_truncate_, zxid) : zxid;
    stable_zxid_ = zxid;
  }
  durable_zxid_ = std::min(durable_zxid_, zxid);
}

int64_t Replica::NeededByFollowersAfterZxid() const {
  int64_t needed_after = applied_zxid_;
  if (role_ != Role::kLeader) return needed_after;
  // Every peer counts, silent ones too: a member that restarts comes back needing what it
  // missed meanwhile, and cached_bytes_max bounds what it can hold on to.
  for (const auto& [id, pr] : progress_) {
    needed_after =
        std::min(needed_after, pr.snapshot_pending ? pr.snapshot_floor_zxid : pr.match_zxid);
  }
  return needed_after;
}

void Replica::CompactCache() {
  // Why not a fixed amount: while the followers keep up, the last cached_entries_min are all
  // anyone needs, and memory is what a member holding a large tree is short of; while one lags
  // (pipelined appends in flight, a restart, a snapshot being installed) dropping what it has
  // yet to receive sends it a snapshot, and under steady load it would get one after another.
  const int64_t needed_after = NeededByFollowersAfterZxid();
  while (!log_.empty() && log_.front().zxid <= applied_zxid_ &&
         log_.size() > options_.cached_entries_min &&
         (log_.front().zxid <= needed_after || log_bytes_ > options_.cached_bytes_max)) {
    log_bytes_ -= EntryBytes(log_.front());
    base_zxid_ = log_.front().zxid;
    if (auto m = MembershipOfEntry(log_.front())) base_membership_ = std::move(*m);
    if (membership_zxid_ == base_zxid_) {  // now the base membership
      membership_zxid_ = 0;
      membership_text_.clear();
    }
    log_.pop_front();
  }
}

// ---------------------------------------------------------------------------------------------
// Output

bool Replica::HasReady() const {
  if (ready_out_) return false;
  return append_pending_ || commit_broadcast_pending_ || !out_now_.empty() ||
         !out_after_persist_.empty() || hard_dirty_ || pending_snapshot_ || pending_truncate_ ||
         last_zxid() > stable_zxid_ || commit_zxid_ > handed_commit_zxid_ || !inbox_.empty();
}

void Replica::FlushAppends() {
  if (append_pending_ || commit_broadcast_pending_) {
    if (role_ == Role::kLeader) {
      for (auto& [id, pr] : progress_) {
        if (pr.next_prev_zxid < last_zxid()) {
          SendAppend(id, false);  // new entries; the message carries the commit point too
        } else if (commit_broadcast_pending_ && !pr.probing && !pr.snapshot_pending) {
          SendAppend(id, /*heartbeat_only=*/true);
        }
      }
    }
    append_pending_ = false;
    commit_broadcast_pending_ = false;
  }
}

std::vector<Message> Replica::TakeMessagesNow() {
  FlushAppends();
  return std::exchange(out_now_, {});
}

Ready Replica::TakeReady() {
  CORRAL_ASSERT(!ready_out_, "TakeReady before Advance");
  FlushAppends();
  Ready rd;
  rd.messages_now = std::move(out_now_);
  out_now_.clear();
  if (hard_dirty_) rd.hard_state = hard_;
  hard_dirty_ = false;
  rd.snapshot = std::move(pending_snapshot_);
  pending_snapshot_.reset();
  rd.truncate_after = pending_truncate_;
  pending_truncate_.reset();
  for (size_t i = IndexAfter(stable_zxid_); i < log_.size(); ++i) rd.entries.push_back(log_[i]);
  stable_zxid_ = last_zxid();
  rd.messages = std::move(out_after_persist_);
  out_after_persist_.clear();
  for (size_t i = IndexAfter(handed_commit_zxid_); i < log_.size(); ++i) {
    if (log_[i].zxid > commit_zxid_) break;
    rd.committed.push_back(log_[i]);
  }
  handed_commit_zxid_ = commit_zxid_;
  rd.inbox = std::move(inbox_);
  inbox_.clear();
  ready_out_ = true;
  return rd;
}

void Replica::Advance(const Ready& rd) {
  CORRAL_ASSERT(ready_out_, "Advance without a Ready");
  ready_out_ = false;
  if (!rd.entries.empty()) {
    durable_zxid_ = std::max(durable_zxid_, std::min(rd.entries.back().zxid, stable_zxid_));
  }
  if (rd.snapshot) {
    applied_zxid_ = std::max(applied_zxid_, rd.snapshot->zxid);
    if (installing_snapshot_zxid_ == rd.snapshot->zxid) installing_snapshot_zxid_ = 0;
  }
  if (!rd.committed.empty()) applied_zxid_ = std::max(applied_zxid_, rd.committed.back().zxid);
  if (role_ == Role::kCandidate && !hard_dirty_ && votes_.size() >= Quorum()) {
    BecomeLeader();  // won with its own vote alone, now durable (StartElection)
  }
  MaybeCommit();
  CompactCache();
}

// ---------------------------------------------------------------------------------------------
// Queries

std::vector<PeerProgress> Replica::PeerProgresses() const {
  std::vector<PeerProgress> out;
  if (role_ != Role::kLeader) return out;
  for (const auto& [id, pr] : progress_) {
    PeerProgress p;
    p.id = id;
    p.observer = !IsVoter(id);
    p.live = pr.silent_ticks < options_.election_timeout_ticks;
    p.synced = p.live && !pr.probing && !pr.snapshot_pending && pr.match_zxid >= epoch_start_zxid_;
    p.match_zxid = pr.match_zxid;
    out.push_back(p);
  }
  return out;
}

bool Replica::Synced() const {
  if (role_ == Role::kLeader) return applied_zxid_ >= epoch_start_zxid_;
  if (role_ != Role::kFollower && role_ != Role::kObserver) return false;
  return leader_ != 0 && synced_target_known_ && applied_zxid_ >= epoch_start_zxid_;
}

void Replica::CheckInvariants() const {
  // Log order is asserted as entries are appended (AppendToLog); only the ends are checked.
  CORRAL_ASSERT(log_.empty() || log_.front().zxid > base_zxid_, "log starts after its base");
  CORRAL_ASSERT(EpochOf(last_zxid()) <= hard_.epoch || role_ != Role::kLeader,
                "a leader holds no entry of a later epoch");
  CORRAL_ASSERT(applied_zxid_ <= commit_zxid_, "applied beyond the commit point");
  CORRAL_ASSERT(commit_zxid_ <= last_zxid(), "committed beyond the log");
  CORRAL_ASSERT(handed_commit_zxid_ <= commit_zxid_, "handed out beyond the commit point");
  CORRAL_ASSERT(durable_zxid_ <= stable_zxid_ || durable_zxid_ == base_zxid_,
                "durable beyond what was handed out");
  CORRAL_ASSERT(stable_zxid_ <= last_zxid(), "stable beyond the log");
  CORRAL_ASSERT(base_zxid_ <= applied_zxid_ || base_zxid_ == installing_snapshot_zxid_,
                "dropped an entry that was not applied");
  if (role_ == Role::kLeader) {
    CORRAL_ASSERT(
        hard_.voted_for == options_.id || options_.voters.size() == 1 || hard_.voted_for == 0,
        "a leader voted for itself");
    CORRAL_ASSERT(IsVoter(options_.id) || membership_zxid_ > commit_zxid_,
                  "a non-voter leads only until the entry removing it commits");
  }
}

}  // namespace corral::consensus
