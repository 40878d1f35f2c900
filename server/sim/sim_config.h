#pragma once
// SimConfig: everything one run depends on besides its seed's random draws. RandomConfig derives
// a whole configuration from the seed — core options (small caches in some runs so snapshots
// are transferred, tiny append batches in others), fault intensities (calm runs and stormy
// runs), workload — so that a sweep over seeds also sweeps over configurations, and the seed
// alone still reproduces the run.
#include <cstdint>
#include <cstdio>
#include <string>

#include "consensus/replica.h"
#include "sim/sim_network.h"

namespace corral::sim {

// Intensities of the random faults injected during the chaos phase of a run.
struct FaultPlan {
  NetworkFaults network;
  uint64_t crash_ppm = 0;  // per tick: one up member crashes
  int64_t down_ticks_min = 1;
  int64_t down_ticks_max = 100;
  // A crash during a write keeps a random prefix of it (else nothing of it).
  uint64_t torn_write_ppm = 0;
  uint64_t partition_ppm = 0;          // per tick, when none is active
  uint64_t one_way_partition_ppm = 0;  // of partitions: one-way links instead of a split
  int64_t partition_ticks_min = 5;
  int64_t partition_ticks_max = 100;
  uint64_t swizzle_ppm = 0;      // per tick, when none is active: a swizzle-clog round
  uint64_t clock_jump_ppm = 0;   // per tick: a member's clock freezes or races ahead
  uint64_t fsync_stall_ppm = 0;  // per tick: a member's disk hangs for a while
};

struct SimConfig {
  uint64_t seed = 1;
  int members = 3;    // voters
  int observers = 0;  // more members, with ids after the voters: never vote or count
  // Members outside the starting membership (ids after the observers), for scenarios that add
  // them by reconfig; until then they never campaign and receive nothing.
  int spares = 0;
  // Per tick during the chaos phase: a client asks for a membership change (adds a member from
  // outside, removes one, changes a role; now and then two voters at once, which must be
  // refused). 0: the membership never changes.
  uint64_t reconfig_ppm = 0;
  consensus::ReplicaOptions replica;  // id and voters are filled per member
  int64_t fsync_ticks_max = 0;
  uint64_t local_snapshot_ppm = 0;

  bool random_faults = true;
  FaultPlan faults;
  int64_t chaos_ticks = 1000;
  // After the chaos phase the network heals, every member is up and faults stop; the ensemble
  // must then elect a leader and converge within this many ticks or the run fails (liveness).
  int64_t converge_ticks_max = 1000;

  int clients = 4;
  uint64_t client_write_ppm = 200000;  // per client per tick
  int client_outstanding_max = 3;
  int64_t client_timeout_ticks = 100;  // a client gives up on its member after this long

  bool check_promises = true;      // see MemberConfig::check_promises
  std::FILE* trace_out = nullptr;  // --verbose
};

// The randomized configuration of run `seed` with `members` members.
SimConfig RandomConfig(uint64_t seed, int members);
// A fault-free configuration for scripted scenarios: the test injects every fault itself.
SimConfig ScriptedConfig(uint64_t seed, int members);
std::string DescribeConfig(const SimConfig& config);

}  // namespace corral::sim
