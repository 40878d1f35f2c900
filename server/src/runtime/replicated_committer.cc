#include "runtime/replicated_committer.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "runtime/reconfig_planner.h"
#include "zk/codes.h"

namespace corral {

namespace asio = boost::asio;
using consensus::Message;
using consensus::MessageType;

ReplicatedCommitter::ReplicatedCommitter(asio::io_context& core, Node* node,
                                         std::unique_ptr<consensus::Replica> replica,
                                         std::unique_ptr<ReplicaDisk> disk, env::FileSystem* fs,
                                         std::string scratch_dir, env::Clock* clock, SendFn send,
                                         OnCommit on_commit,
                                         std::function<void(const Status&)> on_fatal)
    : core_(core),
      node_(node),
      replica_(std::move(replica)),
      disk_(std::move(disk)),
      fs_(fs),
      scratch_dir_(std::move(scratch_dir)),
      clock_(clock),
      send_(std::move(send)),
      on_commit_(std::move(on_commit)),
      on_fatal_(std::move(on_fatal)),
      // Generations start at the wall clock so a restarted follower never reuses one.
      forwards_out_(clock->WallMs()),
      not_serving_since_ms_(clock->MonotonicMs()),
      disk_work_(asio::make_work_guard(disk_io_)),
      disk_thread_([this] { disk_io_.run(); }) {
  UpdateRole();
}

ReplicatedCommitter::~ReplicatedCommitter() {
  disk_work_.reset();
  disk_thread_.join();
}

void ReplicatedCommitter::Submit(Txn txn) {
  if (failed_) return;
  if (replica_->role() == consensus::Role::kLeader) {
    ProposeStamped(std::move(txn));
  } else {
    Message m;
    m.type = MessageType::kForward;
    m.entries.push_back(std::move(txn));
    forwards_out_.Stamp(&m);
    Status sent = replica_->SendToLeader(std::move(m));
    // Without a leader the node is not serving: the connection is being closed. The stream
    // has a hole now, so the next write starts a new one.
    if (!sent.ok()) {
      CORRAL_LOG(kDebug) << "write not forwarded: " << sent.ToString();
      forwards_out_.Restart();
    }
  }
  Pump();
}

void ReplicatedCommitter::ProposeStamped(Txn txn) {
  // The leader's clock stamps every entry, wherever the client was (TTL and container reaping
  // compare against it).
  txn.time_ms = clock_->WallMs();
  if (txn.type == zk::kReconfig) {
    txn.request = PlanReconfig(ReconfigContextNow(txn), txn.request);
    Txn fallback = txn;
    auto zxid = replica_->Propose(std::move(txn));
    if (zxid.ok() || replica_->role() != consensus::Role::kLeader) return;
    // The core refused the change now (another one in progress, or two voters at once): the
    // client hears it from an error entry, like any other refusal.
    CORRAL_LOG(kInfo) << "reconfig refused: " << zxid.status().ToString();
    fallback.request = ErrorEntryOf(zxid.status().code() == Status::Code::kInvalidArgument
                                        ? zk::kBadArguments
                                        : zk::kReconfigInProgress);
    (void)replica_->Propose(std::move(fallback));
    return;
  }
  auto zxid = replica_->Propose(std::move(txn));
  if (!zxid.ok()) {
    CORRAL_LOG(kDebug) << "write not proposed: " << zxid.status().ToString();
  } else if (metrics_ != nullptr) {
    metrics_->Proposed();
  }
}

ReconfigContext ReplicatedCommitter::ReconfigContextNow(const Txn& request) const {
  ReconfigContext c;
  const Config& config = node_->config();
  c.reconfig_enabled = config.reconfig_enabled;
  c.current = CurrentDynamicConfig();
  c.identities = request.identities;
  if (const Znode* node = node_->state().tree().Find(kConfigPath)) c.config_acl = *node->acl;
  c.caught_up.push_back(config.my_id);
  for (const consensus::PeerProgress& p : replica_->PeerProgresses()) {
    // Synced, not "holds the commit point right now": a live follower one append behind under
    // load acknowledges within a round trip, and demanding the commit point refused a reconfig
    // now and then for no reason (the integration tests saw NEWCONFIGNOQUORUM that way). What
    // the rule must keep out is an empty or far-behind member, which is never synced.
    if (p.synced) c.caught_up.push_back(p.id);
  }
  return c;
}

DynamicConfig ReplicatedCommitter::CurrentDynamicConfig() const {
  // The newest configuration in the log (committed or not, as the core counts with it); else
  // the one the state holds (from a reconfig or a snapshot); else the static server.N lines.
  if (!replica_->membership_text().empty()) {
    auto from_log = ParseDynamicConfig(replica_->membership_text());
    if (from_log.ok()) {
      from_log->version = replica_->membership_zxid();
      return std::move(from_log).value();
    }
  }
  if (const Znode* node = node_->state().tree().Find(kConfigPath); node && !node->data.empty()) {
    auto from_state = ParseDynamicConfig(node->data);
    if (from_state.ok()) return std::move(from_state).value();
  }
  DynamicConfig static_config;
  static_config.servers = node_->config().servers;
  return static_config;
}

void ReplicatedCommitter::Sync(std::function<void(int64_t zxid)> done) {
  if (replica_->role() == consensus::Role::kLeader) {
    done(replica_->last_zxid());
    return;
  }
  int64_t id = next_sync_id_++;
  Message m;
  m.type = MessageType::kSyncRequest;
  m.request_id = id;
  if (replica_->SendToLeader(std::move(m)).ok()) syncs_[id] = std::move(done);
  Pump();
}

void ReplicatedCommitter::OnPeerMessage(const Message& message) {
  if (failed_) return;
  replica_->Step(message);
  for (const Message& m : replica_->TakeInbox()) HandleInbox(m);
  Pump();
}

void ReplicatedCommitter::Tick() {
  if (failed_) return;
  replica_->Tick();
  if (node_->role() == NodeRole::kFollower || node_->role() == NodeRole::kObserver) {
    std::vector<int64_t> touched = node_->TakeTouchedSessions();
    if (!touched.empty()) {
      Message m;
      m.type = MessageType::kSessionTouch;
      m.sessions = std::move(touched);
      (void)replica_->SendToLeader(std::move(m));  // lost with the leader: sessions get a fresh
                                                   // timeout from the next one anyway
    }
  }
  Pump();
  UpdateRole();  // the read-only grace period runs out without any message
}

void ReplicatedCommitter::RunOnLog(std::function<Status(storage::TxnLog*)> fn,
                                   std::function<void(Status)> done) {
  log_jobs_++;
  asio::post(disk_io_, [this, fn = std::move(fn), done = std::move(done)]() mutable {
    Status st = fn(disk_->log());
    asio::post(core_, [this, st, done = std::move(done)] {
      log_jobs_--;
      done(st);
    });
  });
}

void ReplicatedCommitter::NotifyMembershipChange() {
  if (replica_->membership_generation() == reported_membership_generation_) return;
  reported_membership_generation_ = replica_->membership_generation();
  const int64_t zxid = replica_->membership_zxid();
  DynamicConfig config = CurrentDynamicConfig();
  CORRAL_LOG(kInfo) << "membership now " << config.servers.size() << " members (from zxid 0x"
                    << std::hex << zxid << std::dec << ")";
  bool listed = std::any_of(config.servers.begin(), config.servers.end(),
                            [&](const ServerSpec& s) { return s.id == node_->config().my_id; });
  if (!listed) {
    // It says so once per change: a removed member does not serve, vote or campaign, and an
    // operator looking at a silent member should not have to guess why.
    CORRAL_LOG(kWarn) << "this member was removed from the ensemble by the configuration at zxid 0x"
                      << std::hex << zxid << std::dec
                      << "; it serves no clients until a reconfig adds it again";
  }
  if (membership_observer_) membership_observer_(config);
}

void ReplicatedCommitter::Pump(PumpFrom from) {
  NotifyMembershipChange();  // links to new members before anything is sent to them
  if (failed_) return;
  if (disk_busy_ || persist_posted_) {
    // An fsync is in progress or about to start: what needs nothing durable goes now (a
    // follower's forwarded writes, the leader's appends), so the ensemble works while this
    // member's disk does.
    for (Message& m : replica_->TakeMessagesNow()) SendMessage(std::move(m));
    return;
  }
  if (from == PumpFrom::kInput && replica_->last_zxid() > replica_->durable_zxid()) {
    // New entries and an idle disk: persist them on this thread (see PersistHere), but only
    // once the handlers already queued have run, so that every frame of one read joins one
    // fsync rather than each paying its own. What needs no disk goes out now.
    for (Message& m : replica_->TakeMessagesNow()) SendMessage(std::move(m));
    persist_posted_ = true;
    asio::post(core_, [this] {
      persist_posted_ = false;
      Pump(PumpFrom::kPosted);
    });
    return;
  }
  while (!disk_busy_ && !failed_ && replica_->HasReady()) {
    consensus::Ready rd = replica_->TakeReady();
    if (!ReplicaDisk::NeedsDisk(rd) && !CarriesEntries(rd.messages_now)) {
      // Only the commit point moved (a leader heard the acks of a write): the entries are
      // applied and the clients of this member answered before the commit point goes to the
      // followers, as each send costs a few microseconds; a follower's client waits for it
      // only as long as the apply.
      std::vector<Message> now = std::move(rd.messages_now);
      rd.messages_now.clear();
      Finish(std::move(rd), std::nullopt, 0);
      SendMessages(&now);
      continue;
    }
    SendMessages(&rd.messages_now);
    if (!ReplicaDisk::NeedsDisk(rd)) {
      Finish(std::move(rd), std::nullopt, 0);
      continue;
    }
    // Committed entries already durable here (from earlier Readys) need not wait for this
    // Ready's fsync: committed means a majority has them on disk, and this member too. Without
    // this a leader under load would apply each batch one fsync late, halving throughput.
    size_t applied_early = 0;
    if (!rd.snapshot) {
      while (applied_early < rd.committed.size() &&
             rd.committed[applied_early].zxid <= replica_->durable_zxid()) {
        on_commit_(rd.committed[applied_early++]);
      }
    }
    disk_busy_ = true;
    if (from == PumpFrom::kPosted && PersistHere(rd)) {
      std::optional<StateMachine> installed;
      int64_t elapsed_us = 0;
      Status st = TimedPersist(rd, &installed, &elapsed_us);
      Persisted(std::move(rd), st, std::move(installed), applied_early, elapsed_us);
      continue;
    }
    asio::post(disk_io_, [this, rd = std::move(rd), applied_early]() mutable {
      std::optional<StateMachine> installed;
      int64_t elapsed_us = 0;
      Status st = TimedPersist(rd, &installed, &elapsed_us);
      asio::post(core_, [this, rd = std::move(rd), st, installed = std::move(installed),
                         applied_early, elapsed_us]() mutable {
        // Straight on with what arrived during the fsync, on the disk thread again: under
        // load the core keeps taking requests while the disk works.
        if (Persisted(std::move(rd), st, std::move(installed), applied_early, elapsed_us)) {
          Pump(PumpFrom::kDiskThread);
        }
      });
    });
  }
}

bool ReplicatedCommitter::PersistHere(const consensus::Ready& rd) const {
  // A few entries (one client's write, a handful of pipelined ones) cost one fsync wherever it
  // runs, and here it saves two thread hand-offs (to the disk thread and back, each a wake-up
  // of a sleeping thread) on the write's critical path, on every member: ~30 us of a 330 us
  // write on a disk that flushes in ~100 us (docs/benchmarks.md). But no request is served
  // while it runs, so only on a disk that has been fast lately: with a 2 ms flush, requests at
  // 5,000 ops/s, one in ten a write, took 1.6 ms at p50 instead of 65 us. A bigger batch
  // means load: it goes to the disk thread, so the core keeps taking requests during the
  // fsync. A snapshot takes long to install; a log job (autopurge) on the disk thread owns
  // the log.
  return !rd.snapshot && rd.entries.size() <= kPersistHereEntriesMax && log_jobs_ == 0 &&
         persist_estimate_.AtMost(kPersistHereFsyncMaxUs);
}

Status ReplicatedCommitter::TimedPersist(const consensus::Ready& rd,
                                         std::optional<StateMachine>* installed,
                                         int64_t* elapsed_us) {
  auto start = std::chrono::steady_clock::now();
  Status st = disk_->Persist(rd, installed);
  *elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  return st;
}

bool ReplicatedCommitter::Persisted(consensus::Ready rd, const Status& st,
                                    std::optional<StateMachine> installed, size_t applied_early,
                                    int64_t elapsed_us) {
  disk_busy_ = false;
  // What PersistHere would block the core thread for: a small batch of entries, no snapshot.
  if (st.ok() && !rd.entries.empty() && rd.entries.size() <= kPersistHereEntriesMax &&
      !rd.snapshot) {
    persist_estimate_.Observe(elapsed_us);
  }
  if (!st.ok()) {
    failed_ = true;
    on_fatal_(st);
    return false;
  }
  Finish(std::move(rd), std::move(installed), applied_early);
  return true;
}

void ReplicatedCommitter::Finish(consensus::Ready rd, std::optional<StateMachine> installed,
                                 size_t applied_early) {
  // Everything rd asked to persist is durable: the messages promising it may go. Acks of
  // entries go first (the leader waits for them to commit); when rd persisted no entries its
  // messages (the answer to a heartbeat) wait for the apply below, which this member's own
  // clients wait for.
  const bool send_first = !rd.entries.empty() || installed;
  if (send_first) SendMessages(&rd.messages);
  if (installed) {
    CORRAL_LOG(kInfo) << "synced from the leader's snapshot at zxid 0x" << std::hex
                      << installed->last_applied_zxid() << std::dec;
    node_->ReplaceState(std::move(*installed));
    // A snapshot's membership is known before its state is installed; its addresses only now.
    reported_membership_generation_ = 0;
  }
  for (size_t i = applied_early; i < rd.committed.size(); ++i) on_commit_(rd.committed[i]);
  if (!send_first) SendMessages(&rd.messages);
  for (const Message& m : rd.inbox) HandleInbox(m);
  replica_->Advance(rd);
  replica_->CheckInvariants();
  UpdateRole();
}

void ReplicatedCommitter::HandleInbox(const Message& m) {
  switch (m.type) {
    case MessageType::kForward: {
      if (replica_->role() != consensus::Role::kLeader) return;
      auto verdict = forwards_in_.Check(m);
      if (verdict == ForwardStreamChecker::Verdict::kRefuseAndNotify) {
        CORRAL_LOG(kWarn) << "member " << m.from << " lost forwarded writes before #"
                          << m.request_id << " of stream " << m.zxid
                          << "; refusing the rest of that stream";
        Message broken;
        broken.type = MessageType::kForwardBroken;
        broken.zxid = m.zxid;
        broken.request_id = m.request_id;
        replica_->SendTo(m.from, std::move(broken));
      }
      if (verdict != ForwardStreamChecker::Verdict::kAccept) return;
      for (const Txn& txn : m.entries) ProposeStamped(txn);
      return;
    }
    case MessageType::kForwardBroken:
      if (m.zxid != forwards_out_.generation()) return;  // an older stream, already replaced
      CORRAL_LOG(kWarn) << "the leader lost forwarded writes of stream " << m.zxid
                        << "; closing the connections whose writes may be lost";
      forwards_out_.Restart();
      node_->CloseConnectionsWithPendingWrites("a forwarded write was lost on the way");
      return;
    case MessageType::kSyncRequest: {
      if (replica_->role() != consensus::Role::kLeader) return;
      Message reply;
      reply.type = MessageType::kSyncReply;
      reply.request_id = m.request_id;
      reply.zxid = replica_->last_zxid();
      replica_->SendTo(m.from, std::move(reply));
      return;
    }
    case MessageType::kSyncReply: {
      auto it = syncs_.find(m.request_id);
      if (it == syncs_.end()) return;
      auto done = std::move(it->second);
      syncs_.erase(it);
      done(m.zxid);
      return;
    }
    case MessageType::kSessionTouch:
      if (replica_->role() == consensus::Role::kLeader) node_->TouchSessions(m.sessions);
      return;
    default:
      return;
  }
}

void ReplicatedCommitter::SendMessages(std::vector<Message>* messages) {
  for (Message& m : *messages) SendMessage(std::move(m));
  messages->clear();
}

bool ReplicatedCommitter::CarriesEntries(const std::vector<Message>& messages) {
  return std::any_of(messages.begin(), messages.end(), [](const Message& m) {
    return !m.entries.empty() || m.type == MessageType::kSnapshot;
  });
}

void ReplicatedCommitter::SendMessage(Message m) {
  if (m.type == MessageType::kSnapshot && m.snapshot.empty()) {
    // The core asks for "the state"; the node has it, at its applied zxid, which the core keeps
    // every later entry for.
    const StateMachine& state = node_->state();
    auto bytes = SerializeSnapshot(fs_, scratch_dir_, state);
    if (!bytes.ok()) {
      // The core sends it again when the follower stays silent.
      CORRAL_LOG(kWarn) << "cannot serialize a snapshot for member " << m.to << ": "
                        << bytes.status().ToString();
      return;
    }
    m.snapshot_zxid = state.last_applied_zxid();
    const consensus::Membership at = replica_->MembershipAt(m.snapshot_zxid);
    m.snapshot_voters = at.voters;
    m.snapshot_observers = at.observers;
    m.snapshot = std::move(bytes).value();
    CORRAL_LOG(kInfo) << "sending a snapshot at zxid 0x" << std::hex << m.snapshot_zxid << std::dec
                      << " (" << m.snapshot.size() << " bytes) to member " << m.to;
  }
  send_(std::move(m));
}

NodeRole ReplicatedCommitter::WantedRole() const {
  if (replica_->Synced()) {
    switch (replica_->role()) {
      case consensus::Role::kLeader:
        return NodeRole::kLeader;
      case consensus::Role::kObserver:
        return NodeRole::kObserver;
      default:
        return NodeRole::kFollower;
    }
  }
  if (!node_->config().read_only_mode_enabled) return NodeRole::kNotServing;
  NodeRole have = node_->role();
  if (have == NodeRole::kReadOnly) return NodeRole::kReadOnly;  // until a leader syncs it
  if (have != NodeRole::kNotServing) return NodeRole::kNotServing;
  // ZooKeeper's grace period: an election usually ends well within it, and read-only mode is
  // for a member that is really cut off, not one between two leaders.
  int64_t grace_ms = std::max<int64_t>(kReadOnlyGraceMinMs, node_->config().tick_time_ms);
  return clock_->MonotonicMs() - not_serving_since_ms_ >= grace_ms ? NodeRole::kReadOnly
                                                                   : NodeRole::kNotServing;
}

void ReplicatedCommitter::UpdateRole() {
  NodeRole want = WantedRole();
  NodeRole have = node_->role();
  if (want == have) return;
  LogRoleChange(have, want);
  if (want == NodeRole::kNotServing) {
    not_serving_since_ms_ = clock_->MonotonicMs();
    syncs_.clear();
    forwards_out_.Restart();  // the next leader knows nothing of this stream
  }
  if (want == NodeRole::kLeader) forwards_in_.Reset();
  // Between two serving roles the member passes through not serving: requests taken under the
  // old role may never commit, and their clients must hear a connection loss, not wait.
  if (have != NodeRole::kNotServing && want != NodeRole::kNotServing) {
    node_->SetRole(NodeRole::kNotServing);
    syncs_.clear();
  }
  node_->SetRole(want);
}

}  // namespace corral

