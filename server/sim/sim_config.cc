#include "sim/sim_config.h"

#include <algorithm>

#include "sim/sim_random.h"

namespace corral::sim {

SimConfig RandomConfig(uint64_t seed, int members) {
  SimConfig c;
  c.seed = seed;
  c.members = members;
  // Its own stream, so the configuration does not shift when the run's draws change.
  uint64_t mix = seed ^ 0xc0ffee;
  SimRandom r(SplitMix64(&mix));

  consensus::ReplicaOptions& o = c.replica;
  o.election_timeout_ticks = static_cast<int>(r.Range(8, 20));
  o.heartbeat_ticks = static_cast<int>(r.Range(1, 3));
  o.append_entries_max = r.OneIn(3) ? r.Range(1, 4) : r.Range(16, 256);
  o.append_bytes_max = r.OneIn(4) ? 1024 : (1 << 20);
  o.inflight_appends_max = static_cast<int>(r.Range(1, 16));
  if (r.OneIn(2)) {
    // Small caches: followers that fall behind are caught up by snapshot transfer.
    o.cached_bytes_max = static_cast<size_t>(r.Range(512, 8192));
    o.cached_entries_min = static_cast<size_t>(r.Range(1, 20));
  }
  // Liveness needs a heartbeat round trip (network 2-4 ticks once faults stop, plus an fsync
  // on the follower) to fit in an election timeout, as any real deployment is tuned: a leader
  // that cannot hear from a majority within one timeout steps down (check quorum).
  c.fsync_ticks_max = r.Range(
      0,
      std::max<int64_t>(0, std::min<int64_t>(4, o.election_timeout_ticks - o.heartbeat_ticks - 5)));
  c.local_snapshot_ppm = r.OneIn(2) ? r.Range(0, 200000) : 0;

  FaultPlan& f = c.faults;
  const bool calm = r.OneIn(5);
  f.network.drop_ppm = calm ? 0 : r.Range(0, 80000);
  f.network.duplicate_ppm = calm ? 0 : r.Range(0, 30000);
  f.network.delay_ticks_min = 1;
  f.network.delay_ticks_max = r.Range(1, 4);
  f.network.long_delay_ppm = calm ? 0 : r.Range(0, 20000);
  f.network.long_delay_ticks_max = r.Range(5, 60);
  f.crash_ppm = calm ? r.Range(0, 1000) : r.Range(0, 6000);
  f.down_ticks_min = 1;
  f.down_ticks_max = r.Range(5, 200);
  f.torn_write_ppm = r.Range(0, 1000000);
  f.partition_ppm = calm ? 0 : r.Range(0, 5000);
  f.one_way_partition_ppm = r.Range(0, 1000000);
  f.partition_ticks_min = 3;
  f.partition_ticks_max = r.Range(10, 200);
  f.swizzle_ppm = calm ? 0 : r.Range(0, 2000);
  f.clock_jump_ppm = r.Range(0, 5000);
  f.fsync_stall_ppm = r.Range(0, 2000);

  c.chaos_ticks = r.Range(600, 1200);
  c.converge_ticks_max = 100LL * o.election_timeout_ticks + 400;
  c.clients = static_cast<int>(r.Range(2, 6));
  c.client_write_ppm = r.Range(30000, 300000);
  c.client_outstanding_max = static_cast<int>(r.Range(1, 4));
  c.client_timeout_ticks = r.Range(20, 150);
  // Drawn last, so the draws above stay what they were for every seed.
  c.observers = r.OneIn(3) ? 1 : 0;
  if (r.OneIn(2)) {
    // Membership changes interleaved with every fault above; spares give them members to add
    // (removed members can come back too).
    c.spares = static_cast<int>(r.Range(0, 2));
    c.reconfig_ppm = r.Range(2000, 20000);
  }
  return c;
}

SimConfig ScriptedConfig(uint64_t seed, int members) {
  SimConfig c;
  c.seed = seed;
  c.members = members;
  c.replica.election_timeout_ticks = 10;
  c.replica.heartbeat_ticks = 1;
  c.random_faults = false;
  c.chaos_ticks = 0;
  c.converge_ticks_max = 2000;
  c.clients = 0;
  c.client_write_ppm = 0;
  return c;
}

std::string DescribeConfig(const SimConfig& c) {
  const FaultPlan& f = c.faults;
  std::string s =
      "members=" + std::to_string(c.members) + " observers=" + std::to_string(c.observers) +
      " spares=" + std::to_string(c.spares) + " reconfig_ppm=" + std::to_string(c.reconfig_ppm) +
      " election_ticks=" + std::to_string(c.replica.election_timeout_ticks) +
      " heartbeat_ticks=" + std::to_string(c.replica.heartbeat_ticks) +
      " append_max=" + std::to_string(c.replica.append_entries_max) +
      " inflight_max=" + std::to_string(c.replica.inflight_appends_max) +
      " cache_bytes=" + std::to_string(c.replica.cached_bytes_max) +
      " cache_entries=" + std::to_string(c.replica.cached_entries_min) +
      " fsync_ticks_max=" + std::to_string(c.fsync_ticks_max) +
      " chaos_ticks=" + std::to_string(c.chaos_ticks) + " clients=" + std::to_string(c.clients);
  if (c.random_faults) {
    s += " drop_ppm=" + std::to_string(f.network.drop_ppm) +
         " dup_ppm=" + std::to_string(f.network.duplicate_ppm) +
         " crash_ppm=" + std::to_string(f.crash_ppm) +
         " partition_ppm=" + std::to_string(f.partition_ppm) +
         " swizzle_ppm=" + std::to_string(f.swizzle_ppm) +
         " clock_jump_ppm=" + std::to_string(f.clock_jump_ppm);
  }
  return s;
}

}  // namespace corral::sim
