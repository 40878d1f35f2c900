#pragma once
// SimMember: one member of the simulated ensemble — the consensus core, its disk, its state
// machine, and the driver loop of consensus/replica.h carried out exactly:
//
//   take a Ready -> send messages_now -> start writing hard state / snapshot / truncation /
//   entries -> (fsync: zero or more ticks, during which a crash loses the write) -> durable ->
//   send messages -> install the snapshot -> apply committed -> handle the inbox -> Advance.
//
// One Ready is out at a time. The member also plays the node's part for client writes: on the
// leader it stamps time_ms and proposes; on a follower it forwards to the leader (kForward), and
// the leader proposes what arrives in its inbox. A write is acknowledged when this member, the
// one the client sent it to, applies it.
//
// Per-session order across forwarding is the node's job, so the driver does what a node must:
// a leader proposes a forwarded write only in the epoch it was forwarded in (a write forwarded
// to an old leader can never be proposed behind a later one in a newer epoch), and within its
// epoch it proposes a session's writes only in increasing xid order (a reordered or duplicated
// forward is refused; its client never hears back and retries as ZooKeeper's would).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consensus/replica.h"
#include "sim/checker.h"
#include "sim/sim_disk.h"
#include "sim/sim_random.h"
#include "sim/snapshot_store.h"
#include "sim/trace.h"
#include "statemachine/state_machine.h"

namespace corral::sim {

using consensus::MemberId;
using consensus::Message;

// What a member needs from the world around it.
class MemberEnv {
 public:
  virtual ~MemberEnv() = default;
  virtual int64_t now() const = 0;
  virtual void Send(const Message& message) = 0;
  // Calls Pump on member `id` at `tick` (an fsync finishing).
  virtual void WakeAt(MemberId id, int64_t tick) = 0;
  // Member `id` applied the write `client` sent to it.
  virtual void OnWriteApplied(MemberId id, int client, const Txn& txn,
                              const ApplyResult& result) = 0;
  virtual Checker& checker() = 0;
  virtual SnapshotStore& snapshots() = 0;
  virtual Trace& trace() = 0;
};

struct MemberConfig {
  consensus::ReplicaOptions replica;
  StateMachineOptions state_machine;
  // An fsync takes a random number of ticks in [min, max] (0: done within the step).
  int64_t fsync_ticks_min = 0;
  int64_t fsync_ticks_max = 0;
  // After applying a batch the member writes a snapshot of its own state with this probability.
  uint64_t local_snapshot_ppm = 0;
  int64_t clock_ms_per_tick = 100;
  int64_t clock_offset_ms = 0;  // members' clocks disagree; leaders stamp their own time
  uint64_t seed = 0;            // this member's randomness (election timeouts, fsync times)
  // Check that every message promises only what the disk holds (on by default; off only to
  // watch what a broken promise leads to).
  bool check_promises = true;
};

// How much of a write in progress survives a crash (see SimDisk).
inline constexpr size_t kKeepNothing = 0;
inline constexpr size_t kKeepEverything = static_cast<size_t>(-1);

class SimMember {
 public:
  SimMember(MemberId id, MemberConfig config, std::shared_ptr<const StateMachine> initial,
            MemberEnv* env);

  MemberId id() const { return id_; }
  bool up() const { return replica_ != nullptr; }
  const consensus::Replica& replica() const { return *replica_; }
  const StateMachine& state() const { return *state_; }
  const SimDisk& disk() const { return disk_; }
  int incarnation() const { return incarnation_; }
  int64_t local_ticks() const { return local_ticks_; }
  // A Ready is being persisted (its fsync has not returned).
  bool writing() const { return inflight_.has_value(); }
  MemberConfig& config() { return config_; }

  void Tick(int ticks);
  void Deliver(const Message& message);
  // Drives the Ready pipeline as far as the clock and the disk allow.
  void Pump();
  // Stops the member: the write in progress keeps its first `ops_kept` operations, memory is
  // lost, clients are cut off.
  void Crash(size_t ops_kept);
  // Starts the member again from what its disk holds.
  void Restart();
  // A stalled disk never finishes an fsync until unstalled (a slow or hung device).
  void SetFsyncStalled(bool stalled);
  bool fsync_stalled() const { return fsync_stalled_; }

  enum class Submitted { kProposed, kForwarded, kRefused };
  // A client write arriving at this member.
  Submitted Submit(int client, Txn txn);
  // The client went away: it will not hear about its pending writes.
  void Disconnect(int client);

  // The core's own checks, and the checker's view of who leads.
  void CheckInvariants();

 private:
  struct Inflight {
    consensus::Ready ready;
    int64_t durable_at_tick = 0;
    std::shared_ptr<const StateMachine> installed;
  };

  void StartReady();
  void FinishReady();
  void SendAll(const std::vector<Message>& messages);
  void CheckPromises(const Message& m);
  void Apply(const std::vector<Txn>& committed);
  void HandleInbox(const std::vector<Message>& inbox);
  bool ProposeInOrder(Txn txn, int64_t forwarded_epoch);
  std::shared_ptr<const StateMachine> StateCopy();
  std::string DurableSummary() const;
  int64_t ClockMs() const;

  MemberId id_;
  MemberConfig config_;
  MemberEnv* env_;
  SimRandom random_;          // fsync times, per member
  SimRandom replica_random_;  // handed to the core; reseeded per incarnation
  SimDisk disk_;
  std::unique_ptr<StateMachine> state_;
  std::unique_ptr<consensus::Replica> replica_;
  std::optional<Inflight> inflight_;
  std::shared_ptr<const StateMachine> state_copy_;  // shared copy of state_, while unchanged
  bool fsync_stalled_ = false;
  int incarnation_ = 0;
  int64_t local_ticks_ = 0;

  std::map<std::pair<int64_t, int32_t>, int> waiting_;  // (session, xid) -> client
  int64_t order_epoch_ = -1;                            // the epoch proposed_xid_ is for
  std::map<int64_t, int32_t> proposed_xid_;             // session -> last xid proposed
};

}  // namespace corral::sim
