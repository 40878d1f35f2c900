#pragma once
// FaultInjector: the random faults of a run's chaos phase, drawn per tick from a FaultPlan:
//   - crashes (a random prefix of the write in progress survives when the plan tears writes)
//     and restarts after a random downtime;
//   - partitions: a symmetric split of the members into two sides, or a set of one-way cut
//     links, healed after a random time;
//   - swizzle-clogging (FoundationDB): clog a random subset of members one by one (every link
//     to and from a clogged member holds its messages), then unclog them in random order;
//   - clock jumps: a member's clock freezes (no ticks for a while) or races (several ticks per
//     tick), the way a paused VM or a stepped clock looks to a timer-driven core;
//   - disk stalls: a member's fsyncs hang for a while.
// Stop() ends all of it: heals the network, restarts every member, restores clocks and disks.
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "sim/sim_config.h"
#include "sim/sim_random.h"

namespace corral::sim {

class Simulation;

class FaultInjector {
 public:
  FaultInjector(Simulation* sim, FaultPlan plan, SimRandom random);
  void Tick();
  void Stop();

 private:
  using MemberId = consensus::MemberId;
  struct SwizzleStep {
    int64_t tick = 0;
    MemberId member = 0;
    bool clog = false;
  };

  void MaybeCrash();
  void RestartDue();
  void MaybePartition();
  void MaybeSwizzle();
  void ApplyClogs();
  void MaybeClockJump();
  void MaybeStallDisk();

  Simulation* sim_;
  FaultPlan plan_;
  SimRandom random_;
  std::vector<MemberId> ids_;
  std::map<MemberId, int64_t> restart_at_;
  std::vector<std::pair<MemberId, MemberId>> partition_links_;
  int64_t partition_heal_at_ = -1;
  std::deque<SwizzleStep> swizzle_;
  std::set<MemberId> clogged_members_;
  std::map<MemberId, int64_t> clock_restore_at_;
  std::map<MemberId, int64_t> disk_restore_at_;
};

}  // namespace corral::sim
