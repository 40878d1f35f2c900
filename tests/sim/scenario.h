#pragma once
// Helpers for scripted simulator scenarios: elect, open a client, write and wait, heal and
// converge, and the end-of-scenario consistency checks every scenario shares.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "sim/digest.h"
#include "sim/requests.h"
#include "sim/simulation.h"
#include "zk/codes.h"

namespace corral::sim::scenario {

using consensus::MemberId;
using consensus::MessageType;
using consensus::Role;

// Runs until some member leads and serves (its epoch's first entry applied). 0 on timeout.
inline MemberId WaitForLeader(Simulation& sim, int64_t max_ticks = 1000) {
  MemberId leader = 0;
  sim.RunUntil(
      [&] {
        leader = sim.Leader();
        return leader != 0 && sim.member(leader).replica().Synced();
      },
      max_ticks);
  return sim.Leader() != 0 && sim.member(sim.Leader()).replica().Synced() ? sim.Leader() : 0;
}

// Submits `txn` from `client` and runs until it is acknowledged; retries while the member
// refuses (no leader known yet). nullopt when it was not acknowledged within max_ticks.
inline std::optional<WriteOutcome> WriteAndWait(Simulation& sim, int client, const Txn& txn,
                                                int64_t max_ticks = 1000) {
  const int64_t deadline = sim.now() + max_ticks;
  while (sim.now() < deadline && !sim.checker().failed()) {
    std::optional<int32_t> xid = sim.Submit(client, txn);
    if (!xid) {
      sim.RunTicks(1);
      continue;
    }
    sim.RunUntil([&] { return sim.Outcome(client, *xid).has_value(); }, deadline - sim.now());
    return sim.Outcome(client, *xid);
  }
  return std::nullopt;
}

// Whether a write came back, and succeeded.
inline bool Acked(const std::optional<WriteOutcome>& w) { return w && w->err == zk::kOk; }

// A client connected to `member` with an acknowledged session; -1 when that did not happen.
inline int OpenClient(Simulation& sim, MemberId member) {
  const int client = sim.AddClient();
  sim.Connect(client, member);
  if (!Acked(WriteAndWait(sim, client, CreateSessionTxn(0, 0, 30000)))) return -1;
  sim.client(client).session_live = true;
  return client;
}

inline std::optional<WriteOutcome> Create(Simulation& sim, int client, const std::string& path,
                                          int64_t max_ticks = 1000) {
  return WriteAndWait(sim, client, CreateTxn(0, 0, path, "v", zk::kPersistent), max_ticks);
}

// Heals the network, restarts every member, restores clocks and disks, and runs until the
// ensemble converges.
inline bool HealAndConverge(Simulation& sim, int64_t max_ticks = 3000) {
  sim.HealNetwork();
  sim.Hold(nullptr);
  for (MemberId id : sim.member_ids()) {
    sim.SetClockRate(id, 1);
    sim.SetFsyncStalled(id, false);
    sim.Restart(id);
  }
  return sim.RunUntil([&] { return sim.Converged(); }, max_ticks);
}

inline bool EveryMemberHas(Simulation& sim, const std::string& path) {
  for (MemberId id : sim.member_ids()) {
    if (!sim.member(id).up() || sim.member(id).state().tree().Find(path) == nullptr) return false;
  }
  return true;
}

// Every member that is up has `path`.
inline bool EveryMemberHasUp(Simulation& sim, const std::string& path) {
  for (MemberId id : sim.member_ids()) {
    if (sim.member(id).up() && sim.member(id).state().tree().Find(path) == nullptr) return false;
  }
  return true;
}

inline bool NoMemberHas(Simulation& sim, const std::string& path) {
  for (MemberId id : sim.member_ids()) {
    if (sim.member(id).up() && sim.member(id).state().tree().Find(path) != nullptr) return false;
  }
  return true;
}

// The end of every scenario: no invariant broke, the ensemble converged, every member (of the
// membership in force: not a spare, not one removed by reconfig) applied every acknowledged
// write, and all their state digests agree.
inline void ExpectConsistentEnd(Simulation& sim) {
  ASSERT_FALSE(sim.checker().failed()) << sim.checker().failure();
  ASSERT_TRUE(HealAndConverge(sim)) << "no convergence:" << sim.Describe();
  const consensus::Membership members = sim.member(sim.Leader()).replica().membership();
  std::optional<uint64_t> digest;
  for (MemberId id : sim.member_ids()) {
    if (!members.Contains(id)) continue;
    sim.checker().CheckAcknowledgedApplied(id, sim.member(id).state().last_applied_zxid());
    const uint64_t d = StateDigest(sim.member(id).state());
    if (!digest) digest = d;
    EXPECT_EQ(d, *digest) << "member " << id << " diverged";
  }
  EXPECT_FALSE(sim.checker().failed()) << sim.checker().failure();
}

// A scripted configuration: no random faults, 1-tick links, instant fsync.
// CORRAL_SIM_TRACE=1 prints the scenario's trace to stderr.
inline SimConfig Scripted(int members, uint64_t seed = 1) {
  SimConfig config = ScriptedConfig(seed, members);
  if (std::getenv("CORRAL_SIM_TRACE") != nullptr) config.trace_out = stderr;
  // tests/sim/mutants.py: does a scenario catch an early acknowledgement by the data it loses,
  // not only by the check that every acknowledgement is backed by the disk?
  if (std::getenv("CORRAL_SIM_NO_PROMISE_CHECK") != nullptr) config.check_promises = false;
  return config;
}

// Message predicates for Hold/Release and OnSend.
inline Simulation::MessageFilter From(MemberId from, MessageType type) {
  return [=](const consensus::Message& m) { return m.from == from && m.type == type; };
}
inline Simulation::MessageFilter To(MemberId to, MessageType type) {
  return [=](const consensus::Message& m) { return m.to == to && m.type == type; };
}
inline Simulation::MessageFilter Between(MemberId from, MemberId to) {
  return [=](const consensus::Message& m) { return m.from == from && m.to == to; };
}

}  // namespace corral::sim::scenario
