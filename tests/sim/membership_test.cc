// Membership changes under the simulator (docs/membership.md): one voter at a time, the
// configuration taking effect once appended, the leader handing over when it is removed; and
// randomized runs where clients change the membership among crashes, partitions and the rest.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "scenario.h"

namespace corral::sim::scenario {
namespace {

using consensus::Membership;

// Proposes `next` from `client` and runs until it commits (the state machine answers reconfig
// entries with its own code; committed is what counts here).
bool Reconfigure(Simulation& sim, int client, const Membership& next) {
  return WriteAndWait(sim, client, Simulation::ReconfigTxn(next)).has_value();
}

Membership Current(Simulation& sim) { return sim.member(sim.Leader()).replica().membership(); }

bool EveryMemberOf(Simulation& sim, const Membership& m, const std::string& path) {
  for (const auto* ids : {&m.voters, &m.observers}) {
    for (MemberId id : *ids) {
      if (!sim.member(id).up() || sim.member(id).state().tree().Find(path) == nullptr) {
        return false;
      }
    }
  }
  return true;
}

TEST(Membership, GrowThreeToFiveThenShrinkRemovingTheLeader) {
  SimConfig config = Scripted(3);
  config.spares = 2;
  Simulation sim(config);
  MemberId leader = WaitForLeader(sim);
  ASSERT_NE(leader, 0);
  int client = OpenClient(sim, leader);
  ASSERT_GE(client, 0);
  ASSERT_TRUE(Acked(Create(sim, client, "/a")));

  ASSERT_TRUE(Reconfigure(sim, client, {{1, 2, 3, 4}, {}}));
  EXPECT_EQ(Current(sim).voters, (std::vector<MemberId>{1, 2, 3, 4}));
  ASSERT_TRUE(Acked(Create(sim, client, "/b")));
  ASSERT_TRUE(Reconfigure(sim, client, {{1, 2, 3, 4, 5}, {}}));
  ASSERT_TRUE(Acked(Create(sim, client, "/c")));
  ASSERT_TRUE(sim.RunUntil([&] { return EveryMemberOf(sim, Current(sim), "/c"); }, 500));

  // Remove the leader: it hands over, and a voter of the new membership leads.
  Membership without = Current(sim);
  without.voters.erase(std::find(without.voters.begin(), without.voters.end(), leader));
  ASSERT_TRUE(Reconfigure(sim, client, without));
  const MemberId old_leader = leader;
  leader = WaitForLeader(sim);
  ASSERT_NE(leader, 0);
  EXPECT_NE(leader, old_leader);
  EXPECT_FALSE(sim.member(old_leader).replica().membership().IsVoter(old_leader));
  client = OpenClient(sim, leader);
  ASSERT_GE(client, 0);
  ASSERT_TRUE(Acked(Create(sim, client, "/d")));

  Membership three = Current(sim);
  three.voters.pop_back();
  if (three.voters.back() == leader) std::swap(three.voters.front(), three.voters.back());
  std::sort(three.voters.begin(), three.voters.end());
  ASSERT_TRUE(Reconfigure(sim, client, three));
  ASSERT_TRUE(Acked(Create(sim, client, "/e")));
  EXPECT_EQ(Current(sim).voters.size(), 3u);
  ExpectConsistentEnd(sim);
  EXPECT_TRUE(EveryMemberOf(sim, Current(sim), "/e"));
}

TEST(Membership, TwoVoterChangesAtOnceAreRefused) {
  SimConfig config = Scripted(3);
  config.spares = 2;
  Simulation sim(config);
  const MemberId leader = WaitForLeader(sim);
  ASSERT_NE(leader, 0);
  const int client = OpenClient(sim, leader);
  ASSERT_GE(client, 0);
  // Replacing a voter is two changes: the core refuses to propose it.
  EXPECT_FALSE(sim.Submit(client, Simulation::ReconfigTxn({{1, 2, 4}, {}})).has_value());
  EXPECT_EQ(Current(sim).voters, (std::vector<MemberId>{1, 2, 3}));
  // Done one voter at a time, it works.
  ASSERT_TRUE(Reconfigure(sim, client, {{1, 2, 3, 4}, {}}));
  Membership next = {{1, 2, 4}, {}};
  if (leader == 3) next = {{1, 3, 4}, {}};  // keep the leader; removing it is another test
  ASSERT_TRUE(Reconfigure(sim, client, next));
  ASSERT_TRUE(Acked(Create(sim, client, "/after")));
  ExpectConsistentEnd(sim);
}

// A change appended but not committed is reverted with the entry: the isolated leader's
// membership change never takes hold anywhere else, and it leaves with it on rejoin.
TEST(Membership, UncommittedChangeOfAnIsolatedLeaderIsUndone) {
  SimConfig config = Scripted(3);
  config.spares = 1;
  Simulation sim(config);
  const MemberId old_leader = WaitForLeader(sim);
  ASSERT_NE(old_leader, 0);
  const int client = OpenClient(sim, old_leader);
  ASSERT_GE(client, 0);
  sim.Isolate(old_leader);
  ASSERT_TRUE(sim.Submit(client, Simulation::ReconfigTxn({{1, 2, 3, 4}, {}})).has_value());
  ASSERT_TRUE(sim.RunTicks(3));
  EXPECT_EQ(sim.member(old_leader).replica().membership().voters.size(), 4u);
  ASSERT_TRUE(sim.RunUntil(
      [&] {
        const MemberId l = sim.Leader();
        return l != 0 && l != old_leader && sim.member(l).replica().Synced();
      },
      1000));
  const int client2 = OpenClient(sim, sim.Leader());
  ASSERT_GE(client2, 0);
  ASSERT_TRUE(Acked(Create(sim, client2, "/new-epoch")));
  sim.HealNetwork();
  ASSERT_TRUE(sim.RunUntil(
      [&] { return sim.member(old_leader).replica().membership().voters.size() == 3; }, 500));
  ExpectConsistentEnd(sim);
  EXPECT_EQ(Current(sim).voters, (std::vector<MemberId>{1, 2, 3}));
}

// Randomized runs in which clients keep changing the membership (adding spares and removed
// members back, removing voters and observers, changing roles, now and then asking for two
// voters at once) while every fault of the sweep is injected: every invariant holds after
// every step, and the ensemble converges at the end. Half the CI sweep's seeds do this too;
// these always do, so the membership mutants (tests/sim/mutants.py) have a target.
TEST(Membership, ChangesAmongFaultsKeepEveryInvariant) {
  size_t changes_committed = 0;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    SimConfig config = RandomConfig(seed, 3);
    config.spares = 2;
    config.reconfig_ppm = std::max<uint64_t>(config.reconfig_ppm, 10000);
    if (std::getenv("CORRAL_SIM_NO_PROMISE_CHECK") != nullptr) config.check_promises = false;
    Simulation sim(config);
    RunResult r = sim.Run();
    ASSERT_TRUE(r.ok) << r.failure << "\n  config: " << DescribeConfig(config);
    changes_committed += sim.checker().committed_membership_changes();
  }
  EXPECT_GT(changes_committed, 150u);  // a run in which no change commits would test nothing
}

}  // namespace
}  // namespace corral::sim::scenario
