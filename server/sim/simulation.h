#pragma once
// Simulation: a whole ensemble in one process — members (core + disk + state machine + driver),
// the network between them, simulated clients, and the checker — advanced one event at a time
// from one seed. Time is a tick counter; events (a tick of every member's clock, a message
// arriving, an fsync finishing) wait in one queue ordered by (tick, sequence number), so the
// order of everything is a function of the seed alone.
//
// Two ways to use it:
//   - Run(): a randomized run — chaos (FaultInjector + Workload) for config.chaos_ticks, then
//     faults stop, the network heals, every member restarts, and the ensemble must converge
//     (one leader, equal commit/applied zxids and digests, every acknowledged write everywhere)
//     and accept one more write within config.converge_ticks_max.
//   - Scripted: a test drives the controls below (crash, partition, stall a disk, race a clock,
//     submit a write) and runs until a condition holds, as the scenario tests do.
// Every step ends with the checker's per-step checks and every member's CheckInvariants; the
// first violation stops the run and names the seed, tick and step.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/checker.h"
#include "sim/sim_client.h"
#include "sim/sim_config.h"
#include "sim/sim_member.h"
#include "sim/sim_network.h"
#include "sim/sim_random.h"
#include "sim/snapshot_store.h"
#include "sim/trace.h"

namespace corral::sim {

class FaultInjector;
class Workload;

struct RunResult {
  bool ok = false;
  std::string failure;  // the checker's message, with seed, tick and step
  uint64_t trace_hash = 0;
  int64_t ticks = 0;
  uint64_t steps = 0;
  int64_t converge_ticks = 0;  // after faults stopped
  size_t committed_entries = 0;
  size_t acknowledged_writes = 0;
  size_t epochs_with_leader = 0;
  size_t crashes = 0;
  size_t snapshot_transfers = 0;  // kSnapshot messages delivered
};

class Simulation : private MemberEnv {
 public:
  explicit Simulation(SimConfig config);
  ~Simulation() override;
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  RunResult Run();

  // --- stepping ------------------------------------------------------------------------------
  // Processes one event; false once a violation was found.
  bool Step();
  // Runs until the clock passes now + ticks. False on a violation.
  bool RunTicks(int64_t ticks);
  // Runs until `done` holds (checked after every step) or `max_ticks` pass. False when it did
  // not hold in time or a violation was found.
  bool RunUntil(const std::function<bool()>& done, int64_t max_ticks);

  // --- fault controls ------------------------------------------------------------------------
  // ops_kept: how much of a write in progress survives (kKeepNothing, kKeepEverything, or a
  // number of operations: see SimDisk).
  void Crash(MemberId id, size_t ops_kept = kKeepNothing);
  void Restart(MemberId id);
  void Cut(MemberId from, MemberId to);  // one direction
  void Restore(MemberId from, MemberId to);
  void Isolate(MemberId id);  // both directions, every peer
  void Clog(MemberId from, MemberId to);
  void Unclog(MemberId from, MemberId to);
  void HealNetwork();
  void SetFsyncStalled(MemberId id, bool stalled);
  // Ticks the member's clock gets per simulated tick (0: frozen; 3: runs three times as fast).
  void SetClockRate(MemberId id, int ticks_per_tick);
  void SetNetworkFaults(const NetworkFaults& faults) { network_.set_faults(faults); }
  // Sees every message as it is sent (before the network decides its fate).
  void OnSend(std::function<void(const Message&)> hook) { send_hook_ = std::move(hook); }
  // Scripted interleavings: from now on, messages matching `filter` are held at send time (a
  // null filter stops holding; held messages stay held). Release delivers the held messages
  // matching its filter on the next tick, in the order they were sent, and returns how many;
  // DropHeld loses them.
  using MessageFilter = std::function<bool(const Message&)>;
  void Hold(MessageFilter filter) { hold_filter_ = std::move(filter); }
  size_t Release(const MessageFilter& filter);
  size_t DropHeld(const MessageFilter& filter);
  size_t HeldCount(const MessageFilter& filter) const;

  // --- clients -------------------------------------------------------------------------------
  int AddClient();
  // Connects (or reconnects) a client; its pending writes on the old member are abandoned.
  void Connect(int client, MemberId member);
  void Disconnect(int client);
  // Starts a new session for the client (the next createSession it submits opens it).
  void NewSession(int client);
  // Submits `txn` as the client's next request (session and xid are filled in). Returns the
  // xid, or nullopt when the member refused it (no leader known, not connected...).
  std::optional<int32_t> Submit(int client, Txn txn);
  // The reconfig entry that makes `membership` the ensemble's (the dynamic config text of
  // made-up addresses: the core needs only ids and roles).
  static Txn ReconfigTxn(const consensus::Membership& membership);
  std::optional<WriteOutcome> Outcome(int client, int32_t xid) const;
  SimClient& client(int index) { return clients_[index]; }
  int client_count() const { return static_cast<int>(clients_.size()); }

  // --- observation ---------------------------------------------------------------------------
  int64_t now() const override { return now_; }
  uint64_t step_count() const { return step_; }
  const SimConfig& config() const { return config_; }
  std::vector<MemberId> member_ids() const;
  SimMember& member(MemberId id) { return *members_.at(static_cast<size_t>(id - 1)); }
  // The up member that is leader in the highest epoch (0: none).
  MemberId Leader() const;
  // All members up and agreeing on one leader, which has committed and every member applied
  // everything the leader has.
  bool Converged() const;
  // One line per member: role, epoch, zxids; for failure messages.
  std::string Describe() const;
  Checker& checker() override { return checker_; }
  const Checker& checker() const { return checker_; }
  Trace& trace() override { return trace_; }
  SimRandom& random() { return random_; }
  const SimNetwork& network() const { return network_; }

 private:
  struct Event {
    enum Kind { kTick, kDeliver, kWake } kind = kTick;
    Message message;
    MemberId member = 0;
  };

  // MemberEnv
  void Send(const Message& message) override;
  void WakeAt(MemberId id, int64_t tick) override;
  void OnWriteApplied(MemberId id, int client, const Txn& txn, const ApplyResult& result) override;
  SnapshotStore& snapshots() override { return snapshots_; }

  void Schedule(int64_t tick, Event event);
  void OnTick();
  void OnDeliver(const Message& message);
  void AfterStep();
  void ExpireClients();
  bool CheckConverged();

  SimConfig config_;
  SimRandom random_;      // faults and workload
  SimRandom net_random_;  // the network's draws
  Checker checker_;
  Trace trace_;
  SnapshotStore snapshots_;
  SimNetwork network_;
  std::vector<std::unique_ptr<SimMember>> members_;
  std::vector<int> clock_rate_;  // per member, index id - 1
  std::vector<SimClient> clients_;
  std::map<std::pair<int64_t, uint64_t>, Event> queue_;
  uint64_t next_sequence_ = 0;
  int64_t now_ = 0;
  uint64_t step_ = 0;
  std::function<void(const Message&)> send_hook_;
  MessageFilter hold_filter_;
  std::vector<Message> held_;
  std::unique_ptr<FaultInjector> faults_;
  std::unique_ptr<Workload> workload_;
  size_t crashes_ = 0;
  size_t snapshot_transfers_ = 0;
};

}  // namespace corral::sim
