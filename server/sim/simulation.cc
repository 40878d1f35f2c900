#include "sim/simulation.h"

#include "base/assert.h"
#include "config/dynamic_config.h"
#include "sim/digest.h"
#include "sim/fault_injector.h"
#include "sim/requests.h"
#include "sim/workload.h"
#include "zk/codes.h"

namespace corral::sim {

using consensus::Role;

Simulation::Simulation(SimConfig config)
    : config_(std::move(config)),
      random_(config_.seed),
      net_random_(config_.seed ^ 0x6e6574776f726bULL),
      checker_(config_.seed),
      trace_(config_.trace_out) {
  CORRAL_ASSERT(config_.members >= 1, "an ensemble needs members");
  network_.set_faults(config_.random_faults ? config_.faults.network : NetworkFaults{});
  auto initial = std::make_shared<const StateMachine>(StateMachineOptions{});
  std::vector<MemberId> voters;
  std::vector<MemberId> observers;
  for (int i = 1; i <= config_.members; ++i) voters.push_back(i);
  for (int i = 1; i <= config_.observers; ++i) observers.push_back(config_.members + i);
  checker_.SetBaseMembership({voters, observers});
  uint64_t member_seeds = config_.seed ^ 0x6d656d626572ULL;
  for (MemberId id = 1; id <= config_.members + config_.observers + config_.spares; ++id) {
    MemberConfig mc;
    mc.replica = config_.replica;
    mc.replica.id = id;
    mc.replica.voters = voters;
    mc.replica.observers = observers;
    mc.fsync_ticks_max = config_.fsync_ticks_max;
    mc.local_snapshot_ppm = config_.local_snapshot_ppm;
    mc.check_promises = config_.check_promises;
    mc.seed = SplitMix64(&member_seeds);
    mc.clock_offset_ms = 1700000000000LL + static_cast<int64_t>(mc.seed % 5000);
    MemberEnv* env = this;
    members_.push_back(std::make_unique<SimMember>(id, std::move(mc), initial, env));
    clock_rate_.push_back(1);
  }
  Schedule(1, Event{Event::kTick, {}, 0});
}

Simulation::~Simulation() = default;

std::vector<MemberId> Simulation::member_ids() const {
  std::vector<MemberId> ids;
  for (const auto& m : members_) ids.push_back(m->id());
  return ids;
}

void Simulation::Schedule(int64_t tick, Event event) {
  queue_.emplace(std::make_pair(tick, next_sequence_++), std::move(event));
}

bool Simulation::Step() {
  if (checker_.failed()) return false;
  auto it = queue_.begin();
  CORRAL_ASSERT(it != queue_.end(), "the tick event is always queued");
  now_ = it->first.first;
  Event event = std::move(it->second);
  queue_.erase(it);
  ++step_;
  checker_.SetPosition(now_, step_);
  switch (event.kind) {
    case Event::kTick:
      OnTick();
      Schedule(now_ + 1, Event{Event::kTick, {}, 0});
      break;
    case Event::kDeliver:
      OnDeliver(event.message);
      break;
    case Event::kWake:
      member(event.member).Pump();
      break;
  }
  AfterStep();
  return !checker_.failed();
}

bool Simulation::RunTicks(int64_t ticks) {
  const int64_t until = now_ + ticks;
  while (queue_.begin()->first.first <= until) {
    if (!Step()) return false;
  }
  return !checker_.failed();
}

bool Simulation::RunUntil(const std::function<bool()>& done, int64_t max_ticks) {
  const int64_t until = now_ + max_ticks;
  if (done()) return true;
  while (queue_.begin()->first.first <= until) {
    if (!Step()) return false;
    if (done()) return true;
  }
  return false;
}

void Simulation::OnTick() {
  if (faults_ != nullptr) faults_->Tick();
  for (auto& m : members_) {
    if (m->up()) m->Tick(clock_rate_[static_cast<size_t>(m->id() - 1)]);
  }
  if (workload_ != nullptr) workload_->Tick();
  ExpireClients();
  for (auto& m : members_) m->Pump();
}

void Simulation::OnDeliver(const Message& m) {
  if (m.to < 1 || m.to > static_cast<MemberId>(members_.size())) {
    checker_.Fail("message to unknown member: " + DescribeMessage(m));
    return;
  }
  if (network_.IsCut(m.from, m.to)) {
    trace_.Message(now_, "lost-in-partition", m);
    return;
  }
  if (network_.IsClogged(m.from, m.to)) {
    network_.Hold(m);
    return;
  }
  SimMember& to = member(m.to);
  if (!to.up()) {
    trace_.Message(now_, "lost-member-down", m);
    return;
  }
  trace_.Message(now_, "deliver", m);
  if (m.type == consensus::MessageType::kSnapshot) ++snapshot_transfers_;
  to.Deliver(m);
  to.Pump();
}

void Simulation::AfterStep() {
  for (auto& m : members_) m->CheckInvariants();
}

void Simulation::Send(const Message& message) {
  trace_.Message(now_, "send", message);
  if (send_hook_) send_hook_(message);
  if (hold_filter_ && hold_filter_(message)) {
    trace_.Message(now_, "held", message);
    held_.push_back(message);
    return;
  }
  std::vector<Delivery> deliveries = network_.Send(message, &net_random_);
  if (deliveries.empty() && !network_.IsClogged(message.from, message.to)) {
    trace_.Message(now_, "lost", message);
  }
  for (Delivery& d : deliveries) {
    Schedule(now_ + d.delay_ticks, Event{Event::kDeliver, std::move(d.message), 0});
  }
}

size_t Simulation::Release(const MessageFilter& filter) {
  size_t released = 0;
  std::vector<Message> keep;
  for (Message& m : held_) {
    if (filter(m)) {
      trace_.Message(now_, "release", m);
      Schedule(now_ + 1, Event{Event::kDeliver, std::move(m), 0});
      ++released;
    } else {
      keep.push_back(std::move(m));
    }
  }
  held_ = std::move(keep);
  return released;
}

size_t Simulation::DropHeld(const MessageFilter& filter) {
  const size_t before = held_.size();
  std::erase_if(held_, filter);
  return before - held_.size();
}

size_t Simulation::HeldCount(const MessageFilter& filter) const {
  size_t n = 0;
  for (const Message& m : held_) n += filter(m) ? 1 : 0;
  return n;
}

void Simulation::WakeAt(MemberId id, int64_t tick) { Schedule(tick, Event{Event::kWake, {}, id}); }

// --- faults ----------------------------------------------------------------------------------

void Simulation::Crash(MemberId id, size_t ops_kept) {
  SimMember& m = member(id);
  if (!m.up()) return;
  m.Crash(ops_kept);
  ++crashes_;
  for (SimClient& c : clients_) {
    if (c.member == id) {
      c.member = 0;
      c.outstanding.clear();
      c.session_requested = false;
    }
  }
}

void Simulation::Restart(MemberId id) {
  SimMember& m = member(id);
  if (m.up()) return;
  m.Restart();
  m.Pump();
}

void Simulation::Cut(MemberId from, MemberId to) {
  trace_.Event(now_, "cut", from, to);
  network_.Cut(from, to);
}

void Simulation::Restore(MemberId from, MemberId to) {
  trace_.Event(now_, "restore", from, to);
  network_.Restore(from, to);
}

void Simulation::Isolate(MemberId id) {
  for (MemberId other : member_ids()) {
    if (other == id) continue;
    Cut(id, other);
    Cut(other, id);
  }
}

void Simulation::Clog(MemberId from, MemberId to) {
  trace_.Event(now_, "clog", from, to);
  network_.Clog(from, to);
}

void Simulation::Unclog(MemberId from, MemberId to) {
  trace_.Event(now_, "unclog", from, to);
  for (Message& m : network_.Unclog(from, to)) {
    Schedule(now_ + 1, Event{Event::kDeliver, std::move(m), 0});
  }
}

void Simulation::HealNetwork() {
  trace_.Event(now_, "heal", 0);
  for (Message& m : network_.HealAll()) {
    Schedule(now_ + 1, Event{Event::kDeliver, std::move(m), 0});
  }
}

void Simulation::SetFsyncStalled(MemberId id, bool stalled) {
  trace_.Event(now_, stalled ? "disk-stall" : "disk-unstall", id);
  member(id).SetFsyncStalled(stalled);
  if (!stalled) member(id).Pump();
}

void Simulation::SetClockRate(MemberId id, int ticks_per_tick) {
  trace_.Event(now_, "clock-rate", id, ticks_per_tick);
  clock_rate_[static_cast<size_t>(id - 1)] = ticks_per_tick;
}

// --- clients ---------------------------------------------------------------------------------

int Simulation::AddClient() {
  SimClient c;
  c.index = static_cast<int>(clients_.size());
  clients_.push_back(c);
  NewSession(c.index);
  return c.index;
}

void Simulation::NewSession(int client) {
  SimClient& c = clients_[client];
  ++c.session_incarnation;
  // Distinct per client and per incarnation; nonzero (session 0 is the server itself).
  c.session_id = (static_cast<int64_t>(c.index + 1) << 32) | c.session_incarnation;
  c.session_live = false;
  c.session_requested = false;
}

void Simulation::Connect(int client, MemberId id) {
  Disconnect(client);
  clients_[client].member = id;
  trace_.Event(now_, "connect", id, client);
}

void Simulation::Disconnect(int client) {
  SimClient& c = clients_[client];
  if (c.member != 0) member(c.member).Disconnect(client);
  c.member = 0;
  c.outstanding.clear();
  c.session_requested = false;
}

std::optional<int32_t> Simulation::Submit(int client, Txn txn) {
  SimClient& c = clients_[client];
  if (c.member == 0 || !member(c.member).up()) return std::nullopt;
  txn.session_id = c.session_id;
  txn.xid = c.next_xid++;
  const int32_t xid = txn.xid;
  const int32_t type = txn.type;
  SimMember& m = member(c.member);
  SimMember::Submitted submitted = m.Submit(client, std::move(txn));
  trace_.Event(now_, "submit", c.member, client, xid, static_cast<int64_t>(submitted));
  if (submitted == SimMember::Submitted::kRefused) return std::nullopt;
  if (type == zk::kCreateSession) c.session_requested = true;
  c.outstanding.push_back({xid, type, now_});
  m.Pump();
  return xid;
}

std::optional<WriteOutcome> Simulation::Outcome(int client, int32_t xid) const {
  const SimClient& c = clients_[client];
  auto it = c.acknowledged.find(xid);
  if (it == c.acknowledged.end()) return std::nullopt;
  return it->second;
}

void Simulation::OnWriteApplied(MemberId id, int client, const Txn& txn,
                                const ApplyResult& result) {
  SimClient& c = clients_[client];
  if (c.member != id) return;
  for (auto it = c.outstanding.begin(); it != c.outstanding.end(); ++it) {
    if (it->xid != txn.xid) continue;
    c.outstanding.erase(it);
    c.acknowledged[txn.xid] = {txn.zxid, result.err};
    trace_.Event(now_, "ack", id, client, txn.xid, txn.zxid);
    checker_.ObserveAck(txn.session_id, txn.xid, txn.zxid);
    if (txn.type == zk::kCreateSession) {
      c.session_requested = false;
      c.session_live = result.err == zk::kOk && txn.session_id == c.session_id;
    } else if (txn.type == zk::kCloseSession && result.err == zk::kOk) {
      NewSession(client);
    }
    return;
  }
}

void Simulation::ExpireClients() {
  for (SimClient& c : clients_) {
    if (c.member == 0 || c.outstanding.empty()) continue;
    if (now_ - c.outstanding.front().submitted_tick > config_.client_timeout_ticks) {
      trace_.Event(now_, "client-timeout", c.member, c.index);
      Disconnect(c.index);
    }
  }
}

// --- observation -----------------------------------------------------------------------------

MemberId Simulation::Leader() const {
  MemberId leader = 0;
  int64_t epoch = -1;
  for (const auto& m : members_) {
    if (m->up() && m->replica().role() == Role::kLeader && m->replica().epoch() > epoch) {
      leader = m->id();
      epoch = m->replica().epoch();
    }
  }
  return leader;
}

bool Simulation::Converged() const {
  const MemberId leader_id = Leader();
  if (leader_id == 0) return false;
  const consensus::Replica& leader = members_[static_cast<size_t>(leader_id - 1)]->replica();
  if (!leader.Synced() || leader.commit_zxid() != leader.last_zxid()) return false;
  for (const auto& m : members_) {
    if (!leader.membership().Contains(m->id())) continue;  // a spare, or removed by reconfig
    if (!m->up()) return false;
    const consensus::Replica& r = m->replica();
    if (r.epoch() != leader.epoch()) return false;
    if (m->id() != leader_id &&
        (r.leader() != leader_id || (r.role() != Role::kFollower && r.role() != Role::kObserver))) {
      return false;
    }
    if (m->state().last_applied_zxid() != leader.last_zxid()) return false;
  }
  return true;
}

namespace {
std::string IdList(const std::vector<MemberId>& ids) {
  std::string s;
  for (MemberId id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return "{" + s + "}";
}
}  // namespace

std::string Simulation::Describe() const {
  std::string s;
  for (const auto& m : members_) {
    s += "\n  member " + std::to_string(m->id()) + ": ";
    if (!m->up()) {
      s += "down";
      continue;
    }
    const consensus::Replica& r = m->replica();
    s += std::string(consensus::RoleName(r.role())) + " epoch " + std::to_string(r.epoch()) +
         " leader " + std::to_string(r.leader()) + " last " + ZxidString(r.last_zxid()) +
         " durable " + ZxidString(r.durable_zxid()) + " commit " + ZxidString(r.commit_zxid()) +
         " applied " + ZxidString(m->state().last_applied_zxid()) +
         (r.Synced() ? " synced" : " not-synced") + " voters " + IdList(r.membership().voters) +
         " observers " + IdList(r.membership().observers) + (m->writing() ? " writing" : "") +
         (m->fsync_stalled() ? " disk-stalled" : "");
  }
  s += "\n  network: " + std::to_string(network_.cut_links()) + " cut links, " +
       std::to_string(network_.clogged_links()) + " clogged";
  return s;
}

bool Simulation::CheckConverged() { return Converged(); }

Txn Simulation::ReconfigTxn(const consensus::Membership& membership) {
  DynamicConfig config;
  for (const auto* ids : {&membership.voters, &membership.observers}) {
    for (MemberId id : *ids) {
      ServerSpec spec;
      spec.id = id;
      spec.host = "127.0.0.1";
      spec.quorum_port = static_cast<int>(20000 + id);
      spec.election_port = static_cast<int>(30000 + id);
      spec.observer = ids == &membership.observers;
      config.servers.push_back(spec);
    }
  }
  Txn txn;
  txn.type = zk::kReconfig;
  txn.request = FormatDynamicConfig(config);
  return txn;
}

// --- a randomized run ------------------------------------------------------------------------

RunResult Simulation::Run() {
  RunResult result;
  if (config_.random_faults) {
    faults_ = std::make_unique<FaultInjector>(this, config_.faults, random_.Fork());
  }
  workload_ = std::make_unique<Workload>(this, random_.Fork());
  for (int i = 0; i < config_.clients; ++i) AddClient();

  bool ok = RunTicks(config_.chaos_ticks);
  const int64_t quiet_start = now_;
  if (ok) {
    // Faults stop: the network heals and goes quiet, every member is up, clocks and disks work.
    if (faults_ != nullptr) faults_->Stop();
    faults_.reset();
    workload_.reset();
    NetworkFaults calm;
    calm.delay_ticks_max = 2;
    network_.set_faults(calm);
    trace_.Note(now_, "quiet");
    ok = RunUntil([this] { return CheckConverged(); }, config_.converge_ticks_max);
    if (!ok && !checker_.failed()) {
      checker_.Fail("no convergence within " + std::to_string(config_.converge_ticks_max) +
                    " ticks after faults stopped:" + Describe());
    }
  }
  if (ok) {
    // Liveness: the healed ensemble accepts a new write through a follower or the leader.
    const int probe = AddClient();
    const int64_t deadline = now_ + config_.converge_ticks_max;
    bool created = false;
    std::optional<int32_t> write;
    while (ok && now_ < deadline) {
      SimClient& c = clients_[probe];
      if (c.member == 0) {
        // (Re)connected: whatever was pending on the old connection is unknown; ask again.
        // Members the membership no longer lists serve no one, so the probe asks the others.
        std::vector<MemberId> serving;
        if (const MemberId leader = Leader(); leader != 0) {
          const consensus::Membership& m = member(leader).replica().membership();
          serving = m.voters;
          serving.insert(serving.end(), m.observers.begin(), m.observers.end());
        } else {
          serving = member_ids();
        }
        Connect(probe, serving[random_.Uniform(serving.size())]);
        created = false;
      }
      if (!c.session_live && !c.session_requested) Submit(probe, CreateSessionTxn(0, 0, 30000));
      if (c.session_live && !created) {
        write = Submit(probe, CreateTxn(0, 0, "/probe", "after-the-storm", zk::kPersistent));
        created = write.has_value();
      }
      if (created && Outcome(probe, *write) && Converged()) break;
      ok = RunTicks(1);
    }
    if (ok && !(created && Outcome(probe, *write) && Converged())) {
      checker_.Fail("the healed ensemble did not acknowledge a new write within " +
                    std::to_string(config_.converge_ticks_max) + " ticks:" + Describe());
      ok = false;
    }
  }
  if (ok) {
    std::optional<uint64_t> digest;
    const consensus::Membership& members = member(Leader()).replica().membership();
    for (auto& m : members_) {
      if (!members.Contains(m->id())) continue;
      checker_.CheckAcknowledgedApplied(m->id(), m->state().last_applied_zxid());
      const uint64_t d = StateDigest(m->state());
      if (!digest) digest = d;
      if (d != *digest) {
        checker_.Fail("members converged with different state digests" + Describe());
      }
    }
  }
  result.ok = !checker_.failed();
  result.failure = checker_.failure();
  result.trace_hash = trace_.hash();
  result.ticks = now_;
  result.steps = step_;
  result.converge_ticks = now_ - quiet_start;
  result.committed_entries = checker_.committed_entries();
  result.acknowledged_writes = checker_.acknowledged_writes();
  result.epochs_with_leader = checker_.epochs_with_leader();
  result.crashes = crashes_;
  result.snapshot_transfers = snapshot_transfers_;
  return result;
}

}  // namespace corral::sim
