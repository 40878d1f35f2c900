#include "sim/sim_member.h"

#include "base/assert.h"
#include "sim/digest.h"

namespace corral::sim {

using consensus::MessageType;
using consensus::Role;

SimMember::SimMember(MemberId id, MemberConfig config, std::shared_ptr<const StateMachine> initial,
                     MemberEnv* env)
    : id_(id),
      config_(std::move(config)),
      env_(env),
      random_(config_.seed),
      replica_random_(config_.seed ^ 0x5eed),
      disk_(std::move(initial)) {
  Restart();
}

void SimMember::Restart() {
  CORRAL_ASSERT(!up(), "restart of a running member");
  ++incarnation_;
  uint64_t mix = config_.seed + static_cast<uint64_t>(incarnation_);
  replica_random_ = SimRandom(SplitMix64(&mix));
  // The state machine restarts from the snapshot only; the core replays the log after it.
  state_ = std::make_unique<StateMachine>(*disk_.snapshot().state);
  state_copy_ = disk_.snapshot().state;
  // The membership at the snapshot is its /zookeeper/config when a reconfig made one (as the
  // server recovers it), else the starting one; entries in the log may change it again.
  consensus::ReplicaOptions options = config_.replica;
  if (const Znode* node = state_->tree().Find(kConfigPath); node && !node->data.empty()) {
    if (auto at = consensus::MembershipOfConfigText(node->data)) {
      options.voters = at->voters;
      options.observers = at->observers;
    }
  }
  replica_ = std::make_unique<consensus::Replica>(options, disk_.hard_state(), disk_.Recover(),
                                                  &replica_random_);
  order_epoch_ = -1;
  env_->trace().Event(env_->now(), "restart", id_, disk_.hard_state().epoch, disk_.snapshot().zxid,
                      disk_.log().empty() ? 0 : disk_.log().back().zxid);
  env_->checker().ObserveState(id_, state_->last_applied_zxid(), StateDigest(*state_));
}

void SimMember::Crash(size_t ops_kept) {
  if (!up()) return;
  const size_t pending = disk_.pending_ops();
  const size_t kept = ops_kept < pending ? ops_kept : pending;
  env_->trace().Event(env_->now(), "crash", id_, static_cast<int64_t>(pending),
                      static_cast<int64_t>(kept));
  disk_.Crash(kept);
  inflight_.reset();
  replica_.reset();
  state_.reset();
  state_copy_.reset();
  waiting_.clear();
  proposed_xid_.clear();
}

void SimMember::SetFsyncStalled(bool stalled) { fsync_stalled_ = stalled; }

int64_t SimMember::ClockMs() const {
  return config_.clock_offset_ms + local_ticks_ * config_.clock_ms_per_tick;
}

void SimMember::Tick(int ticks) {
  for (int i = 0; i < ticks && up(); ++i) {
    ++local_ticks_;
    replica_->Tick();
  }
}

void SimMember::Deliver(const Message& message) {
  if (!up()) return;
  replica_->Step(message);
}

void SimMember::Pump() {
  // Bounded only to turn a core that produces Readies forever into a clear failure.
  for (int rounds = 0; up() && !env_->checker().failed(); ++rounds) {
    if (rounds > 10000) {
      env_->checker().Fail("member " + std::to_string(id_) + " never runs out of Readies");
      return;
    }
    if (inflight_) {
      if (fsync_stalled_ || env_->now() < inflight_->durable_at_tick) {
        // As the server's driver does (ReplicatedCommitter::Pump): what promises nothing
        // durable goes out while the disk works.
        SendAll(replica_->TakeMessagesNow());
        return;
      }
      FinishReady();
      continue;
    }
    if (!replica_->HasReady()) return;
    StartReady();
  }
}

void SimMember::StartReady() {
  Inflight flight;
  flight.ready = replica_->TakeReady();
  const consensus::Ready& rd = flight.ready;
  for (const Txn& entry : rd.entries) env_->checker().ObserveEntry(id_, entry);
  if (rd.snapshot) {
    flight.installed = env_->snapshots().Get(rd.snapshot->data);
    if (flight.installed == nullptr) {
      env_->checker().Fail("member " + std::to_string(id_) + " is asked to install a snapshot " +
                           "whose bytes no member produced");
      return;
    }
  }
  if (auto error = disk_.BeginWrite(rd, flight.installed)) {
    env_->checker().Fail("member " + std::to_string(id_) + ": " + *error);
    return;
  }
  SendAll(rd.messages_now);
  // A Ready that persists nothing needs no fsync: its messages go out at once.
  const bool persists = rd.hard_state || rd.snapshot || rd.truncate_after || !rd.entries.empty();
  const int64_t fsync_ticks =
      persists ? random_.Range(config_.fsync_ticks_min, config_.fsync_ticks_max) : 0;
  flight.durable_at_tick = env_->now() + fsync_ticks;
  env_->trace().Event(env_->now(), "write", id_, static_cast<int64_t>(rd.entries.size()),
                      rd.entries.empty() ? 0 : rd.entries.back().zxid, fsync_ticks);
  inflight_ = std::move(flight);
  if (fsync_ticks > 0) env_->WakeAt(id_, inflight_->durable_at_tick);
}

void SimMember::FinishReady() {
  Inflight flight = std::move(*inflight_);
  inflight_.reset();
  const consensus::Ready& rd = flight.ready;
  disk_.Sync();
  SendAll(rd.messages);
  if (rd.snapshot) {
    const int64_t before = state_->last_applied_zxid();
    env_->checker().ObserveSnapshotInstall(id_, before, rd.snapshot->zxid);
    state_ = std::make_unique<StateMachine>(*flight.installed);
    state_copy_ = flight.installed;
    env_->trace().Event(env_->now(), "install", id_, before, rd.snapshot->zxid);
    env_->checker().ObserveState(id_, state_->last_applied_zxid(), StateDigest(*state_));
  }
  Apply(rd.committed);
  HandleInbox(rd.inbox);
  if (env_->checker().failed()) return;
  replica_->Advance(rd);
}

void SimMember::SendAll(const std::vector<Message>& messages) {
  for (const Message& original : messages) {
    Message m = original;
    if (m.type == MessageType::kSnapshot && m.snapshot.empty()) {
      // The core sends a snapshot empty; the node fills it from its own state.
      std::shared_ptr<const StateMachine> copy = StateCopy();
      m.snapshot_zxid = copy->last_applied_zxid();
      const consensus::Membership at = replica_->MembershipAt(m.snapshot_zxid);
      m.snapshot_voters = at.voters;
      m.snapshot_observers = at.observers;
      m.snapshot = env_->snapshots().Put(std::move(copy));
    }
    if (config_.check_promises) CheckPromises(m);
    env_->Send(m);
  }
}

// A message promises what the disk must already hold; a crash right after sending it must not
// be able to take the promise back.
void SimMember::CheckPromises(const Message& m) {
  const consensus::HardState& hs = disk_.hard_state();
  const std::string who = "member " + std::to_string(id_);
  switch (m.type) {
    case MessageType::kAppendReply:
      if (m.success && !disk_.Holds(m.match_zxid)) {
        env_->checker().Fail(who + " acknowledges entries up to " + ZxidString(m.match_zxid) +
                             " to " + std::to_string(m.to) + " in epoch " +
                             std::to_string(m.epoch) + " (its epoch now " +
                             std::to_string(replica_->epoch()) + ") but its disk holds only " +
                             DurableSummary() + "; they are not durable");
      }
      break;
    case MessageType::kVoteReply:
      if (m.granted && !m.pre_vote &&
          !(hs.epoch > m.epoch || (hs.epoch == m.epoch && hs.voted_for == m.to))) {
        env_->checker().Fail(who + " grants its vote in epoch " + std::to_string(m.epoch) + " to " +
                             std::to_string(m.to) + " before the vote is durable");
      }
      break;
    case MessageType::kVoteRequest:
      if (!m.pre_vote && !(hs.epoch > m.epoch || (hs.epoch == m.epoch && hs.voted_for == id_))) {
        env_->checker().Fail(who + " asks for votes in epoch " + std::to_string(m.epoch) +
                             " before its own vote is durable");
      }
      break;
    case MessageType::kAppend:
    case MessageType::kSnapshot:
      if (hs.epoch < m.epoch) {
        env_->checker().Fail(who + " leads epoch " + std::to_string(m.epoch) +
                             " before that epoch is durable");
      }
      break;
    default:
      break;
  }
}

void SimMember::Apply(const std::vector<Txn>& committed) {
  if (committed.empty()) return;
  for (const Txn& txn : committed) {
    const int64_t before = state_->last_applied_zxid();
    if (txn.zxid <= before) {
      // Checked here, before StateMachine::Apply would stop the process on it.
      env_->checker().Fail("member " + std::to_string(id_) + " is handed " + ZxidString(txn.zxid) +
                           " to apply after " + ZxidString(before));
      return;
    }
    ApplyResult result = state_->Apply(txn);
    env_->checker().ObserveApply(id_, before, txn, result);
    auto waiting = waiting_.find({txn.session_id, txn.xid});
    if (waiting != waiting_.end() && txn.type != kTxnEpochStart) {
      const int client = waiting->second;
      waiting_.erase(waiting);
      env_->OnWriteApplied(id_, client, txn, result);
    }
  }
  state_copy_.reset();
  env_->trace().Event(env_->now(), "apply", id_, committed.front().zxid, committed.back().zxid);
  env_->checker().ObserveState(id_, state_->last_applied_zxid(), StateDigest(*state_));
  if (random_.Ppm(config_.local_snapshot_ppm)) {
    disk_.SaveSnapshot(StateCopy());
    env_->trace().Event(env_->now(), "snapshot", id_, state_->last_applied_zxid());
  }
}

void SimMember::HandleInbox(const std::vector<Message>& inbox) {
  for (const Message& m : inbox) {
    if (m.type != MessageType::kForward) continue;
    for (const Txn& txn : m.entries) {
      if (!ProposeInOrder(txn, m.epoch)) {
        env_->trace().Event(env_->now(), "forward-refused", id_, txn.session_id, txn.xid, m.epoch);
      }
    }
  }
}

bool SimMember::ProposeInOrder(Txn txn, int64_t forwarded_epoch) {
  if (replica_->role() != Role::kLeader || forwarded_epoch != replica_->epoch()) return false;
  if (order_epoch_ != replica_->epoch()) {
    order_epoch_ = replica_->epoch();
    proposed_xid_.clear();
  }
  auto last = proposed_xid_.find(txn.session_id);
  if (last != proposed_xid_.end() && txn.xid <= last->second) return false;
  txn.zxid = 0;
  txn.time_ms = ClockMs();
  StatusOr<int64_t> zxid = replica_->Propose(txn);
  if (!zxid.ok()) return false;
  proposed_xid_[txn.session_id] = txn.xid;
  env_->trace().Event(env_->now(), "propose", id_, *zxid, txn.session_id, txn.xid);
  return true;
}

std::string SimMember::DurableSummary() const {
  std::string s = "snapshot " + ZxidString(disk_.snapshot().zxid);
  if (!disk_.log().empty()) {
    s += " + log " + ZxidString(disk_.log().front().zxid) + ".." +
         ZxidString(disk_.log().back().zxid);
  }
  return s;
}

SimMember::Submitted SimMember::Submit(int client, Txn txn) {
  if (!up()) return Submitted::kRefused;
  const std::pair<int64_t, int32_t> key{txn.session_id, txn.xid};
  if (replica_->role() == Role::kLeader) {
    if (!ProposeInOrder(txn, replica_->epoch())) return Submitted::kRefused;
    waiting_[key] = client;
    return Submitted::kProposed;
  }
  Message m;
  m.type = MessageType::kForward;
  m.from = id_;
  m.epoch = replica_->epoch();
  m.entries.push_back(std::move(txn));
  if (!replica_->SendToLeader(std::move(m)).ok()) return Submitted::kRefused;
  waiting_[key] = client;
  return Submitted::kForwarded;
}

void SimMember::Disconnect(int client) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    it = it->second == client ? waiting_.erase(it) : std::next(it);
  }
}

std::shared_ptr<const StateMachine> SimMember::StateCopy() {
  if (state_copy_ == nullptr) state_copy_ = std::make_shared<const StateMachine>(*state_);
  return state_copy_;
}

void SimMember::CheckInvariants() {
  if (!up()) return;
  replica_->CheckInvariants();
  if (replica_->role() == Role::kLeader) env_->checker().ObserveLeader(id_, replica_->epoch());
}

}  // namespace corral::sim