namespace corral {

void ReplicatedCommitter::LogRoleChange(NodeRole have, NodeRole want) {
  int64_t now_ms = clock_->MonotonicMs();
  int64_t zxid = node_->state().last_applied_zxid();
  bool was_in_quorum =
      have == NodeRole::kLeader || have == NodeRole::kFollower || have == NodeRole::kObserver;
  if (want == NodeRole::kNotServing || want == NodeRole::kReadOnly) {
    if (was_in_quorum) {
      if (metrics_ != nullptr) metrics_->ElectionStarted();
      CORRAL_LOG(kInfo) << "election: lost "
                        << (have == NodeRole::kLeader ? "the quorum" : "the leader")
                        << " at zxid 0x" << std::hex << zxid << std::dec << " (epoch "
                        << replica_->epoch() << "); looking";
    }
    if (want == NodeRole::kReadOnly) {
      CORRAL_LOG(kInfo) << "no quorum within the grace period: serving read-only at zxid 0x"
                        << std::hex << zxid << std::dec;
    }
    return;
  }
  if (was_in_quorum) return;  // between leader and follower it passes through not serving
  // not_serving_since_ms_ is when it stopped serving (UpdateRole sets it) or started.
  int64_t took_ms = now_ms - not_serving_since_ms_;
  if (metrics_ != nullptr) metrics_->ElectionDone(took_ms);
  if (want == NodeRole::kLeader) {
    leading_since_ms_ = now_ms;
    CORRAL_LOG(kInfo) << "election: won epoch " << replica_->epoch() << ", leading at zxid 0x"
                      << std::hex << zxid << std::dec << " after " << took_ms << " ms";
  } else {
    CORRAL_LOG(kInfo) << "election: following member " << replica_->leader() << " in epoch "
                      << replica_->epoch() << ", synced at zxid 0x" << std::hex << zxid << std::dec
                      << " after " << took_ms << " ms";
  }
}

std::string ReplicatedCommitter::MembershipText() const {
  return FormatDynamicConfig(CurrentDynamicConfig());
}

EnsembleStatus ReplicatedCommitter::ensemble_status() const {
  EnsembleStatus s;
  s.replicated = true;
  s.leader_id = replica_->leader();
  s.epoch = replica_->epoch();
  NodeRole role = node_->role();
  consensus::Role core_role = replica_->role();
  if (role == NodeRole::kLeader) {
    s.peer_state = "leading - broadcast";
  } else if (role == NodeRole::kFollower) {
    s.peer_state = "following - broadcast";
  } else if (role == NodeRole::kObserver) {
    s.peer_state = "observing - broadcast";
  } else if (replica_->leader() != 0 && core_role != consensus::Role::kLeader) {
    s.peer_state = "following - synchronization";
  } else {
    s.peer_state = "looking - election";
  }
  const consensus::Membership& membership = replica_->membership();
  s.quorum_size = static_cast<int>(membership.voters.size());
  if (!membership.Contains(node_->config().my_id)) {
    s.removed = true;
    s.removed_by_zxid = CurrentDynamicConfig().version;
  }
  if (role == NodeRole::kLeader) {
    for (const consensus::PeerProgress& p : replica_->PeerProgresses()) {
      if (p.live) s.learners++;
      if (p.synced) (p.observer ? s.synced_observers : s.synced_followers)++;
    }
    s.leader_uptime_ms = clock_->MonotonicMs() - leading_since_ms_;
  }
  return s;
}

}  // namespace corral
